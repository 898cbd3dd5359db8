/* The default YARA rules, rules/default/NAME.yar, embedded as a table of
 * struct yara_rules_source (see yara_rules_default.h): one NUL-terminated
 * text per file, kept apart so that a compile error names the file and line
 * it comes from. A new file in rules/default/ needs its line below; the unit
 * test checks that every file there is listed. The .incbin path is relative
 * to src/, which the build passes with -I. */
#if __SIZEOF_POINTER__ == 8
#define POINTER .quad
#else
#define POINTER .long
#endif

	.macro default_rules name
	.pushsection .rodata
.Lpath_\name:
	.asciz "rules/default/\name\().yar"
.Ltext_\name:
	.incbin "../rules/default/\name\().yar"
	.byte 0
	.popsection
	POINTER .Lpath_\name, .Ltext_\name
	.endm

	.section .data.rel.ro
	.balign __SIZEOF_POINTER__
	.global yara_default_rules
	.type yara_default_rules, @object
yara_default_rules:
	default_rules crypto_miner
	default_rules post_exploitation
	default_rules reverse_shell
	POINTER 0, 0
	.size yara_default_rules, . - yara_default_rules

	.section .note.GNU-stack,"",@progbits
