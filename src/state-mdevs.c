/* SPDX-License-Identifier: MIT */
/*
 * The mdevs of a state: their matrices, and what their guests have (the
 * guest_matrix, the VFIO group, whether a guest uses them).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grow.h"
#include "masksyntax.h"
#include "paths.h"
#include "state-read.h"
#include "state.h"
#include "uuidmap.h"

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
 * Where the mdevs' matrices are read from: the matrix device's directory,
 * open once, and whether the kernel shows ap_config (6.10), once one mdev
 * told.
 */
struct matrix_dir {
	int fd;                  /* or -1 */
	int ap_config;           /* 1 it does, 0 it does not, -1 not known yet */
};

/* The mdev's three masks, from matrix and control_domains: 0 or -errno. */
static int read_mdev_masks(struct sysfs *s, struct ap_mdev *m)
{
	int err = 0, rc;
	char *text = mdev_attr(s, m, "matrix", &err);

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

/*
 * The mdev's three masks: one read of ap_config where the kernel has it, else
 * matrix and control_domains. 0 or -errno.
 */
static int read_mdev_matrix(struct sysfs *s, struct matrix_dir *dir, struct ap_mdev *m)
{
	/* ap_config is one line of three masks, far shorter than a page */
	char name[UUID_STR_MAX + 16], text[512];
	ssize_t len = -ENOENT;
	int rc;

	if (dir->ap_config) {
		snprintf(name, sizeof(name), "%s/ap_config", m->uuid);
		len = sysfs_read_in(s, dir->fd, MATRIX_DEV, name, text, sizeof(text));
		if (len >= 0) {
			dir->ap_config = 1;
			return kernel_ap_config_parse(text, (size_t)len, &m->matrix);
		}
	}
	rc = read_mdev_masks(s, m);
	/* an mdev that is there without ap_config: the kernel has none */
	if (!rc && len == -ENOENT && dir->ap_config < 0)
		dir->ap_config = 0;
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

/* The mdevs listed anew, without what they hold, from the matrix device's directory. */
static int list_mdevs(struct sysfs *s, struct ap_state *st, struct matrix_dir *dir)
{
	struct mdev_list mdevs = { 0 };
	int fd = sysfs_openat(s, MATRIX_DEV, O_RDONLY | O_DIRECTORY, 0), rc;

	dir->fd = fd >= 0 ? dup(fd) : -1;
	dir->ap_config = -1;
	rc = fd >= 0 ? sysfs_dir_each(fd, add_mdev, &mdevs) : fd;
	st->mdevs = mdevs.v;
	st->nmdevs = mdevs.n;
	st->capmdevs = mdevs.cap;
	state_mdevs_changed(st);
	return rc == -ENOENT ? 0 : rc;
}

static void matrix_dir_close(struct matrix_dir *dir)
{
	if (dir->fd >= 0)
		close(dir->fd);
}

/* Mdev m's matrix. */
static void read_matrix(struct sysfs *s, struct matrix_dir *dir, struct ap_mdev *m)
{
	m->in_use = -1;
	m->incomplete = read_mdev_matrix(s, dir, m);
	if (m->incomplete)
		memset(&m->matrix, 0, sizeof(m->matrix));
}

/*
 * The matrices of mdevs [from, to), each read on its own: a part of a
 * host's many, in a thread of its own (read_matrices()).
 */
struct matrix_work {
	struct sysfs *s;
	struct matrix_dir dir;
	struct ap_mdev *v;
	size_t from, to;
	pthread_t thread;
	bool started;
};

static void *read_range(void *arg)
{
	struct matrix_work *w = arg;

	for (size_t i = w->from; i < w->to; i++)
		read_matrix(w->s, &w->dir, &w->v[i]);
	return NULL;
}

/*
 * Reads of many mdevs' matrices go side by side, an open and a read each,
 * in up to READ_THREADS threads of at least READ_PER_THREAD mdevs; one after
 * the other where every read is traced, so that the trace keeps their order.
 */
#define READ_THREADS 4
#define READ_PER_THREAD 256

static void read_matrices(struct sysfs *s, struct ap_state *st, struct matrix_dir *dir)
{
	struct matrix_work w[READ_THREADS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = st->nmdevs / READ_PER_THREAD, share;

	if (!st->nmdevs)
		return;
	/* the first tells the others whether the kernel has ap_config */
	read_matrix(s, dir, &st->mdevs[0]);
	n = n > READ_THREADS ? READ_THREADS : n;
	n = cpus > 0 && (size_t)cpus < n ? (size_t)cpus : n;
	if (n < 2 || s->verbose)
		n = 1;
	share = (st->nmdevs - 1 + n - 1) / n;
	for (size_t k = 0; k < n; k++) {
		w[k] = (struct matrix_work){ .s = s, .dir = *dir, .v = st->mdevs,
					     .from = 1 + k * share, .to = 1 + (k + 1) * share };
		if (w[k].to > st->nmdevs)
			w[k].to = st->nmdevs;
		if (k)
			w[k].started = !pthread_create(&w[k].thread, NULL, read_range, &w[k]);
	}
	read_range(&w[0]);
	for (size_t k = 1; k < n; k++) {
		if (w[k].started)
			pthread_join(w[k].thread, NULL);
		else
			read_range(&w[k]);
	}
	for (size_t k = 0; k < n; k++)
		if (w[k].dir.ap_config >= 0)
			dir->ap_config = w[k].dir.ap_config;
}

int state_read_mdevs(struct sysfs *s, struct ap_state *st, bool *ap_config)
{
	struct matrix_dir dir;
	int rc = list_mdevs(s, st, &dir);

	if (!rc)
		read_matrices(s, st, &dir);
	*ap_config = dir.ap_config == 1;
	matrix_dir_close(&dir);
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
	/* the mdevs as they were read, found by their UUIDs */
	struct ap_mdev *was = st->mdevs;
	size_t nwas = st->nmdevs;
	struct uuidmap map = { 0 };
	struct matrix_dir dir;
	int rc = st->scope ? uuidmap_make(&map, was, nwas, sizeof(*was),
					  offsetof(struct ap_mdev, uuid)) : 0;

	if (rc)
		return rc;
	st->mdevs = NULL;
	st->nmdevs = st->capmdevs = 0;
	st->available_instances = state_read_number(s, MDEV_TYPE "/available_instances", -1);
	rc = list_mdevs(s, st, &dir);
	for (size_t i = 0; !rc && i < st->nmdevs; i++) {
		struct ap_mdev *m = &st->mdevs[i];
		int k = st->scope ? uuidmap_find(&map, m->uuid) : -1;

		if (k >= 0 && !state_scope_reaches(st->scope, &was[k].matrix)) {
			*m = was[k];
			continue;
		}
		read_matrix(s, &dir, m);
		state_read_mdev_guest(s, st, i);
	}
	matrix_dir_close(&dir);
	uuidmap_free(&map);
	free(was);
	return rc;
}
