/* SPDX-License-Identifier: MIT */
#include "reserve.h"

#include <stdlib.h>
#include <string.h>

/* Enumerating 2^n ways is exact up to this n. */
#define EXACT_MAX 16

struct problem {
	struct idset oa, od;     /* host-owned IDs of the scope: owned APQNs are oa x od */
	struct apqnset *pending; /* APQNs asked for that the host still owns */
	struct idset ra, rd;     /* their adapters and domains */
};

/* APQNs of the scope that the host loses when A and D are cleared */
static unsigned moved(const struct problem *p, const struct idset *a, const struct idset *d)
{
	struct idset aa = idset_and(a, &p->oa), dd = idset_and(d, &p->od);
	unsigned na = idset_count(&aa), nd = idset_count(&dd);

	return na * idset_count(&p->od) + idset_count(&p->oa) * nd - na * nd;
}

/* Clearing the adapters in a leaves these domains to clear. */
static struct idset domains_left(const struct problem *p, const struct idset *a)
{
	struct idset d = { { 0 } };

	for (unsigned x = 0; x < IDSET_BITS; x++)
		if (!idset_has(a, x))
			d = idset_or(&d, &p->pending->dom[x]);
	return d;
}

/* Clearing the domains in d leaves these adapters to clear. */
static struct idset adapters_left(const struct problem *p, const struct idset *d)
{
	struct idset a = { { 0 } };

	idset_foreach(x, &p->ra)
		if (!idset_subset(&p->pending->dom[x], d))
			idset_add(&a, (unsigned)x);
	return a;
}

/* Lower cost, then fewer bits, then fewer domain bits. */
static bool better(const struct problem *p, const struct idset *a, const struct idset *d,
		   const struct reserve_plan *best)
{
	unsigned m = moved(p, a, d), bm = best->moved;
	unsigned bits = idset_count(a) + idset_count(d);
	unsigned bbits = idset_count(&best->clear_apm) + idset_count(&best->clear_aqm);

	if (m != bm)
		return m < bm;
	if (bits != bbits)
		return bits < bbits;
	return idset_count(d) < idset_count(&best->clear_aqm);
}

static void consider(const struct problem *p, const struct idset *a, const struct idset *d,
		     struct reserve_plan *best)
{
	if (better(p, a, d, best)) {
		best->clear_apm = *a;
		best->clear_aqm = *d;
		best->moved = moved(p, a, d);
	}
}

/* Every subset of side (adapters when by_adapter) chosen; the other side follows. */
static void enumerate(const struct problem *p, bool by_adapter, struct reserve_plan *best)
{
	const struct idset *side = by_adapter ? &p->ra : &p->rd;
	unsigned ids[EXACT_MAX], n = 0;

	idset_foreach(x, side)
		ids[n++] = (unsigned)x;
	for (unsigned long bits = 0; bits < (1UL << n); bits++) {
		struct idset chosen = { { 0 } }, rest;

		for (unsigned i = 0; i < n; i++)
			if (bits & (1UL << i))
				idset_add(&chosen, ids[i]);
		if (by_adapter) {
			rest = domains_left(p, &chosen);
			consider(p, &chosen, &rest, best);
		} else {
			rest = adapters_left(p, &chosen);
			consider(p, &rest, &chosen, best);
		}
	}
}

/* Beyond exact enumeration: clear, one at a time, the ID that covers most per APQN moved. */
static void greedy(const struct problem *p, struct reserve_plan *best)
{
	struct idset a = { { 0 } }, d = { { 0 } };
	struct apqnset *left = malloc(sizeof(*left));

	if (!left)
		return;
	*left = *p->pending;
	while (!apqnset_empty(left)) {
		unsigned cols[IDSET_BITS] = { 0 };
		int pick = -1;
		bool pick_adapter = true;
		double pick_score = -1;

		for (unsigned y = 0; y < IDSET_BITS; y++)
			idset_foreach(x, &left->dom[y])
				cols[x]++;
		for (unsigned x = 0; x < IDSET_BITS; x++) {
			unsigned rows = idset_count(&left->dom[x]);
			struct idset na = a, nd = d;
			double score;

			/* adapter x covers its row of left, domain x its column */
			if (rows) {
				idset_add(&na, x);
				score = (double)rows / (1 + moved(p, &na, &d) - moved(p, &a, &d));
				if (score > pick_score) {
					pick_score = score;
					pick = (int)x;
					pick_adapter = true;
				}
			}
			if (cols[x]) {
				idset_add(&nd, x);
				score = (double)cols[x] / (1 + moved(p, &a, &nd) - moved(p, &a, &d));
				if (score > pick_score) {
					pick_score = score;
					pick = (int)x;
					pick_adapter = false;
				}
			}
		}
		if (pick_adapter) {
			idset_add(&a, (unsigned)pick);
			idset_clear(&left->dom[pick]);
		} else {
			idset_add(&d, (unsigned)pick);
			for (unsigned y = 0; y < IDSET_BITS; y++)
				idset_del(&left->dom[y], (unsigned)pick);
		}
	}
	free(left);
	consider(p, &a, &d, best);
}

void reserve_smallest(const struct idset *apmask, const struct idset *aqmask,
		      const struct idset *scope_apm, const struct idset *scope_aqm,
		      const struct apqnset *want, struct reserve_plan *out)
{
	struct problem p;
	struct apqnset *pending = malloc(sizeof(*pending));

	memset(out, 0, sizeof(*out));
	if (!pending)
		return;
	p.oa = idset_and(scope_apm, apmask);
	p.od = idset_and(scope_aqm, aqmask);
	apqnset_clear(pending);
	apqnset_add_product(pending, apmask, aqmask);
	apqnset_and(pending, pending, want);
	p.pending = pending;
	p.ra = apqnset_adapters(pending);
	idset_clear(&p.rd);
	for (unsigned x = 0; x < IDSET_BITS; x++)
		p.rd = idset_or(&p.rd, &pending->dom[x]);
	if (idset_empty(&p.ra)) {
		free(pending);
		return;
	}
	/* a first plan: clear every adapter asked for */
	out->clear_apm = p.ra;
	out->moved = moved(&p, &p.ra, &out->clear_aqm);
	if (idset_count(&p.ra) <= EXACT_MAX && idset_count(&p.ra) <= idset_count(&p.rd))
		enumerate(&p, true, out);
	else if (idset_count(&p.rd) <= EXACT_MAX)
		enumerate(&p, false, out);
	else
		greedy(&p, out);
	free(pending);
}
