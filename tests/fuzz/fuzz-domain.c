/* SPDX-License-Identifier: MIT */
/* libFuzzer: a libvirt domain's XML, as apctl mdev guest --domain reads it (guest-domain.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest-domain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char uuid[] = "62177883-f1bb-47f0-914d-32a22e3a8804";
	struct domain_info di;
	struct diag d;

	if (domain_read((const char *)data, size, uuid, &di, &d))
		return 0;
	/* what was read is within its buffers, and the features have an answer */
	if (strlen(di.name) >= sizeof(di.name) || strlen(di.model) >= sizeof(di.model))
		abort();
	for (int i = 0; i < AP_FEATURES; i++)
		(void)domain_feature_on(&di, i);
	return 0;
}
