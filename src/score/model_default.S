/* The default precognition model, embedded in the binaries so that they
 * score without a model file. `make model` regenerates default.model from
 * the committed ADFA-LD training data. */
	.section .rodata
	.balign 8
	.global vg_default_model_start
	.global vg_default_model_end
vg_default_model_start:
	.incbin "score/default.model"
vg_default_model_end:

	.section .note.GNU-stack,"",@progbits
