/* SPDX-License-Identifier: MIT */
/*
 * What the emulated kernel keeps beside the tree that sysfs does not show:
 * the mdevs' creation order and guests, driver overrides, cards and queues
 * set offline, a rebinding still to come, the master key states kept.
 */
#include "sandbox.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmodel.h"
#include "layout.h"
#include "masksyntax.h"

/* Each line of a private file that is not a comment, to cb. */
static int private_lines(struct sysfs *s, const char *rel, int (*cb)(char *line, void *ctx),
			 void *ctx)
{
	int err = 0, rc = 0;
	char *text = sysfs_read_alloc(s, rel, &err), *save = NULL;

	if (!text)
		return err == -ENOENT ? 0 : err;
	for (char *line = strtok_r(text, "\n", &save); line && !rc; line = strtok_r(NULL, "\n", &save))
		if (line[0] != '#')
			rc = cb(line, ctx);
	free(text);
	return rc;
}

/* The mdevs in the order the emulated kernel made them: indices into st->mdevs. */
struct order {
	struct ap_state *st;
	size_t *index;
	bool *taken;
	size_t n;
};

/*
 * The rest of an mdev's line, after its UUID (strtok_r() is at it through
 * save): "attached=1 removing=0 group=0 vfio=0 iommufd=1 guest=NAME", into m.
 * Numbers that an older sandbox did not keep are given after the load.
 */
static int parse_mdev(char **save, struct ap_mdev *m)
{
	char *w;

	m->in_use = 0;
	m->removing = m->guest_iommufd = false;
	m->iommu_group = m->vfio_dev = -1;
	memset(m->guest_name, 0, sizeof(m->guest_name));
	while ((w = strtok_r(NULL, " ", save))) {
		char *v = strchr(w, '=');

		if (!v)
			return -EINVAL;
		*v++ = '\0';
		if (!strcmp(w, "guest"))
			snprintf(m->guest_name, sizeof(m->guest_name), "%s", v);
		else if (!strcmp(w, "attached"))
			m->in_use = atoi(v) == 1;
		else if (!strcmp(w, "removing"))
			m->removing = atoi(v) == 1;
		else if (!strcmp(w, "group"))
			m->iommu_group = atoi(v);
		else if (!strcmp(w, "vfio"))
			m->vfio_dev = atoi(v);
		else if (!strcmp(w, "iommufd"))
			m->guest_iommufd = atoi(v) == 1;
	}
	return 0;
}

static int order_mdev(char *line, void *ctx)
{
	struct order *o = ctx;
	char *save = NULL, *uuid = strtok_r(line, " ", &save);
	int i;

	if (!uuid || strlen(uuid) >= UUID_STR_MAX)
		return -EINVAL;
	/* a line of an mdev that is gone, or a second line of one, is passed over */
	i = state_find_mdev(o->st, uuid);
	if (i < 0 || o->taken[i]) {
		struct ap_mdev gone;

		return parse_mdev(&save, &gone);
	}
	o->taken[i] = true;
	o->index[o->n++] = (size_t)i;
	return parse_mdev(&save, &o->st->mdevs[i]);
}

static int add_override(char *line, void *ctx)
{
	char apqn[16], driver[DRIVER_NAME_MAX];
	unsigned a, d;

	if (sscanf(line, "%15s %31s", apqn, driver) != 2 || apqn_parse(apqn, &a, &d, NULL))
		return -EINVAL;
	return state_add_override(ctx, a, d, driver);
}

static int add_offline(char *line, void *ctx)
{
	struct ap_state *st = ctx;
	unsigned a, d;

	if (!strncmp(line, "card", 4) && sscanf(line + 4, "%2x", &a) == 1 && a < IDSET_BITS)
		st->card[a].zoffline = true;
	else if (!apqn_parse(line, &a, &d, NULL))
		apqnset_add(&st->qoffline, a, d);
	else
		return -EINVAL;
	return 0;
}

/* "apmask=0x... aqmask=0x... due=MS": the rebinding still to come */
static int add_rebind(char *line, void *ctx)
{
	struct ap_state *st = ctx;
	char am[IDSET_HEX_LEN], qm[IDSET_HEX_LEN];

	if (sscanf(line, "apmask=%66s aqmask=%66s due=%lld", am, qm, &st->rebind_due) != 3 ||
	    kernel_hex2bitmap(am, &st->bound_apmask) || kernel_hex2bitmap(qm, &st->bound_aqmask))
		return -EINVAL;
	st->rebind_pending = true;
	return 0;
}

static int add_kept(const char *name, unsigned char type, void *ctx)
{
	unsigned a, d;

	(void)type;
	if (!apqn_parse(name, &a, &d, NULL))
		apqnset_add(&((struct ap_state *)ctx)->mkvps_kept, a, d);
	return 0;
}

int sandbox_load_private(struct sysfs *s, struct ap_state *st)
{
	struct order o = { st, NULL, NULL, 0 };
	int rc;

	if (st->nmdevs) {
		o.index = malloc(st->nmdevs * sizeof(*o.index));
		o.taken = calloc(st->nmdevs, sizeof(*o.taken));
		if (!o.index || !o.taken) {
			free(o.index);
			free(o.taken);
			return -ENOMEM;
		}
	}
	rc = private_lines(s, SANDBOX_MDEVS, order_mdev, &o);
	if (!rc) {
		/* mdevs that the file does not know keep their place after the others */
		for (size_t i = 0; i < st->nmdevs; i++)
			if (!o.taken[i])
				o.index[o.n++] = i;
		state_mdevs_gather(st, st->nmdevs, o.index, o.taken);
		kmodel_number(st);
	}
	free(o.index);
	free(o.taken);
	free(st->overrides);
	st->overrides = NULL;
	st->noverrides = 0;
	st->overrides_all = true;
	if (!rc)
		rc = private_lines(s, SANDBOX_OVERRIDES, add_override, st);
	/* what zcrypt set offline: the kernel's memory, not what online reads */
	apqnset_clear(&st->qoffline);
	idset_foreach(a, &st->cards)
		st->card[a].zoffline = false;
	if (!rc)
		rc = private_lines(s, SANDBOX_OFFLINE, add_offline, st);
	apqnset_clear(&st->mkvps_kept);
	rc = rc ? rc : sysfs_list(s, SANDBOX_MKVPS, add_kept, st);
	if (rc == -ENOENT)
		rc = 0;
	st->rebind_pending = false;
	return rc ? rc : private_lines(s, SANDBOX_REBIND, add_rebind, st);
}
