/* SPDX-License-Identifier: MIT */
/* The emulated kernel's memory: a whole state in one file, as this build lays it out. */
#ifndef APCTL_SANDBOX_MEMORY_H
#define APCTL_SANDBOX_MEMORY_H

#include "state.h"
#include "sysfs.h"

/* st as memory_write() writes it (malloc'ed), or NULL. */
char *memory_image(const struct ap_state *st, size_t *len);
/* Writes st to rel at once (a temporary file renamed): 0 or -errno. */
int memory_write(struct sysfs *s, const char *rel, const struct ap_state *st);
/*
 * Reads a state that memory_write() wrote: 0, -ENOENT when there is none,
 * -EINVAL when another build (or nothing whole) wrote it, or -errno.
 */
int memory_read(struct sysfs *s, const char *rel, struct ap_state **out);

#endif
