/* SPDX-License-Identifier: MIT */
/*
 * Arrays that grow by doubling, so that n appends cost O(n) and not the
 * copies of a realloc() per element.
 */
#ifndef APCTL_GROW_H
#define APCTL_GROW_H

#include <stdint.h>
#include <stdlib.h>

/*
 * Array v of n elements of size bytes with room for *cap, with room for one
 * more: v itself, or where realloc() moved it (*cap updated); NULL when out
 * of memory, and v is left as it was.
 */
static inline void *grow(void *v, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? 2 * *cap : 8;
	void *more;

	if (n < *cap)
		return v;
	if (c > SIZE_MAX / size)
		return NULL;
	more = realloc(v, c * size);
	if (more)
		*cap = c;
	return more;
}

#endif
