/* SPDX-License-Identifier: MIT */
#include "idset.h"

#include <stdio.h>
#include <string.h>

void idset_clear(struct idset *s)
{
	memset(s, 0, sizeof(*s));
}

void idset_fill(struct idset *s)
{
	memset(s, 0xff, sizeof(*s));
}

void idset_add_range(struct idset *s, unsigned lo, unsigned hi)
{
	for (unsigned id = lo; id <= hi && id < IDSET_BITS; id++)
		idset_add(s, id);
}

void idset_del_range(struct idset *s, unsigned lo, unsigned hi)
{
	for (unsigned id = lo; id <= hi && id < IDSET_BITS; id++)
		idset_del(s, id);
}

struct idset idset_upto(unsigned max)
{
	struct idset s = { { 0 } };

	idset_add_range(&s, 0, max);
	return s;
}

bool idset_empty(const struct idset *s)
{
	return !(s->w[0] | s->w[1] | s->w[2] | s->w[3]);
}

bool idset_equal(const struct idset *a, const struct idset *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

bool idset_intersects(const struct idset *a, const struct idset *b)
{
	struct idset x = idset_and(a, b);

	return !idset_empty(&x);
}

bool idset_subset(const struct idset *sub, const struct idset *super)
{
	struct idset x = idset_minus(sub, super);

	return idset_empty(&x);
}

unsigned idset_count(const struct idset *s)
{
	unsigned n = 0;

	for (size_t i = 0; i < 4; i++)
		n += (unsigned)__builtin_popcountll(s->w[i]);
	return n;
}

struct idset idset_and(const struct idset *a, const struct idset *b)
{
	struct idset r;

	for (size_t i = 0; i < 4; i++)
		r.w[i] = a->w[i] & b->w[i];
	return r;
}

struct idset idset_or(const struct idset *a, const struct idset *b)
{
	struct idset r;

	for (size_t i = 0; i < 4; i++)
		r.w[i] = a->w[i] | b->w[i];
	return r;
}

struct idset idset_minus(const struct idset *a, const struct idset *b)
{
	struct idset r;

	for (size_t i = 0; i < 4; i++)
		r.w[i] = a->w[i] & ~b->w[i];
	return r;
}

struct idset idset_not(const struct idset *a)
{
	struct idset r;

	for (size_t i = 0; i < 4; i++)
		r.w[i] = ~a->w[i];
	return r;
}

int idset_next(const struct idset *s, unsigned from)
{
	while (from < IDSET_BITS) {
		unsigned word = from >> 6;
		/* bits of this word at or right of position 'from' */
		uint64_t rest = s->w[word] & (~UINT64_C(0) >> (from & 63));

		if (rest)
			return (int)(word * 64 + (unsigned)__builtin_clzll(rest));
		from = (word + 1) * 64;
	}
	return -1;
}

int idset_first(const struct idset *s)
{
	return idset_next(s, 0);
}

int idset_last(const struct idset *s)
{
	for (int word = 3; word >= 0; word--)
		if (s->w[word])
			return word * 64 + 63 - __builtin_ctzll(s->w[word]);
	return -1;
}

void idset_to_hex(const struct idset *s, char out[IDSET_HEX_LEN])
{
	snprintf(out, IDSET_HEX_LEN, "0x%016llx%016llx%016llx%016llx",
		 (unsigned long long)s->w[0], (unsigned long long)s->w[1],
		 (unsigned long long)s->w[2], (unsigned long long)s->w[3]);
}
