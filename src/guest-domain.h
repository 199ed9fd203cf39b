/* SPDX-License-Identifier: MIT */
/*
 * A libvirt domain's definition (as virsh dumpxml writes it) read for what
 * decides whether its guest gets an mdev's APQNs: the mdev's <hostdev>, and a
 * CPU model with the AP features (ap, apqci, apft, apqi). host-model and
 * host-passthrough have them unless one is turned off; a named model (custom)
 * has them only where each is asked for.
 */
#ifndef APCTL_GUEST_DOMAIN_H
#define APCTL_GUEST_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

#define AP_FEATURES 4
extern const char *const ap_features[AP_FEATURES]; /* "ap", "apqci", "apft", "apqi" */

enum feature_state {
	FEATURE_ABSENT,   /* not named: the model's own */
	FEATURE_ON,       /* policy force, require or optional */
	FEATURE_OFF,      /* policy disable or forbid */
};

struct domain_info {
	char name[128];
	bool has_cpu;          /* a <cpu> element */
	char cpu_mode[32];     /* "host-model", "host-passthrough", "maximum", "custom" */
	char model[64];        /* the named model, or "" */
	enum feature_state feature[AP_FEATURES];
	char feature_policy[AP_FEATURES][16];
	bool hostdev;          /* a <hostdev type='mdev'> of the UUID with model vfio-ap */
	char hostdev_model[32]; /* its model where it is another one, or "" */
};

/*
 * Reads a domain's XML (len bytes of text) for uuid's hostdev: 0, or with why
 * in *d -EINVAL (not XML, not a domain) or -ELIBACC (libxml2 cannot be loaded).
 */
int domain_read(const char *text, size_t len, const char *uuid, struct domain_info *out,
		struct diag *d);
/* Whether the guest has feature i with that CPU definition. */
bool domain_feature_on(const struct domain_info *di, int i);

#endif
