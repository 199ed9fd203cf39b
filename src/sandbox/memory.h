/* SPDX-License-Identifier: MIT */
/* The emulated kernel's memory: a whole state in one file, as this build lays it out. */
#ifndef APCTL_SANDBOX_MEMORY_H
#define APCTL_SANDBOX_MEMORY_H

#include "state.h"
#include "sysfs.h"

/*
 * Writes st to rel at once (a temporary file renamed): 0 or -errno. st is
 * not changed; it is only made ready for the file while it is written.
 */
int memory_write(struct sysfs *s, const char *rel, struct ap_state *st);
/* Whether a and b are the same state, as memory_write() writes them. */
bool memory_same(struct ap_state *a, struct ap_state *b);
/*
 * Reads a state that memory_write() wrote: 0, -ENOENT when there is none,
 * -EINVAL when another build (or nothing whole) wrote it, or -errno.
 */
int memory_read(struct sysfs *s, const char *rel, struct ap_state **out);
/*
 * The same state as memory_read() reads, as a private mapping of the file:
 * its pages are read as they are looked at, and what is written to them stays
 * in this process. Its arrays cannot grow; memory_unmap() lets it go.
 */
int memory_map(struct sysfs *s, const char *rel, struct ap_state **out);
void memory_unmap(struct ap_state *st);

#endif
