/* SPDX-License-Identifier: MIT */
/* What sysfs.c and sysfs-tree.c share, and nobody else. */
#ifndef APCTL_SYSFS_PRIV_H
#define APCTL_SYSFS_PRIV_H

#include <stddef.h>

struct sysfs;

/* The directory of rel, opened O_PATH inside the root; *name is rel's last part. */
int sysfs_parent_dir(struct sysfs *s, const char *rel, const char **name);
/* One more file opened through s (from any thread). */
void sysfs_count_open(struct sysfs *s);
/* Writes all of data: 0 or -errno. */
int sysfs_write_all(int fd, const void *data, size_t len);

#endif
