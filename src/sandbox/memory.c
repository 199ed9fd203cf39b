/* SPDX-License-Identifier: MIT */
/*
 * The emulated kernel's memory: its whole state in one file of the sandbox,
 * as this build lays it out. A store reads it instead of the tree, so that it
 * costs what it changes; and a store first writes the state it makes beside
 * the state it found, so that the next store finishes one that was cut short.
 */
#include "memory.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "config.h"
#include "layout.h"

#define MEMORY_MAGIC "apctl-kernel-memory " PACKAGE_VERSION

struct memory_head {
	char magic[48];
	uint32_t state_size, mdev_size, override_size;
	uint64_t nmdevs, noverrides;
};

/* What of a state is not written: where its arrays and indices are in this process. */
struct attached {
	struct ap_mdev *mdevs;
	size_t capmdevs;
	struct ap_override *overrides;
	struct mdev_index *index;
	struct state_scope *scope;
};

/* st as the file holds it, its pointers put aside in *a (attach() puts them back). */
static void detach(struct ap_state *st, struct attached *a)
{
	*a = (struct attached){ st->mdevs, st->capmdevs, st->overrides, st->index, st->scope };
	st->mdevs = NULL;
	st->capmdevs = 0;
	st->overrides = NULL;
	st->index = NULL;
	st->scope = NULL;
}

static void attach(struct ap_state *st, const struct attached *a)
{
	st->mdevs = a->mdevs;
	st->capmdevs = a->capmdevs;
	st->overrides = a->overrides;
	st->index = a->index;
	st->scope = a->scope;
}

static void head_of(const struct ap_state *st, struct memory_head *h)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->magic, sizeof(h->magic), "%s", MEMORY_MAGIC);
	h->state_size = sizeof(*st);
	h->mdev_size = sizeof(*st->mdevs);
	h->override_size = sizeof(*st->overrides);
	h->nmdevs = st->nmdevs;
	h->noverrides = st->noverrides;
}

bool memory_same(struct ap_state *a, struct ap_state *b)
{
	struct attached pa, pb;
	bool same;

	if (a->nmdevs != b->nmdevs || a->noverrides != b->noverrides)
		return false;
	detach(a, &pa);
	detach(b, &pb);
	same = !memcmp(a, b, sizeof(*a));
	attach(a, &pa);
	attach(b, &pb);
	return same && (!a->nmdevs || !memcmp(a->mdevs, b->mdevs, a->nmdevs * sizeof(*a->mdevs))) &&
	       (!a->noverrides ||
		!memcmp(a->overrides, b->overrides, a->noverrides * sizeof(*a->overrides)));
}

int memory_write(struct sysfs *s, const char *rel, struct ap_state *st)
{
	struct memory_head h;
	struct iovec iov[] = {
		{ &h, sizeof(h) },
		{ st, sizeof(*st) },
		{ st->mdevs, st->nmdevs * sizeof(*st->mdevs) },
		{ st->overrides, st->noverrides * sizeof(*st->overrides) },
	};
	struct attached p;
	int rc;

	head_of(st, &h);
	detach(st, &p);
	rc = sysfs_put_iov(s, rel, 0600, iov, 4);
	attach(st, &p);
	return rc;
}

/* Reads exactly len bytes at off into the parts of iov: 0, -EINVAL when the file ends first. */
static int read_exactly(int fd, struct iovec *iov, int n, off_t off)
{
	size_t want = 0;
	ssize_t got;

	for (int i = 0; i < n; i++)
		want += iov[i].iov_len;
	if (!want)
		return 0;
	do
		got = preadv(fd, iov, n, off);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return -errno;
	/* a regular file gives less than asked for only at its end */
	return (size_t)got == want ? 0 : -EINVAL;
}

/* The whole size of a file of h's state: 0 when h is not this build's or size is not it. */
static size_t whole_size(const struct memory_head *h, off_t size)
{
	const struct ap_state *st = NULL;
	size_t want = sizeof(*h) + sizeof(*st) + h->nmdevs * sizeof(*st->mdevs) +
		      h->noverrides * sizeof(*st->overrides);

	/* another build's memory, or a torn one, is no memory */
	if (strncmp(h->magic, MEMORY_MAGIC, sizeof(h->magic)) || h->state_size != sizeof(*st) ||
	    h->mdev_size != sizeof(*st->mdevs) || h->override_size != sizeof(*st->overrides) ||
	    h->nmdevs > (uint64_t)size || h->noverrides > (uint64_t)size ||
	    (uint64_t)size != want)
		return 0;
	return want;
}

