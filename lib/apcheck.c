/* SPDX-License-Identifier: MIT */
#include "apcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "masksyntax.h"

/* A comma list of strtol(, 0) numbers into set; whether it named any. */
static bool add_list(struct idset *set, const char *value)
{
	char *copy = strdup(value), *save = NULL;
	bool any = false;

	if (!copy)
		return false;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		long id = strtol(t, NULL, 0);

		any = true;
		if (id >= 0 && id <= IDSET_MAX_ID)
			idset_add(set, (unsigned)id);
	}
	free(copy);
	return any;
}

void apcheck_add_attr(struct apcheck_ids *ids, const char *name, const char *value)
{
	struct ap_matrix config;

	if (!strcmp(name, "assign_adapter")) {
		add_list(&ids->m.apm, value);
	} else if (!strcmp(name, "assign_domain")) {
		ids->has_domains |= add_list(&ids->m.aqm, value);
	} else if (!strcmp(name, "assign_control_domain")) {
		ids->has_controls |= add_list(&ids->m.adm, value);
	} else if (!strcmp(name, "ap_config") && !kernel_ap_config_parse(value, strlen(value),
									  &config)) {
		ids->m = config;
		ids->has_domains = !idset_empty(&config.aqm);
		ids->has_controls = !idset_empty(&config.adm);
	}
}

/* The first APQN of a x d that is also in b x e, or false. */
static bool meet(const struct idset *a, const struct idset *d, const struct idset *b,
		 const struct idset *e, unsigned *x, unsigned *y)
{
	struct idset ab = idset_and(a, b), de = idset_and(d, e);

	if (idset_empty(&ab) || idset_empty(&de))
		return false;
	*x = (unsigned)idset_first(&ab);
	*y = (unsigned)idset_first(&de);
	return true;
}

int apcheck_start(const char *uuid, const struct apcheck_ids *ids,
		  const struct apcheck_mdev *active, size_t nactive, const struct idset *apmask,
		  const struct idset *aqmask, char *why, size_t size)
{
	unsigned a, d;

	if (!ids->has_domains && ids->has_controls) {
		snprintf(why, size, "At least one usage domain must be specified");
		return 1;
	}
	for (size_t i = 0; i < nactive; i++)
		if (strcasecmp(active[i].uuid, uuid) &&
		    meet(&ids->m.apm, &ids->m.aqm, &active[i].m->apm, &active[i].m->aqm, &a, &d)) {
			snprintf(why, size, "APQN %u.%u already in use by %s", a, d, active[i].uuid);
			return 1;
		}
	if (meet(&ids->m.apm, &ids->m.aqm, apmask, aqmask, &a, &d)) {
		snprintf(why, size, "APQN %u.%u is not allowed for vfio_ap-passthrough use by the "
			 "active ap bus mask settings", a, d);
		return 1;
	}
	return 0;
}
