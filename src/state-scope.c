/* SPDX-License-Identifier: MIT */
/*
 * What a state holds besides the bus and the mdevs' matrices: the queues and
 * their drivers, the cards' attributes, the mdevs' guests; all of it, or for
 * a lazy read (STATE_LAZY) where a change reaches, one file per queue.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "paths.h"
#include "state-read.h"
#include "state.h"

/*
 * A lazy read reads each queue's driver link; above this many queues, listing
 * the devices and the drivers' directories costs less.
 */
#define SCOPE_QUEUES_MAX 4096

/* Queues bound to a default driver that zcrypt has set offline (STATE_QUEUE_STATES). */
static void read_queue_states(struct sysfs *s, struct ap_state *st)
{
	for (unsigned a = 0; a < IDSET_BITS; a++) {
		const struct ap_card *c = &st->card[a];

		if (c->config == 0 || c->chkstop == 1)
			continue;
		idset_foreach(d, &st->queues.dom[a]) {
			char rel[PATH_MAX];

			if (state_queue_driver(st, a, (unsigned)d) != QDRV_DEFAULT)
				continue;
			snprintf(rel, sizeof(rel), AP_DEVICES "/card%02x/%02x.%04x/online", a, a, d);
			if (state_read_number(s, rel, 1) == 0)
				apqnset_add(&st->qoffline, a, (unsigned)d);
		}
	}
}

/*
 * Queues with a driver_override. The kernel allows one only while both masks
 * are all ones (with other masks there is nothing to read), and then it
 * decides the ownership only of a queue not bound to a default driver; with
 * all, every queue's is read, since any override blocks mask writes. only
 * (or NULL) limits the queues read.
 */
static int read_overrides(struct sysfs *s, struct ap_state *st, bool all,
			  const struct apqnset *only)
{
	if (!kgen_has(st->kernel, KF_DRIVER_OVERRIDE) ||
	    !rules_overrides_allowed(&st->apmask, &st->aqmask))
		return 0;
	st->overrides_all = all;
	for (unsigned a = 0; a < IDSET_BITS; a++) {
		idset_foreach(d, &st->queues.dom[a]) {
			char rel[PATH_MAX], buf[DRIVER_NAME_MAX + 2];
			bool present;

			if ((!all && state_queue_driver(st, a, (unsigned)d) == QDRV_DEFAULT) ||
			    (only && !apqnset_has(only, a, (unsigned)d)))
				continue;
			snprintf(rel, sizeof(rel), AP_DEVICES "/card%02x/%02x.%04x/driver_override", a,
				 a, d);
			state_read_line(s, rel, buf, sizeof(buf), &present);
			if (!present || !buf[0] || !strcmp(buf, "(null)"))
				continue;
			if (state_add_override(st, a, (unsigned)d, buf))
				return -ENOMEM;
		}
	}
	return 0;
}

static bool product_meets(const struct ap_matrix *m, const struct apqnset *s)
{
	idset_foreach(a, &m->apm)
		if (idset_intersects(&s->dom[a], &m->aqm))
			return true;
	return false;
}

static bool product_empty(const struct ap_matrix *m)
{
	return idset_empty(&m->apm) || idset_empty(&m->aqm);
}

bool state_scope_reaches(const struct state_scope *sc, const struct ap_matrix *m)
{
	return product_empty(m) ? sc->guests : product_meets(m, &sc->apqns);
}

/*
 * Queue (a, d): whether it exists, and the driver it is bound to. listed:
 * its card's directory was listed and holds it, so only a driver is looked for.
 */
static void read_queue(struct sysfs *s, struct ap_state *st, unsigned a, unsigned d, bool listed)
{
	char rel[PATH_MAX], link[PATH_MAX];
	const char *name;

	snprintf(rel, sizeof(rel), AP_DEVICES "/card%02x/%02x.%04x/driver", a, a, d);
	if (sysfs_readlink(s, rel, link, sizeof(link)) >= 0) {
		name = strrchr(link, '/');
		apqnset_add(&st->queues, a, d);
		st->qdrv[a][d] = state_driver_named(st, name ? name + 1 : link);
		return;
	}
	/* unbound, or no such queue */
	rel[strlen(rel) - strlen("/driver")] = '\0';
	if (listed || sysfs_is_dir(s, rel))
		apqnset_add(&st->queues, a, d);
}

struct card_queues {
	unsigned a;
	struct idset d;
};

