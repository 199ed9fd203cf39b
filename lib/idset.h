/* SPDX-License-Identifier: MIT */
/*
 * 256-bit sets of AP adapter or domain IDs in the kernel's bit order.
 *
 * Bit n stands for ID n counted from the left: ID 0 is the most significant
 * bit of the first 64-bit word. That is the order of the kernel's
 * set_bit_inv() and of every mask that sysfs prints, so printing the four
 * words as hex gives exactly the kernel's "0x" + 64 hex digits.
 */
#ifndef APCTL_IDSET_H
#define APCTL_IDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IDSET_BITS 256
#define IDSET_MAX_ID (IDSET_BITS - 1)
/* "0x" + 64 hex digits + NUL */
#define IDSET_HEX_LEN 67

struct idset {
	uint64_t w[IDSET_BITS / 64];
};

static inline uint64_t idset_bit_(unsigned id)
{
	return UINT64_C(1) << (63 - (id & 63));
}

static inline bool idset_has(const struct idset *s, unsigned id)
{
	return id < IDSET_BITS && (s->w[id >> 6] & idset_bit_(id));
}

static inline void idset_add(struct idset *s, unsigned id)
{
	if (id < IDSET_BITS)
		s->w[id >> 6] |= idset_bit_(id);
}

static inline void idset_del(struct idset *s, unsigned id)
{
	if (id < IDSET_BITS)
		s->w[id >> 6] &= ~idset_bit_(id);
}

void idset_clear(struct idset *s);
void idset_fill(struct idset *s);
/* Adds lo..hi inclusive. */
void idset_add_range(struct idset *s, unsigned lo, unsigned hi);
void idset_del_range(struct idset *s, unsigned lo, unsigned hi);
/* The set 0..max. */
struct idset idset_upto(unsigned max);

bool idset_empty(const struct idset *s);
bool idset_equal(const struct idset *a, const struct idset *b);
bool idset_intersects(const struct idset *a, const struct idset *b);
bool idset_subset(const struct idset *sub, const struct idset *super);
unsigned idset_count(const struct idset *s);
struct idset idset_and(const struct idset *a, const struct idset *b);
struct idset idset_or(const struct idset *a, const struct idset *b);
/* a AND NOT b */
struct idset idset_minus(const struct idset *a, const struct idset *b);
struct idset idset_not(const struct idset *a);

/* The smallest ID >= from that is in s, or -1. */
int idset_next(const struct idset *s, unsigned from);
int idset_first(const struct idset *s);
int idset_last(const struct idset *s);

#define idset_foreach(id, s) \
	for (int id = idset_first(s); id >= 0; id = idset_next((s), (unsigned)id + 1))

/* "0x" + 64 lowercase hex digits, as apmask_show prints it (without "\n"). */
void idset_to_hex(const struct idset *s, char out[IDSET_HEX_LEN]);

#endif
