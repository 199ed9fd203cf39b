/* SPDX-License-Identifier: MIT */
/*
 * A whole configuration as a file (version 1): what a host should have. The
 * masks as the IDs reserved for vfio_ap (adapters, domains) or as the masks
 * themselves (apmask, aqmask), whether they persist in 41-ap.rules, and the
 * mdevs with their IDs, whether mdevctl keeps them and starts them at boot.
 * The JSON Schema is schema/config.schema.json; man apctl tells the rest.
 */
#ifndef APCTL_CONFFILE_H
#define APCTL_CONFFILE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "apqn.h"
#include "diag.h"
#include "persist.h"
#include "state.h"
#include "uuid.h"

#define CONFIG_VERSION 1
#define CONFIG_NAME_MAX 128

struct config_mdev {
	char uuid[UUID_STR_MAX];
	struct ap_matrix ids;
	bool persistent;          /* mdevctl defines it */
	bool autostart;           /* and starts it at boot */
	char name[CONFIG_NAME_MAX]; /* the guest that uses it, or "" */
};

struct config {
	bool has_masks;           /* the file says what the masks are */
	struct idset apmask, aqmask;
	bool persistent;          /* the masks persist in 41-ap.rules */
	struct config_mdev *mdevs;
	size_t nmdevs;
};

/*
 * Reads a configuration: IDs as numbers or strings in apctl's ID syntax, up
 * to the maxima. 0, or -EINVAL with the JSON path, the value and why in *d
 * ("mdevs[2].domains: '08' has a leading 0 ..."); -ENOMEM.
 */
int config_parse(const char *text, unsigned max_adapter, unsigned max_domain, struct config *c,
		 struct diag *d);
void config_free(struct config *c);

/*
 * The configuration of a root: the running masks and mdevs, what of them
 * persists (p may be NULL), as apctl export writes it.
 */
struct json_object *config_export(const struct ap_state *st, const struct persist *p);

#endif
