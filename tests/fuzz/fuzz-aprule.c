/* SPDX-License-Identifier: MIT */
/* libFuzzer: a udev rule 41-ap.rules (lib/aprule.c), and apctl's rule written back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aprule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), out[APRULE_MAX];
	struct ap_rule r, again;
	struct diag d;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!aprule_parse(text, &r, &d) && (r.has_apmask || r.has_aqmask)) {
		/* what apctl writes of a rule it read is read back the same */
		aprule_set_mask(&r, true, r.has_apmask, &r.apmask);
		if (aprule_format(&r, out, sizeof(out)) < sizeof(out) &&
		    (aprule_parse(out, &again, &d) || !idset_equal(&r.apmask, &again.apmask) ||
		     !idset_equal(&r.aqmask, &again.aqmask)))
			abort();
	}
	free(text);
	return 0;
}
