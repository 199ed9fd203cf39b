/* SPDX-License-Identifier: MIT */
/*
 * After the emulated kernel changed its state: what differs from before is
 * written to the tree, and nothing else, so that a write touches the files a
 * real one would change.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "layout.h"
#include "paths.h"
#include "tree.h"


static int unlink_quiet(struct sysfs *s, const char *rel)
{
	int rc = sysfs_remove(s, rel);

	return rc == -ENOENT ? 0 : rc;
}

/* A tree removed; one already gone, by a store that was cut short after it, is no error. */
static int remove_tree_quiet(struct sysfs *s, const char *rel)
{
	int rc = sysfs_remove_tree(s, rel);

	return rc == -ENOENT ? 0 : rc;
}

/* Removes an AP device: its directory, its bus link and its driver's link to it. */
static int unrender_ap_device(struct sysfs *s, const char *rel, const char *drv)
{
	char link[PATH_MAX];
	const char *name = strrchr(rel, '/') + 1;

	if (drv) {
		snprintf(link, sizeof(link), AP_BUS_DRIVERS "/%s/%s", drv, name);
		TRY(unlink_quiet(s, link));
	}
	snprintf(link, sizeof(link), AP_BUS_DEVICES "/%s", name);
	TRY(unlink_quiet(s, link));
	return remove_tree_quiet(s, rel);
}

static int unrender_mdev(struct sysfs *s, const struct ap_mdev *m)
{
	const char *uuid = m->uuid;
	static const char *const dirs[] = {
		MDEV_TYPE "/devices",
		MDEV_BUS "/devices",
		MDEV_BUS "/drivers/" MDEV_DRV,
	};
	char rel[PATH_MAX];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(rel, sizeof(rel), "%s/%s", dirs[i], uuid);
		TRY(unlink_quiet(s, rel));
	}
	/* the group goes with its only device */
	snprintf(rel, sizeof(rel), IOMMU_GROUPS "/%d", m->iommu_group);
	TRY(remove_tree_quiet(s, rel));
	snprintf(rel, sizeof(rel), MATRIX_DEV "/%s", uuid);
	return remove_tree_quiet(s, rel);
}

static const struct ap_mdev *find_mdev(const struct ap_state *st, const char *uuid)
{
	int i = state_find_mdev(st, uuid);

	return i >= 0 ? &st->mdevs[i] : NULL;
}

static bool same_matrix(const struct ap_matrix *a, const struct ap_matrix *b)
{
	return idset_equal(&a->apm, &b->apm) && idset_equal(&a->aqm, &b->aqm) &&
	       idset_equal(&a->adm, &b->adm);
}

static bool same_private(const struct ap_state *old, const struct ap_state *st)
{
	if (old->nmdevs != st->nmdevs || old->noverrides != st->noverrides)
		return false;
	for (size_t i = 0; i < st->nmdevs; i++)
		if (strcmp(old->mdevs[i].uuid, st->mdevs[i].uuid) ||
		    (old->mdevs[i].in_use == 1) != (st->mdevs[i].in_use == 1) ||
		    old->mdevs[i].removing != st->mdevs[i].removing ||
		    old->mdevs[i].iommu_group != st->mdevs[i].iommu_group ||
		    old->mdevs[i].vfio_dev != st->mdevs[i].vfio_dev)
			return false;
	if (memcmp(&old->qoffline, &st->qoffline, sizeof(st->qoffline)) ||
	    old->rebind_pending != st->rebind_pending || old->rebind_due != st->rebind_due)
		return false;
	idset_foreach(a, &st->cards)
		if (old->card[a].zoffline != st->card[a].zoffline)
			return false;
	return !st->noverrides ||
	       !memcmp(old->overrides, st->overrides, st->noverrides * sizeof(*st->overrides));
}

