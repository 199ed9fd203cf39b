/* SPDX-License-Identifier: MIT */
/*
 * s390-tools' ap-check, the mdevctl callout for vfio_ap-passthrough, as its
 * decisions (ap_tools/ap-check.c and libap in s390-tools): before mdevctl
 * starts an mdev, it reads the IDs of the definition its own way and refuses
 * control domains without usage domains, APQNs that an active mdev has, and
 * APQNs that the running masks give to the host's default drivers. Its rules
 * differ from the kernel's (reference/peers.md): apctl predicts a boot with
 * it by these rules, not by the kernel's.
 */
#ifndef APCTL_APCHECK_H
#define APCTL_APCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "apqn.h"

/* ap-check's reading of a definition: its IDs, and whether any usage domain is named. */
struct apcheck_ids {
	struct ap_matrix m;        /* the IDs up to the maximum 255 */
	bool has_domains, has_controls; /* any at all, in range or not */
};

/*
 * Adds one attribute of a definition as ap-check reads it: assign_* values
 * are comma lists of strtol(, 0) numbers that add up, ap_config replaces all
 * three, every other attribute (unassign_* too) is passed over.
 */
void apcheck_add_attr(struct apcheck_ids *ids, const char *name, const char *value);

/* One active mdev, as ap-check reads its matrix. */
struct apcheck_mdev {
	const char *uuid;
	const struct ap_matrix *m;
};

/*
 * ap-check's answer to mdevctl's start of uuid with ids, against the active
 * mdevs and the running masks: 0, or 1 with what it prints in why (the first
 * line it prints; it names the APQNs in decimal, "1.6").
 */
int apcheck_start(const char *uuid, const struct apcheck_ids *ids,
		  const struct apcheck_mdev *active, size_t nactive, const struct idset *apmask,
		  const struct idset *aqmask, char *why, size_t size);

#endif
