/* SPDX-License-Identifier: MIT */
/* The smallest reservation of given APQNs, checked against an exhaustive search. */
#include <stdlib.h>

#include "masksyntax.h"
#include "reserve.h"
#include "tap.h"

static struct idset ids(const char *list)
{
	struct idset s = { { 0 } };

	if (*list)
		idlist_parse(list, 255, "test", &s, NULL);
	return s;
}

static struct apqnset *want(const char *apqns)
{
	struct apqnset *w = calloc(1, sizeof(*w));
	char copy[512], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", apqns);
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		unsigned a, d;

		if (apqn_parse(t, &a, &d, NULL) == 0)
			apqnset_add(w, a, d);
	}
	return w;
}

static void plan_is(const char *apqns, const char *apm, const char *aqm, const char *want_apm,
		    const char *want_aqm, unsigned want_moved)
{
	struct idset all = ids("0-255"), ha = ids(apm), hd = ids(aqm);
	struct apqnset *w = want(apqns);
	struct reserve_plan p;
	char ga[IDLIST_MAX], gd[IDLIST_MAX];

	reserve_smallest(&all, &all, &ha, &hd, w, &p);
	idlist_format(&p.clear_apm, ga, sizeof(ga));
	idlist_format(&p.clear_aqm, gd, sizeof(gd));
	ok(!strcmp(ga, want_apm) && !strcmp(gd, want_aqm) && p.moved == want_moved,
	   "%s on adapters {%s} x domains {%s}: clear adapters {%s} domains {%s}, %u move "
	   "(got {%s} {%s} %u)", apqns, apm, aqm, want_apm, want_aqm, want_moved, ga, gd, p.moved);
	free(w);
}

/* The fewest APQNs any cover can move, by trying every set of adapters and domains. */
static unsigned brute_force(const struct idset *apmask, const struct idset *aqmask,
			    const struct idset *sa, const struct idset *sd, const struct apqnset *w,
			    const unsigned *ra, unsigned na, const unsigned *rd, unsigned nd)
{
	unsigned best = ~0u;

	for (unsigned long m = 0; m < (1UL << (na + nd)); m++) {
		struct idset a = { { 0 } }, d = { { 0 } }, na_m, nd_m;
		bool covers = true;
		unsigned moved = 0;

		for (unsigned i = 0; i < na; i++)
			if (m & (1UL << i))
				idset_add(&a, ra[i]);
		for (unsigned i = 0; i < nd; i++)
			if (m & (1UL << (na + i)))
				idset_add(&d, rd[i]);
		for (unsigned x = 0; x < 256; x++)
			idset_foreach(y, &w->dom[x])
				if (idset_has(apmask, x) && idset_has(aqmask, (unsigned)y) &&
				    !idset_has(&a, x) && !idset_has(&d, (unsigned)y))
					covers = false;
		if (!covers)
			continue;
		na_m = idset_minus(apmask, &a);
		nd_m = idset_minus(aqmask, &d);
		idset_foreach(x, sa)
			idset_foreach(y, sd)
				moved += idset_has(apmask, (unsigned)x) &&
					 idset_has(aqmask, (unsigned)y) &&
					 !(idset_has(&na_m, (unsigned)x) && idset_has(&nd_m, (unsigned)y));
		if (moved < best)
			best = moved;
	}
	return best;
}