/* Cards configured, checkstopped or set offline, and queues set offline: their attributes. */
static int sync_states(struct sysfs *s, const struct ap_state *old, const struct ap_state *st)
{
	idset_foreach(a, &st->cards) {
		const struct ap_card *o = &old->card[a], *n = &st->card[a];
		bool card = idset_has(&old->cards, (unsigned)a) &&
			    (o->config != n->config || o->chkstop != n->chkstop ||
			     o->online != n->online);

		if (card)
			TRY(sbx_render_card_state(s, st, (unsigned)a));
		if (!card && idset_equal(&old->qoffline.dom[a], &st->qoffline.dom[a]))
			continue;
		idset_foreach(d, &st->queues.dom[a]) {
			if (!apqnset_has(&old->queues, (unsigned)a, (unsigned)d))
				continue;
			if (card || apqnset_has(&old->qoffline, (unsigned)a, (unsigned)d) !=
					    apqnset_has(&st->qoffline, (unsigned)a, (unsigned)d))
				TRY(sbx_render_queue_state(s, st, (unsigned)a, (unsigned)d));
		}
	}
	return 0;
}

/*
 * The two states a store's sync compares: the queues that may show otherwise
 * (all others show the same), and where there are many of them the mdev that
 * holds each APQN in each state (else NULL: each is looked for).
 */
struct pair {
	const struct ap_state *old, *st;
	struct apqnset look;
	const state_owners *old_owner, *owner;
};

/* Looking an owner up in each mdev costs less than a map of all up to this many queues. */
#define OWNERS_BY_SEARCH 64

static enum vfio_status vfio_status(const struct ap_state *st, const state_owners *owner,
				    unsigned a, unsigned d)
{
	int m = owner ? state_owner(owner, a, d) : state_apqn_mdev(st, a, d);

	return state_mdev_vfio_status(st, m >= 0 ? &st->mdevs[m] : NULL, a, d);
}

static bool queue_shows_same(const struct pair *p, unsigned a, unsigned d)
{
	const char *o = state_queue_driver_name(p->old, a, d), *n = state_queue_driver_name(p->st, a, d);

	if (!o != !n || (o && strcmp(o, n)))
		return false;
	return state_queue_driver(p->st, a, d) != QDRV_VFIO ||
	       vfio_status(p->old, p->old_owner, a, d) == vfio_status(p->st, p->owner, a, d);
}

/* The queues of adapters [from, to) that came or whose driver or status changed. */
struct queue_work {
	struct sysfs *s;
	const struct pair *p;
	bool again;
	unsigned from, to;
	bool rebound;
	int rc;
	pthread_t thread;
	bool started;
};

/* Whether m shows its queues otherwise than was did: what a queue's vfio_ap status reads of it. */
static bool mdev_shows_other(const struct ap_mdev *was, const struct ap_mdev *m)
{
	return !same_matrix(&was->matrix, &m->matrix) || (was->in_use == 1) != (m->in_use == 1) ||
	       was->has_guest != m->has_guest || !same_matrix(&was->guest, &m->guest);
}

static void look_at_matrix(struct pair *p, const struct ap_mdev *m)
{
	apqnset_add_product(&p->look, &m->matrix.apm, &m->matrix.aqm);
}

/*
 * The queues whose driver or vfio_ap status may differ between the states:
 * every queue of an adapter whose queue devices or bindings changed, and the
 * queues in the matrices of the mdevs that came, went or changed. Another
 * kernel or set of drivers: all of them.
 */
static void queues_to_look_at(struct pair *p)
{
	const struct ap_state *old = p->old, *st = p->st;

	apqnset_clear(&p->look);
	if (old->ndrivers != st->ndrivers || memcmp(&old->kernel, &st->kernel, sizeof(st->kernel)) ||
	    memcmp(old->drivers, st->drivers, st->ndrivers * sizeof(*st->drivers))) {
		for (unsigned a = 0; a < IDSET_BITS; a++)
			idset_fill(&p->look.dom[a]);
		return;
	}
	for (unsigned a = 0; a < IDSET_BITS; a++)
		if (!idset_equal(&old->queues.dom[a], &st->queues.dom[a]) ||
		    memcmp(old->qdrv[a], st->qdrv[a], sizeof(st->qdrv[a])))
			idset_fill(&p->look.dom[a]);
	for (size_t i = 0; i < st->nmdevs; i++) {
		const struct ap_mdev *m = &st->mdevs[i], *was = find_mdev(old, m->uuid);

		if (was && !mdev_shows_other(was, m))
			continue;
		look_at_matrix(p, m);
		if (was)
			look_at_matrix(p, was);
	}
	for (size_t i = 0; i < old->nmdevs; i++)
		if (!find_mdev(st, old->mdevs[i].uuid))
			look_at_matrix(p, &old->mdevs[i]);
}

