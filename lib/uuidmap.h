/* SPDX-License-Identifier: MIT */
/*
 * An index of the UUIDs of an array of records (mdevs, definitions), each
 * with its UUID at the same offset: a hash of open addressing, made for the
 * array as it is and kept as records are added at its end. Any case of a
 * UUID finds it; of two records with one UUID, the first.
 */
#ifndef APCTL_UUIDMAP_H
#define APCTL_UUIDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uuidmap {
	const void *base;   /* the array it was made for */
	size_t n;           /* of so many records */
	size_t stride;      /* the size of a record */
	size_t offset;      /* where its UUID (a NUL-terminated string) is */
	size_t mask;        /* slots - 1: a power of two, at least twice n */
	int32_t *slot;      /* a record's index, or -1 */
};

/*
 * The index of the n records at base: 0, or -ENOMEM (m is then empty, and
 * finds nothing). A map made before is freed first.
 */
int uuidmap_make(struct uuidmap *m, const void *base, size_t n, size_t stride, size_t offset);
void uuidmap_free(struct uuidmap *m);
/* Whether m was made for these n records at base, and finds in them. */
bool uuidmap_fits(const struct uuidmap *m, const void *base, size_t n);
/* The index of the record with this UUID, or -1. m must fit its array. */
int uuidmap_find(const struct uuidmap *m, const char *uuid);
/*
 * A record was added at the end of the array (now n at base): false when m
 * did not fit the array before, or would be over half full; it must then be
 * made anew.
 */
bool uuidmap_added(struct uuidmap *m, const void *base, size_t n);

#endif
