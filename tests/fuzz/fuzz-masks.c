/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: what an administrator types and what the kernel parses (lib/):
 * mask edits, the kernel's mask stores, ID lists, ap_config, kstrtoul, and
 * the ap-check reading of an attribute.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apcheck.h"
#include "masksyntax.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct idset all, out, ids;
	struct apcheck_ids ac = { 0 };
	struct ap_matrix m;
	struct diag d;
	uint64_t v;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	idset_fill(&all);
	/* what apctl accepts means to it what it means to the kernel */
	if (!mask_edit_parse(text, &all, &out, NULL, &d) &&
	    (kernel_mask_parse(text, &all, &ids) || !idset_equal(&out, &ids)))
		abort();
	kernel_mask_parse(text, &all, &out);
	idlist_parse(text, IDSET_MAX_ID, "adapter", &ids, &d);
	idlist_parse(text, 15, "domain", &ids, &d);
	kernel_ap_config_parse(text, size, &m);
	kernel_kstrtoul(text, &v);
	apcheck_add_attr(&ac, "assign_adapter", text);
	apcheck_add_attr(&ac, "ap_config", text);
	free(text);
	return 0;
}
