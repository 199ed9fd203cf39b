/* SPDX-License-Identifier: MIT */
/*
 * Resolving a path inside a root without openat2(RESOLVE_IN_ROOT), for
 * kernels and headers that lack it: one component at a time, symlinks
 * expanded by hand, ".." clamped at the root.
 */
#ifndef APCTL_SYSFS_RESOLVE_H
#define APCTL_SYSFS_RESOLVE_H

#include <sys/types.h>

/* openat() of rel inside rootfd: an fd or -errno. */
int sysfs_resolve_fallback(int rootfd, const char *rel, int flags, mode_t mode);

#endif
