/* SPDX-License-Identifier: MIT */
/* Questions to a state read by state.c, and the kernel's view of it. */
#include "state.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "uuidmap.h"

uint8_t state_driver_named(const struct ap_state *st, const char *name)
{
	for (size_t i = 0; i < st->ndrivers; i++)
		if (!strcmp(st->drivers[i].name, name))
			return (uint8_t)(i + 1);
	return 0;
}

uint8_t state_driver_slot(const struct ap_state *st, enum queue_driver kind)
{
	for (size_t i = 0; i < st->ndrivers; i++)
		if (st->drivers[i].kind == kind)
			return (uint8_t)(i + 1);
	return 0;
}

enum queue_driver state_queue_driver(const struct ap_state *st, unsigned a, unsigned d)
{
	uint8_t i = st->qdrv[a & 0xff][d & 0xff];

	return i ? st->drivers[i - 1].kind : QDRV_NONE;
}

const char *state_queue_driver_name(const struct ap_state *st, unsigned a, unsigned d)
{
	uint8_t i = st->qdrv[a & 0xff][d & 0xff];

	return i ? st->drivers[i - 1].name : NULL;
}

const char *state_adapter_absence(const struct ap_state *st, unsigned a, bool one)
{
	/* a card that SCLP configured off keeps its device, with config 0 */
	if (idset_has(&st->cards, a) && st->card[a].config == 0)
		return one ? "is configured off (its card's config reads 0); it joins the guest "
			     "when it is configured on" :
			     "are configured off (their cards' config reads 0); they join the guest "
			     "when they are configured on";
	return one ? "is not in the host's AP configuration; it joins the guest when it appears" :
		     "are not in the host's AP configuration; they join the guest when they appear";
}

int state_apqn_mdev(const struct ap_state *st, unsigned a, unsigned d)
{
	for (size_t i = 0; i < st->nmdevs; i++)
		if (idset_has(&st->mdevs[i].matrix.apm, a) && idset_has(&st->mdevs[i].matrix.aqm, d))
			return (int)i;
	return -1;
}

state_owners *state_apqn_owners(const struct ap_state *st)
{
	state_owners *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	/* the first mdev that holds an APQN, as state_apqn_mdev() finds it */
	for (size_t i = st->nmdevs; i-- > 0;)
		idset_foreach(a, &st->mdevs[i].matrix.apm)
			idset_foreach(d, &st->mdevs[i].matrix.aqm)
				(*o)[a][d] = (uint32_t)i + 1;
	return o;
}

void state_vfio_ready(const struct ap_state *st, struct apqnset *out)
{
	apqnset_clear(out);
	for (unsigned a = 0; a < IDSET_BITS; a++)
		idset_foreach(d, &st->queues.dom[a])
			if (state_queue_driver(st, a, (unsigned)d) == QDRV_VFIO)
				apqnset_add(out, a, (unsigned)d);
}

enum vfio_status state_mdev_vfio_status(const struct ap_state *st, const struct ap_mdev *m,
					unsigned a, unsigned d)
{
	return rules_vfio_status(st->kernel, m != NULL, m && m->in_use == 1,
				 m && m->has_guest && idset_has(&m->guest.apm, a) &&
					 idset_has(&m->guest.aqm, d));
}

enum vfio_status state_vfio_status(const struct ap_state *st, unsigned a, unsigned d)
{
	int m = state_apqn_mdev(st, a, d);

	return state_mdev_vfio_status(st, m >= 0 ? &st->mdevs[m] : NULL, a, d);
}

struct kview_store *state_kview(const struct ap_state *st)
{
	struct kview_store *ks = calloc(1, sizeof(*ks));