/* What the file says of pointers means nothing here. */
static void no_pointers(struct ap_state *st)
{
	st->mdevs = NULL;
	st->overrides = NULL;
	st->index = NULL;
	st->scope = NULL;
}

/* The state of the file open at fd: 0, -EINVAL when it is not this build's or not whole. */
static int read_state(int fd, struct ap_state *st)
{
	struct memory_head h;
	struct iovec iov[2] = { { &h, sizeof(h) }, { st, sizeof(*st) } };
	struct stat sb;
	int rc = fstat(fd, &sb) ? -errno : read_exactly(fd, iov, 2, 0);
	size_t m, o;

	no_pointers(st);
	if (rc)
		return rc;
	if (!whole_size(&h, sb.st_size))
		return -EINVAL;
	m = h.nmdevs * sizeof(*st->mdevs);
	o = h.noverrides * sizeof(*st->overrides);
	st->mdevs = m ? malloc(m) : NULL;
	st->capmdevs = h.nmdevs;
	st->overrides = o ? malloc(o) : NULL;
	if ((m && !st->mdevs) || (o && !st->overrides))
		return -ENOMEM;
	iov[0] = (struct iovec){ st->mdevs, m };
	iov[1] = (struct iovec){ st->overrides, o };
	return read_exactly(fd, iov, 2, (off_t)(sizeof(h) + sizeof(*st)));
}

int memory_read(struct sysfs *s, const char *rel, struct ap_state **out)
{
	int fd = sysfs_openat(s, rel, O_RDONLY, 0), rc;
	struct ap_state *st;

	if (fd < 0)
		return fd;
	st = malloc(sizeof(*st));
	rc = st ? read_state(fd, st) : -ENOMEM;
	close(fd);
	if (rc) {
		if (st) {
			free(st->mdevs);
			free(st->overrides);
		}
		free(st);
		return rc;
	}
	*out = st;
	return 0;
}

/*
 * The file's head and state lie at its start, its mdevs and overrides right
 * after: each at an offset that its type's alignment divides.
 */
_Static_assert(sizeof(struct memory_head) % _Alignof(struct ap_state) == 0, "state aligned");
_Static_assert(sizeof(struct ap_state) % _Alignof(struct ap_mdev) == 0, "mdevs aligned");
_Static_assert(sizeof(struct ap_mdev) % _Alignof(struct ap_override) == 0, "overrides aligned");

int memory_map(struct sysfs *s, const char *rel, struct ap_state **out)
{
	int fd = sysfs_openat(s, rel, O_RDONLY, 0), rc = 0;
	struct memory_head h;
	struct ap_state *st;
	struct stat sb;
	size_t len = 0;
	void *map;

	if (fd < 0)
		return fd;
	if (fstat(fd, &sb))
		rc = -errno;
	else if (!(rc = read_exactly(fd, &(struct iovec){ &h, sizeof(h) }, 1, 0)))
		rc = (len = whole_size(&h, sb.st_size)) ? 0 : -EINVAL;
	/* private: what is written to it (the index of its mdevs) stays in this process */
	map = rc ? MAP_FAILED : mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (!rc && map == MAP_FAILED)
		rc = -errno;
	close(fd);
	if (rc)
		return rc;
	st = (struct ap_state *)((struct memory_head *)map + 1);
	no_pointers(st);
	st->mdevs = h.nmdevs ? (struct ap_mdev *)(st + 1) : NULL;
	st->capmdevs = 0;
	st->overrides = h.noverrides ? (struct ap_override *)((char *)(st + 1) +
							      h.nmdevs * sizeof(*st->mdevs)) :
				       NULL;
	*out = st;
	return 0;
}

void memory_unmap(struct ap_state *st)
{
	const struct memory_head *h = st ? (const struct memory_head *)st - 1 : NULL;

	if (!st)
		return;
	state_mdevs_changed(st);
	munmap((void *)h, sizeof(*h) + sizeof(*st) + h->nmdevs * sizeof(*st->mdevs) +
				  h->noverrides * sizeof(*st->overrides));
}
