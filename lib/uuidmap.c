/* SPDX-License-Identifier: MIT */
#include "uuidmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ascii.h"

static const char *uuid_of(const struct uuidmap *m, size_t i)
{
	return (const char *)m->base + i * m->stride + m->offset;
}

/* FNV-1a of the UUID's characters in lower case. */
static size_t hash(const char *uuid)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *uuid; uuid++)
		h = (h ^ (unsigned char)ascii_tolower(*uuid)) * 1099511628211ULL;
	return (size_t)h;
}

/* Puts record i in its slot, unless an earlier one has its UUID. */
static void put(struct uuidmap *m, size_t i)
{
	const char *uuid = uuid_of(m, i);
	size_t k = hash(uuid) & m->mask;

	for (; m->slot[k] >= 0; k = (k + 1) & m->mask)
		if (!strcasecmp(uuid_of(m, (size_t)m->slot[k]), uuid))
			return;
	m->slot[k] = (int32_t)i;
}

int uuidmap_make(struct uuidmap *m, const void *base, size_t n, size_t stride, size_t offset)
{
	size_t slots = 8;

	uuidmap_free(m);
	if (n > INT32_MAX / 4)
		return -ENOMEM;
	while (slots < 4 * n)
		slots *= 2;
	m->slot = malloc(slots * sizeof(*m->slot));
	if (!m->slot)
		return -ENOMEM;
	memset(m->slot, 0xff, slots * sizeof(*m->slot));
	m->base = base;
	m->n = n;
	m->stride = stride;
	m->offset = offset;
	m->mask = slots - 1;
	for (size_t i = 0; i < n; i++)
		put(m, i);
	return 0;
}

void uuidmap_free(struct uuidmap *m)
{
	free(m->slot);
	memset(m, 0, sizeof(*m));
}

bool uuidmap_fits(const struct uuidmap *m, const void *base, size_t n)
{
	return m->slot && m->base == base && m->n == n;
}

int uuidmap_find(const struct uuidmap *m, const char *uuid)
{
	for (size_t k = hash(uuid) & m->mask; m->slot[k] >= 0; k = (k + 1) & m->mask)
		if (!strcasecmp(uuid_of(m, (size_t)m->slot[k]), uuid))
			return m->slot[k];
	return -1;
}

bool uuidmap_added(struct uuidmap *m, const void *base, size_t n)
{
	if (!m->slot || m->n + 1 != n || 2 * n > m->mask + 1)
		return false;
	m->base = base;
	m->n = n;
	put(m, n - 1);
	return true;
}
