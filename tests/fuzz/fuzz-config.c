/* SPDX-License-Identifier: MIT */
/* libFuzzer: a configuration file for plan and apply (conffile.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conffile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct config c;
	struct diag d;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	/* the maxima of a big machine and of a small one */
	if (!config_parse(text, 255, 255, &c, &d))
		config_free(&c);
	if (!config_parse(text, 15, 15, &c, &d))
		config_free(&c);
	free(text);
	return 0;
}
