/* SPDX-License-Identifier: MIT */
/*
 * The mdevs read again after a change (state_reread_mdevs()), checked
 * against what this test works out by itself: on random trees whose mdevs
 * come and go, the state holds the mdevs that a listing of the directory
 * finds, in its order; of a lazy state, those its scope does not reach keep
 * what was read of them before, and all others hold what their files say now.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apqn.h"
#include "state.h"
#include "sysfs.h"
#include "tap.h"

#define MATRIX "sys/devices/vfio_ap/matrix"
#define KINDS 40

static char root[] = "/tmp/apctl-test-reread.XXXXXX";

static void make_uuid(char *out, unsigned k)
{
	snprintf(out, UUID_STR_MAX, "%08x-0000-4000-8000-%012x", k * 2654435761u, k);
}

/* The matrix that mdev k has in generation g: adapter k % 16, domain (k + g) % 16. */
static struct ap_matrix matrix_of(unsigned k, unsigned g)
{
	struct ap_matrix m;

	memset(&m, 0, sizeof(m));
	idset_add(&m.apm, k % 16);
	idset_add(&m.aqm, (k + g) % 16);
	return m;
}

static void path_of(char *out, size_t size, unsigned k, const char *file)
{
	char uuid[UUID_STR_MAX];

	make_uuid(uuid, k);
	snprintf(out, size, "%s/" MATRIX "/%s%s%s", root, uuid, file ? "/" : "", file ? file : "");
}

/* Mdev k present or not on disk, its ap_config of generation g. */
static void put(unsigned k, bool present, unsigned g)
{
	char dir[512], file[600], text[AP_CONFIG_STR_MAX];
	struct ap_matrix m = matrix_of(k, g);
	FILE *f;

	path_of(dir, sizeof(dir), k, NULL);
	path_of(file, sizeof(file), k, "ap_config");
	if (!present) {
		unlink(file);
		rmdir(dir);
		return;
	}
	mkdir(dir, 0755);
	ap_config_render(&m, text);
	f = fopen(file, "w");
	fputs(text, f);
	fclose(f);
}

/* The index k of a UUID that make_uuid() made, or -1. */
static int kind_of(const char *uuid)
{
	char u[UUID_STR_MAX];

	for (unsigned k = 0; k < KINDS; k++) {
		make_uuid(u, k);
		if (!strcmp(u, uuid))
			return (int)k;
	}
	return -1;
}

int main(void)
{
	bool on_disk[KINDS] = { false };
	unsigned rounds = 0, wrong_order = 0, wrong_kept = 0, wrong_read = 0, kept = 0, read = 0;
	char dir[512];

	if (!mkdtemp(root))
		return 1;
	snprintf(dir, sizeof(dir), "%s/sys", root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/sys/devices", root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/sys/devices/vfio_ap", root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/" MATRIX, root);
	mkdir(dir, 0755);
	srand(1932);
	for (int round = 0; round < 300; round++, rounds++) {
		struct ap_state *st = calloc(1, sizeof(*st));
		struct sysfs s;
		struct dirent *de;
		DIR *d;
		size_t want = 0;
		bool lazy = rand() % 4 != 0, was[KINDS], reached[16] = { false };

		/* what was read before: the mdevs on disk in a random order, generation 0 */
		for (unsigned k = 0; k < KINDS; k++) {
			put(k, on_disk[k] = was[k] = rand() % 3 != 0, 0);
			if (!on_disk[k])
				continue;
			st->mdevs = realloc(st->mdevs, (st->nmdevs + 1) * sizeof(*st->mdevs));
			memmove(st->mdevs + 1, st->mdevs, st->nmdevs * sizeof(*st->mdevs));
			memset(st->mdevs, 0, sizeof(*st->mdevs));
			make_uuid(st->mdevs[0].uuid, k);
			st->mdevs[0].matrix = matrix_of(k, 0);
			st->mdevs[0].guest_pid = 1000 + (int)k;
			st->nmdevs++;
		}
		st->capmdevs = st->nmdevs;
		/* a change's reach: the queues of a few adapters; mdevs come and go, generation 1 */
		if (lazy) {
			st->scope = calloc(1, sizeof(*st->scope));
			for (int i = 0; i < 3; i++) {
				unsigned a = (unsigned)rand() % 16;

				reached[a] = true;
				for (unsigned dd = 0; dd < 16; dd++)
					apqnset_add(&st->scope->apqns, a, dd);
			}
		}
		for (unsigned k = 0; k < KINDS; k++)
			if (rand() % 4 == 0)
				on_disk[k] = !on_disk[k];
		for (unsigned k = 0; k < KINDS; k++)
			put(k, on_disk[k], 1);
		sysfs_open(&s, root);
		if (state_reread_mdevs(&s, st))
			wrong_read++;
		sysfs_close(&s);
		/* the listing's order, and what each mdev must hold */
		snprintf(dir, sizeof(dir), "%s/" MATRIX, root);
		d = opendir(dir);
		while ((de = readdir(d))) {
			int k = kind_of(de->d_name);
			const struct ap_mdev *m = want < st->nmdevs ? &st->mdevs[want] : NULL;
			struct ap_matrix before;
			bool keeps;

			if (k < 0)
				continue;
			/* the scope holds every domain of its adapters: it reaches mdev k by k's adapter */
			before = matrix_of((unsigned)k, 0);
			keeps = lazy && was[k] && !reached[k % 16];
			if (!m || strcmp(m->uuid, de->d_name)) {
				wrong_order++;
				want++;
				continue;
			}
			want++;
			kept += keeps;
			read += !keeps;
			if (keeps)
				wrong_kept += !matrix_equal(&m->matrix, &before) || m->guest_pid != 1000 + k;
			else {
				struct ap_matrix now = matrix_of((unsigned)k, 1);

				wrong_read += !matrix_equal(&m->matrix, &now) || m->guest_pid != 0;
			}
		}
		closedir(d);
		wrong_order += want != st->nmdevs;
		state_free(st);
	}
	ok(kept > 100 && read > 100, "%u rounds: %u mdevs kept, %u read again", rounds, kept, read);
	is_int(wrong_order, 0, "the mdevs are those the directory lists, in its order");
	is_int(wrong_kept, 0, "an mdev the change does not reach keeps what was read of it");
	is_int(wrong_read, 0, "every other mdev holds what its ap_config says now, and nothing else");
	for (unsigned k = 0; k < KINDS; k++)
		put(k, false, 0);
	snprintf(dir, sizeof(dir), "rm -rf '%s'", root);
	return system(dir) ? 1 : done_testing();
}