static int add_card_queue(const char *name, unsigned char type, void *ctx)
{
	struct card_queues *c = ctx;
	unsigned a, d;

	(void)type;
	if (state_parse_queue_name(name, &a, &d) && a == c->a)
		idset_add(&c->d, d);
	return 0;
}

/*
 * Whether listing the drivers' directories costs less than the driver links
 * of the queues of q, about three calls each: a listing is a few calls, and
 * each entry costs about a quarter of a call (ext4 here) of as many queues as
 * the cards can have; then the directory of each card of q tells which of
 * its queues exist. A state that knows no cards may be of the largest host.
 */
static bool listing_costs_less(const struct ap_state *st, const struct apqnset *q)
{
	size_t want = apqnset_count(q), queues = idset_count(&st->cards) * (st->max_domain + 1);
	struct idset of = apqnset_adapters(q);

	if (idset_empty(&st->cards))
		queues = IDSET_BITS * IDSET_BITS;
	return 3 * want > 3 * (st->ndrivers + 1) + queues / 4 + 4 * idset_count(&of);
}

/*
 * The queues of q with their drivers: by their driver links, after a listing
 * of the card's directory where many of its queues are asked for (most of
 * them may not exist); or where that costs less, from the drivers'
 * directories and the cards'. A card not in cards (unless NULL) has none.
 */
static int read_queues(struct sysfs *s, struct ap_state *st, const struct apqnset *q,
		       const struct idset *cards)
{
	uint8_t (*drv)[IDSET_BITS] = NULL;
	int rc = 0;

	if (listing_costs_less(st, q) && (drv = malloc(IDSET_BITS * sizeof(*drv))) &&
	    state_list_bound(s, st, drv)) {
		free(drv);
		drv = NULL;
	}
	for (unsigned a = 0; !rc && a < IDSET_BITS; a++) {
		struct card_queues c = { a, { { 0 } } };
		struct idset want = q->dom[a];
		bool none = cards && !idset_has(cards, a),
		     listed = !none && (drv || idset_count(&want) > 16);
		char rel[64];

		if (idset_empty(&want))
			continue;
		/* what was known of them is forgotten first */
		idset_foreach(d, &want) {
			apqnset_del(&st->queues, a, (unsigned)d);
			st->qdrv[a][d] = 0;
		}
		if (listed || none) {
			snprintf(rel, sizeof(rel), AP_DEVICES "/card%02x", a);
			rc = none ? 0 : sysfs_list(s, rel, add_card_queue, &c);
			rc = rc == -ENOENT ? 0 : rc;
			want = idset_and(&want, &c.d);
		}
		idset_foreach(d, &want) {
			if (drv) {
				apqnset_add(&st->queues, a, (unsigned)d);
				st->qdrv[a][d] = drv[a][d];
			} else {
				read_queue(s, st, a, (unsigned)d, listed);
			}
		}
	}
	free(drv);
	return rc;
}

int state_read_bindings_of(struct sysfs *s, struct ap_state *st, const struct apqnset *q)
{
	int rc;

	if (apqnset_count(q) > SCOPE_QUEUES_MAX)
		return state_read_bindings(s, st);
	rc = state_read_drivers(s, st);
	return rc ? rc : read_queues(s, st, q, NULL);
}

/* All that st's flags ask, as state_read() without STATE_LAZY; the scope goes. */
static int fill_all(struct sysfs *s, struct ap_state *st)
{
	struct state_scope *had = st->scope;
	unsigned flags = st->flags;
	int rc = state_read_devices(s, st);

	if (rc)
		return rc;
	idset_foreach(a, &st->cards)
		if (!had || !idset_has(&had->cards, (unsigned)a))
			state_read_card(s, (unsigned)a, flags, &st->card[a]);
	if (flags & STATE_QUEUE_STATES)
		read_queue_states(s, st);
	if (flags & STATE_DETAILS) {
		/* depth shows TAPQ's field plus one from 6.19 (section 2.2) */
		idset_foreach(a, &st->cards)
			if (kgen_has(st->kernel, KF_DEPTH_PLUS_ONE) && st->card[a].depth > 0)
				st->card[a].depth--;
	}
	free(st->overrides);
	st->overrides = NULL;
	st->noverrides = 0;
	if (flags & (STATE_OVERRIDES | STATE_OVERRIDES_ALL)) {
		rc = read_overrides(s, st, flags & STATE_OVERRIDES_ALL, NULL);
		if (rc)
			return rc;
	}
	/* the guests not read yet */
	for (size_t i = 0; (flags & STATE_GUESTS) && i < st->nmdevs; i++)
		if (!had || !state_scope_reaches(had, &st->mdevs[i].matrix))
			state_read_mdev_guest(s, st, i);
	st->scope = NULL;
	free(had);
	state_mdevs_changed(st);
	return 0;
}

