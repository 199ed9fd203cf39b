/* SPDX-License-Identifier: MIT */
/*
 * The mdevs' index by UUID and the lowest free numbers, checked against a
 * plain search written here, over random additions, removals, reorders and
 * numbers given later, with UUIDs in either case and twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "state.h"
#include "tap.h"

/* The first mdev with this UUID in any case, as a scan finds it. */
static int scan_find(const struct ap_state *st, const char *uuid)
{
	for (size_t i = 0; i < st->nmdevs; i++)
		if (!strcasecmp(st->mdevs[i].uuid, uuid))
			return (int)i;
	return -1;
}

/* The smallest number no mdev has, by trying each. */
static int scan_lowest(const struct ap_state *st, bool vfio_dev)
{
	for (int n = 0;; n++) {
		size_t i = 0;

		while (i < st->nmdevs && (vfio_dev ? st->mdevs[i].vfio_dev : st->mdevs[i].iommu_group) != n)
			i++;
		if (i == st->nmdevs)
			return n;
	}
}

static void make_uuid(char *out, unsigned k, bool upper)
{
	snprintf(out, UUID_STR_MAX, upper ? "%08X-0000-4000-8000-%012X" : "%08x-0000-4000-8000-%012x",
		 k, k * 7u);
}

static void add(struct ap_state *st, unsigned k, bool upper)
{
	struct ap_mdev *m;

	st->mdevs = realloc(st->mdevs, (st->nmdevs + 1) * sizeof(*st->mdevs));
	m = &st->mdevs[st->nmdevs++];
	memset(m, 0, sizeof(*m));
	make_uuid(m->uuid, k, upper);
	m->iommu_group = state_lowest_free(st, false);
	m->vfio_dev = rand() % 4 ? state_lowest_free(st, true) : -1;
	state_mdev_added(st);
}

/* One random step: mostly additions, some removals, reorders and renumberings. */
static void step(struct ap_state *st)
{
	int r = rand() % 20;
	size_t i = st->nmdevs ? (size_t)rand() % st->nmdevs : 0;

	if (r < 12 || !st->nmdevs) {
		add(st, (unsigned)rand() % 4000, rand() % 2);
	} else if (r < 17) {
		memmove(&st->mdevs[i], &st->mdevs[i + 1], (st->nmdevs - i - 1) * sizeof(*st->mdevs));
		st->nmdevs--;
		state_mdevs_changed(st);
	} else if (r < 19) {
		struct ap_mdev t = st->mdevs[i];

		st->mdevs[i] = st->mdevs[0];
		st->mdevs[0] = t;
		state_mdevs_changed(st);
	} else {
		st->mdevs[i].iommu_group = -1;
		state_mdevs_changed(st);
	}
}

int main(void)
{
	struct ap_state *st = calloc(1, sizeof(*st));
	char uuid[UUID_STR_MAX];
	unsigned finds = 0, wrong = 0, lows = 0, wrong_low = 0;

	srand(1905);
	for (int round = 0; round < 3000; round++) {
		step(st);
		/* every few steps, each question of both, as the plain search answers it */
		for (int q = 0; q < 8; q++) {
			make_uuid(uuid, (unsigned)rand() % 4000, rand() % 2);
			finds++;
			wrong += state_find_mdev(st, uuid) != scan_find(st, uuid);
		}
		for (int v = 0; v < 2; v++) {
			lows++;
			wrong_low += state_lowest_free(st, v) != scan_lowest(st, v);
		}
	}
	ok(st->nmdevs > 200, "the random steps leave %zu mdevs", st->nmdevs);
	is_int(wrong, 0, "%u lookups by UUID, each the first match a scan finds", finds);
	is_int(wrong_low, 0, "%u lowest free numbers, each as trying every number finds it", lows);
	/* every mdev present is found where it is, the first of two with one UUID */
	wrong = 0;
	for (size_t i = 0; i < st->nmdevs; i++)
		wrong += state_find_mdev(st, st->mdevs[i].uuid) != scan_find(st, st->mdevs[i].uuid);
	is_int(wrong, 0, "each of the %zu mdevs is found by its own UUID", st->nmdevs);
	state_free(st);
	return done_testing();
}
