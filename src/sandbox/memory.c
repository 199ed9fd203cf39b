/* SPDX-License-Identifier: MIT */
/*
 * The emulated kernel's memory: its whole state in one file of the sandbox,
 * as this build lays it out. A store reads it instead of the tree, so that it
 * costs what it changes; and a store first writes the state it makes beside
 * the state it found, so that the next store finishes one that was cut short.
 */
#include "memory.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "layout.h"

#define MEMORY_MAGIC "apctl-kernel-memory " PACKAGE_VERSION

struct memory_head {
	char magic[48];
	uint32_t state_size, mdev_size, override_size;
	uint64_t nmdevs, noverrides;
};

char *memory_image(const struct ap_state *st, size_t *lenp)
{
	struct memory_head h = { .state_size = sizeof(*st), .mdev_size = sizeof(*st->mdevs),
				 .override_size = sizeof(*st->overrides), .nmdevs = st->nmdevs,
				 .noverrides = st->noverrides };
	size_t m = st->nmdevs * sizeof(*st->mdevs), o = st->noverrides * sizeof(*st->overrides);
	size_t len = sizeof(h) + sizeof(*st) + m + o;
	char *buf = malloc(len), *p = buf;
	struct ap_state *copy;

	if (!buf)
		return NULL;
	snprintf(h.magic, sizeof(h.magic), "%s", MEMORY_MAGIC);
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	copy = (struct ap_state *)p;
	memcpy(copy, st, sizeof(*st));
	copy->mdevs = NULL;
	copy->capmdevs = 0;
	copy->overrides = NULL;
	copy->index = NULL;
	copy->scope = NULL;
	p += sizeof(*st);
	if (m)
		memcpy(p, st->mdevs, m);
	if (o)
		memcpy(p + m, st->overrides, o);
	*lenp = len;
	return buf;
}

int memory_write(struct sysfs *s, const char *rel, const struct ap_state *st)
{
	size_t len;
	char *buf = memory_image(st, &len);
	int rc = buf ? sysfs_put(s, rel, 0600, buf, len) : -ENOMEM;

	free(buf);
	return rc;
}

/* The arrays after the state, in new memory: 0 or -ENOMEM. */
static int take_arrays(struct ap_state *st, const char *p, const struct memory_head *h)
{
	size_t m = h->nmdevs * sizeof(*st->mdevs), o = h->noverrides * sizeof(*st->overrides);

	st->mdevs = m ? malloc(m) : NULL;
	st->capmdevs = h->nmdevs;
	st->overrides = o ? malloc(o) : NULL;
	if ((m && !st->mdevs) || (o && !st->overrides))
		return -ENOMEM;
	if (m)
		memcpy(st->mdevs, p, m);
	if (o)
		memcpy(st->overrides, p + m, o);
	return 0;
}

int memory_read(struct sysfs *s, const char *rel, struct ap_state **out)
{
	int err = 0;
	size_t len;
	char *buf = sysfs_read_bytes(s, rel, &len, &err);
	struct memory_head h;
	struct ap_state *st;

	if (!buf)
		return err ? err : -ENOMEM;
	memcpy(&h, buf, len < sizeof(h) ? len : sizeof(h));
	/* another build's memory, or a torn one, is no memory */
	if (len < sizeof(h) || strncmp(h.magic, MEMORY_MAGIC, sizeof(h.magic)) ||
	    h.state_size != sizeof(*st) || h.mdev_size != sizeof(*st->mdevs) ||
	    h.override_size != sizeof(*st->overrides) || h.nmdevs > len || h.noverrides > len ||
	    len != sizeof(h) + sizeof(*st) + h.nmdevs * sizeof(*st->mdevs) +
			   h.noverrides * sizeof(*st->overrides)) {
		free(buf);
		return -EINVAL;
	}
	st = malloc(sizeof(*st));
	if (!st) {
		free(buf);
		return -ENOMEM;
	}
	memcpy(st, buf + sizeof(h), sizeof(*st));
	st->index = NULL;
	st->scope = NULL;
	if (take_arrays(st, buf + sizeof(h) + sizeof(*st), &h)) {
		state_free(st);
		free(buf);
		return -ENOMEM;
	}
	free(buf);
	*out = st;
	return 0;
}