	if (!ks)
		return NULL;
	ks->matrix = calloc(st->nmdevs + 1, sizeof(*ks->matrix));
	ks->attached = calloc(st->nmdevs + 1, sizeof(*ks->attached));
	if (!ks->matrix || !ks->attached) {
		state_kview_free(ks);
		return NULL;
	}
	for (unsigned a = 0; a < IDSET_BITS; a++) {
		idset_foreach(d, &st->queues.dom[a]) {
			enum queue_driver drv = state_queue_driver(st, a, (unsigned)d);

			if (drv == QDRV_VFIO)
				apqnset_add(&ks->vfio, a, (unsigned)d);
			else if (drv == QDRV_DEFAULT)
				apqnset_add(&ks->dflt, a, (unsigned)d);
		}
	}
	for (size_t i = 0; i < st->noverrides; i++)
		apqnset_add(&ks->over, st->overrides[i].adapter, st->overrides[i].domain);
	for (size_t i = 0; i < st->nmdevs; i++) {
		ks->matrix[i] = &st->mdevs[i].matrix;
		ks->attached[i] = st->mdevs[i].in_use == 1;
	}
	ks->k = (struct kview){
		.g = st->kernel,
		.apmask = st->apmask,
		.aqmask = st->aqmask,
		.max_adapter = st->max_adapter,
		.max_domain = st->max_domain,
		.host = st->host,
		.queues = &st->queues,
		.vfio = &ks->vfio,
		.dflt = &ks->dflt,
		.overridden = st->noverrides ? &ks->over : NULL,
		.vfio_loaded = st->vfio_loaded,
		.nmdevs = st->nmdevs,
		.matrix = ks->matrix,
		.attached = ks->attached,
	};
	return ks;
}

void state_kview_free(struct kview_store *ks)
{
	if (!ks)
		return;
	free(ks->matrix);
	free(ks->attached);
	free(ks);
}

static int by_uuid(const void *a, const void *b, void *arg)
{
	const struct ap_state *st = arg;

	return strcmp(st->mdevs[*(const size_t *)a].uuid, st->mdevs[*(const size_t *)b].uuid);
}

/* an mdev without a group (its link unread) after those with one */
static int by_group(const void *a, const void *b, void *arg)
{
	const struct ap_state *st = arg;
	unsigned ga = (unsigned)st->mdevs[*(const size_t *)a].iommu_group;
	unsigned gb = (unsigned)st->mdevs[*(const size_t *)b].iommu_group;

	return ga != gb ? (ga < gb ? -1 : 1) : by_uuid(a, b, arg);
}

static size_t *mdevs_sorted(const struct ap_state *st,
			    int (*cmp)(const void *, const void *, void *))
{
	size_t *order = calloc(st->nmdevs + 1, sizeof(*order));

	if (!order)
		return NULL;
	for (size_t i = 0; i < st->nmdevs; i++)
		order[i] = i;
	qsort_r(order, st->nmdevs, sizeof(*order), cmp, (void *)st);
	return order;
}

size_t *state_mdevs_by_uuid(const struct ap_state *st)
{
	return mdevs_sorted(st, by_uuid);
}

size_t *state_mdevs_by_group(const struct ap_state *st)
{
	return mdevs_sorted(st, by_group);
}

struct mdev_index {
	struct uuidmap map;         /* the mdevs by UUID */
	/* the VFIO group numbers [0] and vfio device numbers [1] in use, up to map.mask */
	uint64_t *used[2];
	size_t lowest[2];           /* no number below it is free */
};

/* Marks mdev m's numbers in use (of n mdevs, one of 0 to n is free: more need no bit). */
static void index_numbers(struct mdev_index *x, const struct ap_mdev *m)
{
	int k[2] = { m->iommu_group, m->vfio_dev };

	for (int j = 0; j < 2; j++)
		if (k[j] >= 0 && (size_t)k[j] <= x->map.mask)
			x->used[j][k[j] / 64] |= 1ULL << (k[j] % 64);
}

static void index_free(struct mdev_index *x)
{
	if (!x)
		return;
	uuidmap_free(&x->map);
	free(x->used[0]);
	free(x);
}

/* The index for the mdevs as they are now, made anew if needed; NULL when out of memory. */
static struct mdev_index *index_of(struct ap_state *st)
{
	struct mdev_index *x = st->index;
	size_t words;

