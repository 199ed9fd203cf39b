/* SPDX-License-Identifier: MIT */
/*
 * An mdev's VFIO group, and which process, and which guest, holds its vfio
 * device on a live host:
 * the VFIO group's file (/dev/vfio/GROUP), or with iommufd the device's own
 * (/dev/vfio/devices/vfioN, named by the mdev's vfio-dev directory).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ascii.h"
#include "paths.h"
#include "state.h"

struct group {
	char dev[48];     /* "/dev/vfio/7" or "/dev/vfio/devices/vfio0" */
	size_t mdev;
};

struct scan {
	struct sysfs *s;
	struct ap_state *st;
	struct group *g;
	size_t n;
	const char *pid;  /* the process whose fds are read */
	int fds;          /* its fd directory, open */
};

/* The guest's name from QEMU's "-name guest=NAME,..." or "-name NAME". */
static void guest_name(struct sysfs *s, const char *pid, char *out, size_t size)
{
	char rel[64], *cmd;
	size_t len;
	int err;

	snprintf(rel, sizeof(rel), "proc/%s/cmdline", pid);
	cmd = sysfs_read_bytes(s, rel, &len, &err);
	for (size_t i = 0; cmd && i < len; i += strlen(cmd + i) + 1) {
		const char *v = cmd + i + strlen(cmd + i) + 1;

		if (strcmp(cmd + i, "-name") || v >= cmd + len)
			continue;
		if (!strncmp(v, "guest=", 6))
			v += 6;
		snprintf(out, size, "%.*s", (int)strcspn(v, ","), v);
		break;
	}
	free(cmd);
}

static int check_fd(const char *name, unsigned char type, void *ctx)
{
	struct scan *c = ctx;
	char target[64];

	(void)type;
	if (sysfs_readlink_at(c->fds, name, target, sizeof(target)) < 0)
		return 0;
	for (size_t i = 0; i < c->n; i++) {
		struct ap_mdev *m = &c->st->mdevs[c->g[i].mdev];

		if (strcmp(target, c->g[i].dev) || m->guest_pid)
			continue;
		m->guest_pid = atoi(c->pid);
		snprintf(m->guest_device, sizeof(m->guest_device), "%.47s", target);
		m->guest_iommufd = !strncmp(target, "/dev/vfio/devices/", 18);
		guest_name(c->s, c->pid, m->guest_name, sizeof(m->guest_name));
	}
	return 0;
}

static int check_process(const char *name, unsigned char type, void *ctx)
{
	struct scan *c = ctx;
	char rel[64];

	(void)type;
	if (!ascii_isdigit(name[0]))
		return 0;
	c->pid = name;
	snprintf(rel, sizeof(rel), "proc/%s/fd", name);
	/* one open of the directory for its listing and its links; a process gone holds nothing */
	c->fds = sysfs_openat(c->s, rel, O_RDONLY | O_DIRECTORY, 0);
	sysfs_dir_each(c->fds, check_fd, c);
	return 0;
}

/* The device file of the mdev's vfio-dev directory: "vfio0" of vfio-dev/vfio0. */
static int add_cdev(const char *name, unsigned char type, void *ctx)
{
	struct scan *c = ctx;

	(void)type;
	if (strncmp(name, "vfio", 4) || !ascii_isdigit(name[4]))
		return 0;
	snprintf(c->g[c->n].dev, sizeof(c->g[c->n].dev), "/dev/vfio/devices/%.16s", name);
	c->g[c->n].mdev = c->g[c->n - 1].mdev;
	c->n++;
	return 1;
}

int state_mdev_group(struct sysfs *s, const char *uuid)
{
	char rel[PATH_MAX], link[PATH_MAX], *end;
	const char *n;
	long group;

	snprintf(rel, sizeof(rel), MATRIX_DEV "/%s/iommu_group", uuid);
	if (sysfs_readlink(s, rel, link, sizeof(link)) < 0)
		return -1;
	n = strrchr(link, '/');
	n = n ? n + 1 : link;
	errno = 0;
	group = strtol(n, &end, 10);
	return errno || end == n || *end || group < 0 || group > INT_MAX ? -1 : (int)group;
}

void state_find_guests(struct sysfs *s, struct ap_state *st)
{
	struct scan c = { s, st, calloc(2 * st->nmdevs + 2, sizeof(*c.g)), 0, NULL, -1 };
	char rel[PATH_MAX];

	for (size_t i = 0; c.g && i < st->nmdevs; i++) {
		/* an mdev no guest uses has no process to look for */
		if (!st->mdevs[i].in_use)
			continue;
		if (st->mdevs[i].iommu_group >= 0)
			snprintf(c.g[c.n].dev, sizeof(c.g[c.n].dev), "/dev/vfio/%d",
				 st->mdevs[i].iommu_group);
		else
			snprintf(c.g[c.n].dev, sizeof(c.g[c.n].dev), "/dev/vfio/none");
		c.g[c.n++].mdev = i;
		/* iommufd: the device's own file, beside the group's */
		snprintf(rel, sizeof(rel), MDEV_BUS "/devices/%s/vfio-dev", st->mdevs[i].uuid);
		sysfs_list(s, rel, add_cdev, &c);
	}
	if (c.n)
		sysfs_list(s, "proc", check_process, &c);
	free(c.g);
}
