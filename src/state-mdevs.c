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
#include <sys/stat.h>
#include <unistd.h>

#include "grow.h"
#include "masksyntax.h"
#include "paths.h"
#include "state-read.h"
#include "state.h"
#include "uuidmap.h"

/* m as a new listing finds the mdev uuid (which may be m's own): nothing read of it yet. */
static void fresh_mdev(struct ap_mdev *m, const char *uuid)
{
	char lower[UUID_STR_MAX];

	uuid_lower(uuid, lower);
	memset(m, 0, sizeof(*m));
	memcpy(m->uuid, lower, sizeof(m->uuid));
	m->iommu_group = m->vfio_dev = -1;
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

/* The UUIDs that a listing of the matrix device's directory finds, in its order. */
struct uuid_list {
	char (*v)[UUID_STR_MAX];
	size_t n, cap;
};

static int add_uuid(const char *name, unsigned char type, void *ctx)
{
	struct uuid_list *l = ctx;
	char(*v)[UUID_STR_MAX];

	(void)type;
	if (!uuid_valid(name))
		return 0;
	v = grow(l->v, &l->cap, l->n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	uuid_lower(name, l->v[l->n++]);
	return 0;
}

/*
 * Room for the UUIDs of directory fd at once: a directory's links are two
 * and one for each directory in it (on kernfs as on ext4), and each mdev is
 * one. Without a count (another file system), the list grows as it is read.
 */
#define LISTING_ROOM_MAX 65536

static int listing_room(int fd, struct uuid_list *l)
{
	struct stat sb;

	if (fstat(fd, &sb) || sb.st_nlink <= 2 || sb.st_nlink - 2 > LISTING_ROOM_MAX)
		return 0;
	l->v = malloc((sb.st_nlink - 2) * sizeof(*l->v));
	if (!l->v)
		return -ENOMEM;
	l->cap = sb.st_nlink - 2;
	return 0;
}

/* The matrix device's directory listed (no directory: no UUIDs), and opened for reads in dir. */
static int list_uuids(struct sysfs *s, struct matrix_dir *dir, struct uuid_list *l)
{
	int fd = sysfs_openat(s, MATRIX_DEV, O_RDONLY | O_DIRECTORY, 0), rc;

	dir->fd = fd >= 0 ? dup(fd) : -1;
	dir->ap_config = -1;
	rc = fd >= 0 ? listing_room(fd, l) : fd;
	if (!rc)
		rc = sysfs_dir_each(fd, add_uuid, l);
	else if (fd >= 0)
		close(fd);
	return rc == -ENOENT ? 0 : rc;
}

static int mdevs_as_listed(struct ap_state *st, const struct uuid_list *l, bool *fresh);

/*
 * st's mdevs made those the matrix device's directory lists, in its order:
 * those st had keep what was read of them, the others are new (*fresh[i],
 * an array to free). 0 or -errno.
 */
static int list_mdevs(struct sysfs *s, struct ap_state *st, struct matrix_dir *dir, bool **fresh)
{
	struct uuid_list names = { 0 };
	int rc = list_uuids(s, dir, &names);

	*fresh = NULL;
	if (!rc && !(*fresh = malloc(names.n + 1)))
		rc = -ENOMEM;
	if (!rc)
		rc = mdevs_as_listed(st, &names, *fresh);
	free(names.v);
	return rc;
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
	bool *fresh;
	int rc = list_mdevs(s, st, &dir, &fresh);

	free(fresh);
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
 * Where each of the n places gets its mdev from when st's mdevs become the
 * listed ones (from[j]): a place in the list from the mdev of its UUID, the
 * places of new mdevs (fresh[j]) and those past the list's end from what is
 * left. Places at or past st->nmdevs hold nothing yet. used: n bools.
 */
static void sources_of(const struct ap_state *st, const struct uuid_list *l, size_t n,
		       size_t *from, bool *fresh, bool *used)
{
	size_t left = 0;

	memset(used, 0, n * sizeof(*used));
	for (size_t j = 0; j < l->n; j++) {
		int k = state_find_mdev(st, l->v[j]);

		fresh[j] = k < 0 || used[k];
		if (!fresh[j]) {
			from[j] = (size_t)k;
			used[k] = true;
		}
	}
	for (size_t j = 0; j < n; j++) {
		if (j < l->n && !fresh[j])
			continue;
		while (used[left])
			left++;
		from[j] = left++;
	}
}

/*
 * st's mdevs made the listed ones, in the list's order, where they are:
 * those it had keep what was read of them, the others are new (fresh[j]).
 * No second array is made. 0 or -ENOMEM.
 */
static int mdevs_as_listed(struct ap_state *st, const struct uuid_list *l, bool *fresh)
{
	size_t n = l->n > st->nmdevs ? l->n : st->nmdevs, *from;
	bool *scratch;

	if (!n)
		return 0;
	if (n > st->capmdevs) {
		struct ap_mdev *v = realloc(st->mdevs, n * sizeof(*v));

		if (!v)
			return -ENOMEM;
		st->mdevs = v;
		st->capmdevs = n;
	}
	from = malloc(n * sizeof(*from));
	scratch = malloc(n * sizeof(*scratch));
	if (from && scratch) {
		sources_of(st, l, n, from, fresh, scratch);
		state_mdevs_gather(st, n, from, scratch);
		st->nmdevs = l->n;
		for (size_t j = 0; j < l->n; j++)
			if (fresh[j])
				fresh_mdev(&st->mdevs[j], l->v[j]);
	}
	free(from);
	free(scratch);
	return from && scratch ? 0 : -ENOMEM;
}

/*
 * Of a lazy state, the mdevs that its scope does not reach are kept as they
 * were read: what its change wrote reaches none of them. The others, and
 * all of a whole state, are read anew.
 */
int state_reread_mdevs(struct sysfs *s, struct ap_state *st)
{
	struct matrix_dir dir;
	bool *fresh;
	int rc;

	st->available_instances = state_read_number(s, MDEV_TYPE "/available_instances", -1);
	rc = list_mdevs(s, st, &dir, &fresh);
	for (size_t i = 0; !rc && i < st->nmdevs; i++) {
		struct ap_mdev *m = &st->mdevs[i];

		if (!fresh[i] && st->scope && !state_scope_reaches(st->scope, &m->matrix))
			continue;
		fresh_mdev(m, m->uuid);
		read_matrix(s, &dir, m);
		state_read_mdev_guest(s, st, i);
	}
	matrix_dir_close(&dir);
	free(fresh);
	return rc;
}