/* Whether queue (a, d) of st is shown otherwise than in old. */
static bool queue_changed(const struct pair *p, unsigned a, unsigned d)
{
	return !apqnset_has(&p->old->queues, a, d) || !queue_shows_same(p, a, d);
}

/*
 * For tests only: APCTL_TEST_KILL_IN_SYNC=N kills the emulated kernel once it
 * rebound N queues of a store, to test that the next store finishes it.
 */
static void queue_done(void)
{
	static long limit = -1, done;
	const char *v;

	if (limit < 0) {
		v = getenv("APCTL_TEST_KILL_IN_SYNC");
		limit = v && *v ? atol(v) : 0;
	}
	if (limit && __atomic_add_fetch(&done, 1, __ATOMIC_RELAXED) >= limit)
		raise(SIGKILL);
}

static void *sync_range(void *arg)
{
	struct queue_work *w = arg;
	struct sbx_links l;

	sbx_links_init(&l, w->s);
	l.again = w->again;
	for (unsigned a = w->from; a < w->to && !w->rc; a++) {
		struct idset look = idset_and(&w->p->st->queues.dom[a], &w->p->look.dom[a]);

		idset_foreach(d, &look) {
			if (w->rc)
				break;
			if (!queue_changed(w->p, a, (unsigned)d))
				continue;
			w->rc = apqnset_has(&w->p->old->queues, a, (unsigned)d) ?
					sbx_rebind_queue(&l, w->p->old, w->p->st, a, (unsigned)d) :
					sbx_render_queue(&l, w->p->st, a, (unsigned)d);
			w->rebound = true;
			queue_done();
		}
	}
	sbx_links_close(&l);
	return NULL;
}

/*
 * The queues that came or changed, in up to SYNC_THREADS threads on adapters
 * of about as many changes each, when there are many: a rebinding of
 * thousands of queues is file system calls, which run side by side.
 */
#define SYNC_THREADS 4
#define SYNC_PER_THREAD 1024

/* Splits the adapters among the threads: how many there are. */
static size_t share_out(const struct pair *p, struct queue_work *w,
			const struct queue_work *model)
{
	unsigned count[IDSET_BITS] = { 0 }, total = 0, a = 0, share;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = 0, threads;

	for (unsigned i = 0; i < IDSET_BITS; i++) {
		struct idset look = idset_and(&p->st->queues.dom[i], &p->look.dom[i]);

		idset_foreach(d, &look)
			count[i] += queue_changed(p, i, (unsigned)d);
		total += count[i];
	}
	threads = total / SYNC_PER_THREAD;
	threads = threads < 1 ? 1 : threads > SYNC_THREADS ? SYNC_THREADS : threads;
	threads = cpus > 0 && (size_t)cpus < threads ? (size_t)cpus : threads;
	share = (total + (unsigned)threads - 1) / (unsigned)threads;
	for (n = 0; n < threads; n++) {
		unsigned done = 0;

		w[n] = *model;
		w[n].from = a;
		while (a < IDSET_BITS && (done < share || n + 1 == threads))
			done += count[a++];
		w[n].to = a;
	}
	return n;
}

