/* The default policy's YAML text, built into the binary so that vigilanted
 * runs without a policy file and `vigilante policy default` can print it.
 * The text is NUL-terminated; policy_default_yaml_len excludes the NUL. */
	.section .rodata
	.global policy_default_yaml
	.type policy_default_yaml, @object
policy_default_yaml:
	.incbin "decide/policy_default.yaml"
.Lpolicy_default_yaml_end:
	.byte 0
	.size policy_default_yaml, . - policy_default_yaml

	.global policy_default_yaml_len
	.type policy_default_yaml_len, @object
	.balign __SIZEOF_SIZE_T__
policy_default_yaml_len:
#if __SIZEOF_SIZE_T__ == 8
	.quad .Lpolicy_default_yaml_end - policy_default_yaml
#else
	.long .Lpolicy_default_yaml_end - policy_default_yaml
#endif
	.size policy_default_yaml_len, __SIZEOF_SIZE_T__

	.section .note.GNU-stack,"",@progbits
