/* SPDX-License-Identifier: MIT */
/*
 * The smallest mask edit that takes given APQNs from the host's default
 * drivers. An APQN leaves the host when its adapter's apmask bit or its
 * domain's aqmask bit is cleared; of the ways to do that for every APQN asked
 * for, apctl picks the one that moves the fewest other APQNs of the host
 * configuration away from the host.
 */
#ifndef APCTL_RESERVE_H
#define APCTL_RESERVE_H

#include "apqn.h"
#include "idset.h"

struct reserve_plan {
	struct idset clear_apm; /* apmask bits to clear */
	struct idset clear_aqm; /* aqmask bits to clear */
	unsigned moved;         /* APQNs of the scope that leave the host, those asked for included */
};

/*
 * want: the APQNs to take; scope_apm x scope_aqm: the host configuration,
 * whose APQNs count. APQNs of want that the masks already keep from the host
 * need nothing. Exact for up to 2^16 ways, a good plan beyond.
 */
void reserve_smallest(const struct idset *apmask, const struct idset *aqmask,
		      const struct idset *scope_apm, const struct idset *scope_aqm,
		      const struct apqnset *want, struct reserve_plan *out);

#endif