int main(void)
{
	/* the kernel document's example: all eight APQNs of adapters 5 and 6 */
	plan_is("05.0004,05.0047,05.00ab,05.00ff,06.0004,06.0047,06.00ab,06.00ff", "5,6",
		"4,0x47,0xab,0xff", "5,6", "", 8);
	/* one APQN: its domain moves fewer others than its adapter */
	plan_is("05.0047", "5,6", "4,0x47,0xab,0xff", "", "0x47", 2);
	/* one domain on both adapters */
	plan_is("05.0004,06.0004", "5,6", "4,0x47,0xab,0xff", "", "4", 2);
	/* one adapter's four domains */
	plan_is("06.0004,06.0047,06.00ab,06.00ff", "5,6", "4,0x47,0xab,0xff", "6", "", 4);
	/* a tie on what moves: fewer bits, then the adapter */
	plan_is("05.0004", "5", "4", "5", "", 1);
	/* outside the host configuration nothing moves: the adapter bit */
	plan_is("07.0010", "5,6", "4,0x47,0xab,0xff", "7", "", 0);
	/* a mix: adapter 5 whole and one more APQN */
	plan_is("05.0004,05.0047,05.00ab,05.00ff,06.00ff", "5,6", "4,0x47,0xab,0xff", "5", "0xff", 5);
	{
		/* what the masks already keep from the host needs nothing */
		struct idset all = ids("0-255"), apm = ids("0-4,6-255"), ha = ids("5,6"),
			     hd = ids("4,0x47");
		struct apqnset *w = want("05.0004,05.0047");
		struct reserve_plan p;

		reserve_smallest(&apm, &all, &ha, &hd, w, &p);
		ok(idset_empty(&p.clear_apm) && idset_empty(&p.clear_aqm) && p.moved == 0,
		   "already reserved: nothing to clear");
		free(w);
	}

	/* random small cases: the plan moves no more than the best of all covers */
	{
		int good = 1, n = 0;

		srandom(11);
		for (int i = 0; i < 300 && good; i++) {
			struct idset apmask = ids("0-255"), aqmask = ids("0-255"), sa = { { 0 } },
				     sd = { { 0 } };
			struct apqnset *w = calloc(1, sizeof(*w));
			unsigned ra[6], rd[6], na = 0, nd = 0, best;
			struct reserve_plan p;

			for (unsigned x = 0; x < 6; x++) {
				if (random() % 3)
					idset_add(&sa, x);
				if (random() % 3)
					idset_add(&sd, x);
				if (random() % 5 == 0)
					idset_del(&apmask, x);
				if (random() % 5 == 0)
					idset_del(&aqmask, x);
			}
			for (int k = 0; k < 1 + (int)(random() % 6); k++)
				apqnset_add(w, (unsigned)(random() % 6), (unsigned)(random() % 6));
			for (unsigned x = 0; x < 6; x++) {
				if (!idset_empty(&w->dom[x]))
					ra[na++] = x;
				for (unsigned y = 0; y < 6; y++)
					if (idset_has(&w->dom[y], x)) {
						rd[nd++] = x;
						break;
					}
			}
			reserve_smallest(&apmask, &aqmask, &sa, &sd, w, &p);
			best = brute_force(&apmask, &aqmask, &sa, &sd, w, ra, na, rd, nd);
			/* and the plan must cover every APQN asked for */
			for (unsigned x = 0; x < 6; x++)
				idset_foreach(y, &w->dom[x])
					if (idset_has(&apmask, x) && idset_has(&aqmask, (unsigned)y) &&
					    !idset_has(&p.clear_apm, x) &&
					    !idset_has(&p.clear_aqm, (unsigned)y))
						good = 0;
			if (p.moved != best) {
				good = 0;
				printf("# case %d: plan moves %u, best %u\n", i, p.moved, best);
			}
			n++;
			free(w);
		}
		ok(good, "%d random cases: the plan covers everything and is optimal", n);
	}

	/* beyond exact search: a diagonal of 40 APQNs still gets a cover */
	{
		struct idset all = ids("0-255"), ha = ids("0-49"), hd = ids("0-49");
		struct apqnset *w = calloc(1, sizeof(*w));
		struct reserve_plan p;
		bool covered = true;

		for (unsigned x = 0; x < 40; x++)
			apqnset_add(w, x, x);
		reserve_smallest(&all, &all, &ha, &hd, w, &p);
		for (unsigned x = 0; x < 40; x++)
			covered &= idset_has(&p.clear_apm, x) || idset_has(&p.clear_aqm, x);
		ok(covered && p.moved < 50 * 50, "40 APQNs on a diagonal: covered, %u moved", p.moved);
		free(w);
	}
	return done_testing();
}