static int sync_queues(struct sysfs *s, const struct ap_state *old, const struct ap_state *st,
		       bool again, bool *rebound)
{
	struct pair p = { .old = old, .st = st };
	struct queue_work w[SYNC_THREADS], model = { .s = s, .p = &p, .again = again };
	size_t n;
	int rc = 0;

	queues_to_look_at(&p);
	if (apqnset_count(&p.look) > OWNERS_BY_SEARCH &&
	    (!(p.old_owner = state_apqn_owners(old)) || !(p.owner = state_apqn_owners(st)))) {
		free((void *)p.old_owner);
		free((void *)p.owner);
		return -ENOMEM;
	}
	n = share_out(&p, w, &model);

	for (size_t i = 1; i < n; i++)
		w[i].started = !pthread_create(&w[i].thread, NULL, sync_range, &w[i]);
	sync_range(&w[0]);
	for (size_t i = 0; i < n; i++) {
		if (i && w[i].started)
			pthread_join(w[i].thread, NULL);
		else if (i)
			sync_range(&w[i]);
		rc = rc ? rc : w[i].rc;
		*rebound = *rebound || w[i].rebound;
	}
	free((void *)p.old_owner);
	free((void *)p.owner);
	return rc;
}

static int sync_tree(struct sysfs *s, const struct ap_state *old, const struct ap_state *st, bool again)
{
	bool rebound = false;
	char rel[REL_MAX];

	if (!same_matrix(&old->host, &st->host))
		TRY(sbx_render_host(s, st));
	if (!idset_equal(&old->apmask, &st->apmask) || !idset_equal(&old->aqmask, &st->aqmask) ||
	    old->ap_domain != st->ap_domain)
		TRY(sbx_render_masks(s, st));
	/* devices that went away, queues before their cards */
	for (unsigned a = 0; a < IDSET_BITS; a++) {
		struct idset gone = idset_minus(&old->queues.dom[a], &st->queues.dom[a]);

		idset_foreach(d, &gone) {
			sbx_queue_rel(a, (unsigned)d, rel, sizeof(rel));
			TRY(unrender_ap_device(s, rel, state_queue_driver_name(old, a, (unsigned)d)));
			rebound = true;
		}
	}
	idset_foreach(a, &old->cards) {
		if (idset_has(&st->cards, (unsigned)a))
			continue;
		snprintf(rel, sizeof(rel), AP_DEVICES "/card%02x", a);
		TRY(unrender_ap_device(s, rel, sbx_has_driver(old, AP_DRV_CARD) ? AP_DRV_CARD : NULL));
	}
	idset_foreach(a, &st->cards)
		if (!idset_has(&old->cards, (unsigned)a))
			TRY(sbx_render_card(s, st, (unsigned)a));
	TRY(sync_queues(s, old, st, again, &rebound));
	if (rebound)
		TRY(sbx_render_bindings(s, st));
	TRY(sync_states(s, old, st));
	for (size_t i = 0; i < old->nmdevs; i++)
		if (!find_mdev(st, old->mdevs[i].uuid))
			TRY(unrender_mdev(s, &old->mdevs[i]));
	for (size_t i = 0; i < st->nmdevs; i++) {
		const struct ap_mdev *m = &st->mdevs[i], *was = find_mdev(old, m->uuid);

		if (!was)
			TRY(sbx_render_mdev(s, st, m));
		else if (!same_matrix(&was->matrix, &m->matrix) ||
			 !same_matrix(&was->guest, &m->guest))
			TRY(sbx_render_mdev_matrix(s, st, m));
	}
	if (old->available_instances != st->available_instances)
		TRY(sbx_render_available(s, st));
	for (size_t i = 0; i < old->noverrides; i++)
		TRY(sbx_render_override(s, st, old->overrides[i].adapter, old->overrides[i].domain));
	for (size_t i = 0; i < st->noverrides; i++)
		TRY(sbx_render_override(s, st, st->overrides[i].adapter, st->overrides[i].domain));
	return same_private(old, st) ? 0 : sbx_render_private(s, st);
}

int sbx_sync(struct sysfs *s, const struct ap_state *old, const struct ap_state *st)
{
	return sync_tree(s, old, st, false);
}

int sbx_sync_again(struct sysfs *s, const struct ap_state *old, const struct ap_state *st)
{
	return sync_tree(s, old, st, true);
}