/*
 * The queues a lazy read adds for want: its own, and all those of the
 * matrices of mdevs that reach them, less what is read.
 */
static void scope_closure(const struct ap_state *st, const struct state_scope *want,
			  struct apqnset *add)
{
	bool more = true;

	*add = want->apqns;
	while (more) {
		more = false;
		for (size_t i = 0; i < st->nmdevs; i++) {
			const struct ap_matrix *m = &st->mdevs[i].matrix;
			struct apqnset prod;

			if (product_empty(m) || !product_meets(m, add))
				continue;
			apqnset_clear(&prod);
			apqnset_add_product(&prod, &m->apm, &m->aqm);
			apqnset_minus(&prod, &prod, add);
			if (apqnset_empty(&prod))
				continue;
			apqnset_add_product(add, &m->apm, &m->aqm);
			more = true;
		}
	}
	apqnset_minus(add, add, &st->scope->apqns);
}

/* What a scope cannot hold: every queue's file, or every override that blocks mask writes. */
static bool needs_all(const struct ap_state *st)
{
	return (st->flags & (STATE_DETAILS | STATE_QUEUE_STATES)) ||
	       ((st->flags & STATE_OVERRIDES_ALL) && kgen_has(st->kernel, KF_DRIVER_OVERRIDE) &&
		rules_overrides_allowed(&st->apmask, &st->aqmask));
}

/* The guests and groups that want adds to what sc has read. */
static void fill_guests(struct sysfs *s, struct ap_state *st, const struct state_scope *sc,
			const struct state_scope *want, const struct apqnset *add)
{
	bool groups = want->groups && !sc->groups, empty = want->guests && !sc->guests;

	for (size_t i = 0; (st->flags & STATE_GUESTS) && i < st->nmdevs; i++) {
		const struct ap_matrix *m = &st->mdevs[i].matrix;

		if (product_empty(m) ? empty : product_meets(m, add))
			state_read_mdev_guest(s, st, i);
		else if (groups)
			st->mdevs[i].iommu_group = state_mdev_group(s, st->mdevs[i].uuid);
	}
	if (groups)
		state_mdevs_changed(st);
}

int state_fill(struct sysfs *s, struct ap_state *st, const struct state_scope *want)
{
	struct state_scope *sc = st->scope;
	struct apqnset *add;
	struct idset cards;
	int rc = 0;

	if (!sc)
		return 0;
	if (!want || needs_all(st))
		return fill_all(s, st);
	add = malloc(sizeof(*add));
	if (!add)
		return -ENOMEM;
	scope_closure(st, want, add);
	if (apqnset_count(add) + apqnset_count(&sc->apqns) > SCOPE_QUEUES_MAX) {
		free(add);
		return fill_all(s, st);
	}
	cards = apqnset_adapters(add);
	cards = idset_or(&cards, &want->cards);
	cards = idset_minus(&cards, &sc->cards);
	cards = idset_and(&cards, &st->cards);
	idset_foreach(a, &cards)
		state_read_card(s, (unsigned)a, st->flags, &st->card[a]);
	rc = read_queues(s, st, add, &st->cards);
	if (!rc && (st->flags & (STATE_OVERRIDES | STATE_OVERRIDES_ALL)))
		rc = read_overrides(s, st, st->flags & STATE_OVERRIDES_ALL, add);
	if (!rc)
		fill_guests(s, st, sc, want, add);
	sc->cards = idset_or(&sc->cards, &cards);
	for (unsigned a = 0; a < IDSET_BITS; a++)
		sc->apqns.dom[a] = idset_or(&sc->apqns.dom[a], &add->dom[a]);
	sc->groups |= want->groups;
	sc->guests |= want->guests;
	free(add);
	return rc;
}

int state_reread(struct sysfs *s, struct ap_state *st)
{
	struct state_scope *sc = st->scope;
	struct diag d;
	int rc = state_read_bus(s, st, &d);

	if (!rc)
		rc = sc ? state_read_bindings_of(s, st, &sc->apqns) : state_read_bindings(s, st);
	idset_foreach(a, sc ? &sc->cards : &st->cards)
		if (!rc)
			state_read_card(s, (unsigned)a, st->flags, &st->card[a]);
	return rc ? rc : state_reread_mdevs(s, st);
}
