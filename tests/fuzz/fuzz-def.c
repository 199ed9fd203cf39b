/* SPDX-License-Identifier: MIT */
/* libFuzzer: an mdevctl definition and apctl's names file (persist.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "persist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char uuid[] = "62177883-f1bb-47f0-914d-32a22e3a8804";
	char *text = malloc(size + 1), *out;
	struct persist p = { 0 };
	struct mdev_def def;
	struct diag d;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	def_parse(&def, uuid, text, size);
	/* a definition apctl reads is written as mdevctl writes it, and read back the same */
	if (!def.bad[0] && (out = def_format(&def)) != NULL) {
		struct mdev_def again;

		def_parse(&again, uuid, out, strlen(out));
		if (again.bad[0] || again.nattrs != def.nattrs || again.autostart != def.autostart ||
		    !matrix_equal(&again.ids, &def.ids))
			abort();
		def_free(&again);
		free(out);
	}
	def_free(&def);
	names_parse(&p, text, size, "names", &d);
	persist_free(&p);
	free(text);
	return 0;
}