	if (x && uuidmap_fits(&x->map, st->mdevs, st->nmdevs))
		return x;
	state_mdevs_changed(st);
	x = calloc(1, sizeof(*x));
	if (!x || uuidmap_make(&x->map, st->mdevs, st->nmdevs, sizeof(*st->mdevs),
			       offsetof(struct ap_mdev, uuid))) {
		index_free(x);
		return NULL;
	}
	words = x->map.mask / 64 + 1;
	x->used[0] = calloc(2 * words, sizeof(uint64_t));
	if (!x->used[0]) {
		index_free(x);
		return NULL;
	}
	x->used[1] = x->used[0] + words;
	for (size_t i = 0; i < st->nmdevs; i++)
		index_numbers(x, &st->mdevs[i]);
	return st->index = x;
}

int state_find_mdev(const struct ap_state *st, const char *uuid)
{
	/* the index is a cache: the state's mdevs are as the caller has them */
	struct mdev_index *x = index_of((struct ap_state *)st);

	if (!x) {
		for (size_t i = 0; i < st->nmdevs; i++)
			if (!strcasecmp(st->mdevs[i].uuid, uuid))
				return (int)i;
		return -1;
	}
	return uuidmap_find(&x->map, uuid);
}

void state_mdevs_changed(struct ap_state *st)
{
	index_free(st->index);
	st->index = NULL;
}

void state_mdevs_gather(struct ap_state *st, size_t n, const size_t *from, bool *todo)
{
	struct ap_mdev *v = st->mdevs;

	for (size_t j = 0; j < n; j++)
		todo[j] = from[j] != j;
	for (size_t j = 0; j < n; j++) {
		struct ap_mdev first;
		size_t k = j;

		if (!todo[j])
			continue;
		first = v[j];
		while (from[k] != j) {
			v[k] = v[from[k]];
			todo[k] = false;
			k = from[k];
		}
		v[k] = first;
		todo[k] = false;
	}
	state_mdevs_changed(st);
}

void state_mdev_added(struct ap_state *st)
{
	struct mdev_index *x = st->index;

	/* at most half full: else made anew, twice the size, when next needed */
	if (!x || !uuidmap_added(&x->map, st->mdevs, st->nmdevs)) {
		state_mdevs_changed(st);
		return;
	}
	index_numbers(x, &st->mdevs[st->nmdevs - 1]);
}

int state_lowest_free(const struct ap_state *st, bool vfio_dev)
{
	struct mdev_index *x = index_of((struct ap_state *)st);
	size_t n;

	if (!x)
		return -ENOMEM;
	/* numbers are only taken until the index is made anew: the search goes on */
	n = x->lowest[vfio_dev];
	while (x->used[vfio_dev][n / 64] & (1ULL << (n % 64)))
		n++;
	x->lowest[vfio_dev] = n;
	return (int)n;
}

int state_find_override(const struct ap_state *st, unsigned a, unsigned d)
{
	for (size_t i = 0; i < st->noverrides; i++)
		if (st->overrides[i].adapter == a && st->overrides[i].domain == d)
			return (int)i;
	return -1;
}

void state_mask_scope(const struct ap_state *st, struct idset *apm, struct idset *aqm)
{
	struct idset upa = idset_upto(st->max_adapter), upd = idset_upto(st->max_domain);

	if (st->qci) {
		*apm = idset_and(&st->host.apm, &upa);
		*aqm = idset_and(&st->host.aqm, &upd);
		return;
	}
	*apm = apqnset_adapters(&st->queues);
	idset_clear(aqm);
	for (unsigned a = 0; a < IDSET_BITS; a++)
		*aqm = idset_or(aqm, &st->queues.dom[a]);
}

const char *state_card_unusable(const struct ap_state *st, unsigned a)
{
	const struct ap_card *c = &st->card[a];

	if (c->config == 0)
		return "configured off";
	if (c->chkstop == 1)
		return "checkstopped";
	return c->zoffline || c->online == 0 ? "offline" : NULL;
}

const char *state_queue_unusable(const struct ap_state *st, unsigned a, unsigned d)
{
	const char *card = state_card_unusable(st, a);

	if (card && strcmp(card, "offline"))
		return card;
	/* zcrypt's online is of queues bound to it; vfio_ap's queues have none */
	if (state_queue_driver(st, a, d) != QDRV_DEFAULT)
		return NULL;
	return card || apqnset_has(&st->qoffline, a, d) ? "offline" : NULL;
}
