/* SPDX-License-Identifier: MIT */
/*
 * The mdevs of a state: their matrices, and what their guests have (the
 * guest_matrix, the VFIO group, whether a guest uses them).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "masksyntax.h"
#include "paths.h"
#include "state-read.h"
#include "state.h"

struct mdev_list {
	struct ap_mdev *v;
	size_t n, cap;
};

static int add_mdev(const char *name, unsigned char type, void *ctx)
{
	struct mdev_list *l = ctx;
	struct ap_mdev *v;

	(void)type;
	if (!uuid_valid(name))
		return 0;
	v = grow(l->v, &l->cap, l->n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
	uuid_lower(name, l->v[l->n].uuid);
	l->v[l->n].iommu_group = l->v[l->n].vfio_dev = -1;
	l->n++;
	return 0;
}

/* One attribute of an mdev, read whole: NULL with *err on failure. */
static char *mdev_attr(struct sysfs *s, const struct ap_mdev *m, const char *attr, int *err)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), MATRIX_DEV "/%s/%s", m->uuid, attr);
	return sysfs_read_alloc(s, rel, err);
}

/*
 * The mdev's three masks: one read of ap_config where the kernel has it (6.10),
 * else matrix and control_domains. 0 or -errno; *ap_config tells which.
 */
static int read_mdev_matrix(struct sysfs *s, struct ap_mdev *m, bool *ap_config)
{
	int err = 0, rc;
	char *text = mdev_attr(s, m, "ap_config", &err);

	*ap_config = text != NULL;
	if (text) {
		rc = kernel_ap_config_parse(text, strlen(text), &m->matrix);
		free(text);
		return rc;
	}
	text = mdev_attr(s, m, "matrix", &err);
	if (!text)
		return err;
	rc = matrix_parse(text, &m->matrix.apm, &m->matrix.aqm);
	free(text);
	if (rc)
		return rc;
	text = mdev_attr(s, m, "control_domains", &err);
	if (!text)
		return err;
	rc = cdoms_parse(text, &m->matrix.adm);
	free(text);
	return rc;
}

/* guest_matrix (6.0 and later): 0, or -errno other than its absence. */
static int read_mdev_guest(struct sysfs *s, const struct ap_state *st, struct ap_mdev *m)
{
	int err = 0, rc;
	char *text = mdev_attr(s, m, "guest_matrix", &err);

	m->has_guest = text != NULL;
	if (!text)
		return err == -ENOENT ? 0 : err;
	rc = matrix_parse(text, &m->guest.apm, &m->guest.aqm);
	free(text);
	m->guest.adm = rules_guest_cdoms(&m->matrix, &st->host);
	return rc;
}

/*
 * Whether a guest uses the mdev shows in the status of its queues: one read
 * per mdev, of a queue that would be "in use" if it were.
 */
static void probe_in_use(struct sysfs *s, struct ap_state *st, struct ap_mdev *m)
{
	const struct ap_matrix *mx = m->has_guest ? &m->guest : &m->matrix;
	char rel[PATH_MAX], buf[32];

	m->in_use = -1;
	idset_foreach(a, &mx->apm) {
		idset_foreach(d, &mx->aqm) {
			if (state_queue_driver(st, (unsigned)a, (unsigned)d) != QDRV_VFIO)
				continue;
			snprintf(rel, sizeof(rel), AP_DEVICES "/card%02x/%02x.%04x/status", a, a, d);
			if (sysfs_read(s, rel, buf, sizeof(buf)) < 0)
				return;
			m->in_use = !strcmp(buf, "in use\n");
			return;
		}
	}
}

/* The mdevs listed anew, without what they hold. */
static int list_mdevs(struct sysfs *s, struct ap_state *st)
{
	struct mdev_list mdevs = { 0 };
	int rc = sysfs_list(s, MATRIX_DEV, add_mdev, &mdevs);

	st->mdevs = mdevs.v;
	st->nmdevs = mdevs.n;
	st->capmdevs = mdevs.cap;
	state_mdevs_changed(st);
	return rc == -ENOENT ? 0 : rc;
}

/* Mdev m's matrix: whether the kernel showed ap_config. */
static bool read_matrix(struct sysfs *s, struct ap_mdev *m)
{
	bool has_config;

	m->in_use = -1;
	m->incomplete = read_mdev_matrix(s, m, &has_config);
	if (m->incomplete)
		memset(&m->matrix, 0, sizeof(m->matrix));
	return has_config;
}

int state_read_mdevs(struct sysfs *s, struct ap_state *st, bool *ap_config)
{
	int rc = list_mdevs(s, st);

	*ap_config = false;
	for (size_t i = 0; !rc && i < st->nmdevs; i++)
		*ap_config |= read_matrix(s, &st->mdevs[i]);
	return rc;
}

int state_read_mdev_guest(struct sysfs *s, struct ap_state *st, size_t i)
{
	struct ap_mdev *m = &st->mdevs[i];

	if (m->incomplete)
		return m->incomplete;
	m->incomplete = read_mdev_guest(s, st, m);
	m->iommu_group = state_mdev_group(s, m->uuid);
	if (!m->incomplete)
		probe_in_use(s, st, m);
	return m->incomplete;
}

/*
 * Of a lazy state, the mdevs that its scope does not reach are kept as they
 * were read: what its change wrote reaches none of them.
 */
int state_reread_mdevs(struct sysfs *s, struct ap_state *st)
{
	struct ap_state *was = st->scope ? state_dup(st) : NULL;
	int rc;

	if (st->scope && !was)
		return -ENOMEM;
	free(st->mdevs);
	st->mdevs = NULL;
	st->nmdevs = st->capmdevs = 0;
	st->available_instances = state_read_number(s, MDEV_TYPE "/available_instances", -1);
	rc = list_mdevs(s, st);
	for (size_t i = 0; !rc && i < st->nmdevs; i++) {
		struct ap_mdev *m = &st->mdevs[i];
		int k = was ? state_find_mdev(was, m->uuid) : -1;

		if (k >= 0 && !state_scope_reaches(was->scope, &was->mdevs[k].matrix)) {
			*m = was->mdevs[k];
			continue;
		}
		read_matrix(s, m);
		state_read_mdev_guest(s, st, i);
	}
	state_free(was);
	return rc;
}
