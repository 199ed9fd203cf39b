/* SPDX-License-Identifier: MIT */
/*
 * The symlinks of the sandbox tree, relative as sysfs makes them, and what a
 * queue's driver shows set aside while another driver has the queue. On a
 * large tree, making and freeing inodes is most of what a rebinding costs, so
 * a rebinding makes and frees none once each driver had the queue: the links
 * of many queues are made through directories opened once; a rebound queue's
 * link in the drivers' directories moves from one to the other (it reads the
 * same in each); and the files and link a driver shows are parked
 * (apctl-sandbox.d/parked) when it lets go, and brought back when it binds.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layout.h"
#include "paths.h"
#include "tree.h"

/* The relative target that a link at link_rel needs to reach target_rel, as sysfs writes it. */
static void relative_target(const char *link_rel, const char *target_rel, char *out, size_t size)
{
	const char *l = link_rel, *t = target_rel;
	size_t len = 0;

	/* skip the leading directories the two paths share */
	for (;;) {
		const char *ls = strchr(l, '/'), *ts = strchr(t, '/');

		if (!ls || !ts || ls - l != ts - t || strncmp(l, t, (size_t)(ls - l)))
			break;
		l = ls + 1;
		t = ts + 1;
	}
	out[0] = '\0';
	for (const char *p = strchr(l, '/'); p; p = strchr(p + 1, '/'))
		len += (size_t)snprintf(out + len, size > len ? size - len : 0, "../");
	snprintf(out + len, size > len ? size - len : 0, "%s", t);
}

bool sbx_link_climbs_out(const char *rel, const char *link)
{
	long depth = 0;

	/* how deep the link's directory is below the top */
	rel += strspn(rel, "/");
	for (const char *p = rel; *p; p++)
		depth += *p == '/';
	for (const char *p = link; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && !strncmp(p, "..", 2))
			depth--;
		else if (n && !(n == 1 && *p == '.'))
			depth++;
		if (depth < 0)
			return true;
		p += n + (p[n] == '/');
	}
	return false;
}

int sbx_link(struct sysfs *s, const char *link_rel, const char *target_rel)
{
	char target[PATH_MAX];
	int rc;

	relative_target(link_rel, target_rel, target, sizeof(target));
	rc = sysfs_symlink(s, target, link_rel);
	if (rc == -EEXIST) {
		TRY(sysfs_remove(s, link_rel));
		rc = sysfs_symlink(s, target, link_rel);
	}
	return rc;
}

int sbx_link_device(struct sysfs *s, const char *rel)
{
	char link[PATH_MAX];

	snprintf(link, sizeof(link), "%s/subsystem", rel);
	TRY(sbx_link(s, link, AP_BUS));
	snprintf(link, sizeof(link), AP_BUS_DEVICES "/%s", strrchr(rel, '/') + 1);
	return sbx_link(s, link, rel);
}

int sbx_link_driver(struct sysfs *s, const char *rel, const char *drv)
{
	char link[PATH_MAX], target[REL_MAX];

	snprintf(link, sizeof(link), "%s/driver", rel);
	snprintf(target, sizeof(target), AP_BUS_DRIVERS "/%s", drv);
	TRY(sbx_link(s, link, target));
	snprintf(link, sizeof(link), AP_BUS_DRIVERS "/%s/%s", drv, strrchr(rel, '/') + 1);
	return sbx_link(s, link, rel);
}

/* ---- the links of many queues ---- */

void sbx_links_init(struct sbx_links *l, struct sysfs *s)
{
	l->s = s;
	l->n = 0;
	l->again = false;
	for (size_t a = 0; a < IDSET_BITS; a++) {
		l->parked[a] = l->card[a] = -1;
		l->held[a] = NULL;
		l->misses[a] = 0;
	}
}

void sbx_links_close(struct sbx_links *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->dir[i].fd >= 0)
			close(l->dir[i].fd);
	for (size_t a = 0; a < IDSET_BITS; a++) {
		if (l->parked[a] >= 0)
			close(l->parked[a]);
		if (l->card[a] >= 0)
			close(l->card[a]);
		free(l->held[a]);
	}
	sbx_links_init(l, l->s);
}

/* Directory rel, opened once (made first with make): a descriptor or -errno. */
static int dir_of(struct sbx_links *l, const char *rel, bool make)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->dir[i].rel, rel))
			return l->dir[i].fd;
	if (i == SBX_LINKS_DIRS)
		return -ENOSPC;
	if (make)
		TRY(sysfs_mkdirs(l->s, rel, DIR_MODE));
	snprintf(l->dir[i].rel, sizeof(l->dir[i].rel), "%s", rel);
	l->dir[i].fd = sysfs_dir(l->s, rel);
	l->n++;
	return l->dir[i].fd;
}

static int driver_dir(struct sbx_links *l, const char *drv)
{
	char rel[REL_MAX];

	snprintf(rel, sizeof(rel), AP_BUS_DRIVERS "/%s", drv);
	return dir_of(l, rel, false);
}

/* The card and domain of queue directory rel: 0, or -EINVAL. */
static int queue_of(const char *rel, unsigned *a, unsigned *d)
{
	if (sscanf(strrchr(rel, '/') + 1, "%2x.%4x", a, d) != 2 || *a >= IDSET_BITS ||
	    *d >= IDSET_BITS)
		return -EINVAL;
	return 0;
}

/*
 * Where the queues of card a park: a directory for each card, so that no
 * directory grows with the whole tree. A descriptor or -errno.
 */
static int parked_dir(struct sbx_links *l, unsigned a)
{
	char dir[REL_MAX];

	if (l->parked[a] >= 0)
		return l->parked[a];
	snprintf(dir, sizeof(dir), SANDBOX_PARKED "/card%02x", a);
	TRY(sysfs_mkdirs(l->s, dir, DIR_MODE));
	l->parked[a] = sysfs_dir(l->s, dir);
	return l->parked[a];
}

static int key_of(const char *rel, const char *name, char *key, size_t size)
{
	int n = snprintf(key, size, "%s.%s", strrchr(rel, '/') + 1, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* What a queue's driver adds, and only a driver */
static const char *const parkable[] = { "online", "load", "status", "mkvps", "op_modes" };
/* the bits of driver links: the two drivers queues move between, and any other */
#define HELD_VFIO (1u << 5)
#define HELD_HOST (1u << 6)
#define HELD_OTHER (1u << 7)
/* Unparks of a card that find nothing before what its directory holds is read. */
#define HELD_AFTER_MISSES 8

/* The bit of parked name (an attribute, or "driver.DRV") in l->held, or 0: none. */
static uint8_t held_bit(const char *name)
{
	if (!strncmp(name, "driver.", 7))
		return !strcmp(name + 7, AP_DRV_VFIO)  ? HELD_VFIO :
		       !strcmp(name + 7, AP_DRV_QUEUE) ? HELD_HOST :
							 HELD_OTHER;
	for (size_t i = 0; i < sizeof(parkable) / sizeof(parkable[0]); i++)
		if (!strcmp(parkable[i], name))
			return (uint8_t)(1u << i);
	return 0;
}

static int held_entry(const char *name, unsigned char type, void *held)
{
	unsigned a, d;
	int n = 0;

	(void)type;
	if (sscanf(name, "%2x.%4x.%n", &a, &d, &n) == 2 && n && d < IDSET_BITS)
		((uint8_t *)held)[d] |= held_bit(name + n);
	return 0;
}

/*
 * After a few unparks of card a found nothing (a card's queues going to a
 * driver the first time), what its directory (fd) holds is read once, and
 * the next ones ask it instead of the file system.
 */
static void learn_held(struct sbx_links *l, unsigned a, int fd)
{
	if (l->held[a] || ++l->misses[a] < HELD_AFTER_MISSES)
		return;
	l->held[a] = calloc(IDSET_BITS, 1);
	if (l->held[a] &&
	    sysfs_dir_each(openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), held_entry,
			   l->held[a]) < 0) {
		free(l->held[a]);
		l->held[a] = NULL;
	}
}

int sbx_park(struct sbx_links *l, int qdirfd, const char *rel, const char *name, const char *as)
{
	char key[NAME_MAX + 1];
	unsigned a, d;
	int rc = queue_of(rel, &a, &d), fd = rc ? rc : parked_dir(l, a);

	if (fd < 0)
		return fd;
	TRY(key_of(rel, as ? as : name, key, sizeof(key)));
	rc = sysfs_rename_at(l->s, qdirfd, name, fd, key);
	if (!rc && l->held[a])
		l->held[a][d] |= held_bit(as ? as : name);
	return rc == -ENOENT ? 0 : rc;
}

/*
 * The driver links parked for a card's queues share one inode, the link
 * "link.driver.DRV" of its parked directory (fd), made once: a hard link is a
 * name, which costs a tenth of a new inode on ext4. Else a link of its own.
 */
static int park_link(int fd, const char *rel, const char *drv, const char *key)
{
	char link[REL_MAX], drel[REL_MAX], target[PATH_MAX], shared[NAME_MAX + 1];
	int rc;

	snprintf(link, sizeof(link), "%s/driver", rel);
	snprintf(drel, sizeof(drel), AP_BUS_DRIVERS "/%s", drv);
	relative_target(link, drel, target, sizeof(target));
	snprintf(shared, sizeof(shared), "link.driver.%s", drv);
	rc = sysfs_symlink_at(fd, target, shared);
	if (!rc || rc == -EEXIST)
		rc = linkat(fd, shared, fd, key, 0) ? -errno : 0;
	if (rc && rc != -EEXIST)
		rc = sysfs_symlink_at(fd, target, key);
	return rc == -EEXIST ? 0 : rc;
}

int sbx_park_ready(struct sbx_links *l, const char *rel, const char *drv, const char *name,
		   const char *text)
{
	char key[NAME_MAX + 1], as[NAME_MAX + 1];
	unsigned a, d;
	int rc = queue_of(rel, &a, &d), fd = rc ? rc : parked_dir(l, a);

	if (fd < 0)
		return fd;
	snprintf(as, sizeof(as), "driver.%.200s", drv);
	TRY(key_of(rel, as, key, sizeof(key)));
	TRY(park_link(fd, rel, drv, key));
	if (l->held[a])
		l->held[a][d] |= held_bit(as);
	if (!name)
		return 0;
	TRY(key_of(rel, name, key, sizeof(key)));
	TRY(sysfs_rewrite_at(l->s, fd, key, 0444, text, strlen(text)));
	if (l->held[a])
		l->held[a][d] |= held_bit(name);
	return 0;
}

int sbx_unpark(struct sbx_links *l, int qdirfd, const char *rel, const char *name, const char *as)
{
	char key[NAME_MAX + 1];
	uint8_t bit = held_bit(as ? as : name);
	unsigned a, d;
	int rc = queue_of(rel, &a, &d), fd = rc ? rc : parked_dir(l, a);

	if (fd < 0)
		return fd;
	if (l->held[a] && bit && !(l->held[a][d] & bit))
		return -ENOENT;
	TRY(key_of(rel, as ? as : name, key, sizeof(key)));
	rc = sysfs_rename_at(l->s, fd, key, qdirfd, name);
	if (rc == -ENOENT)
		learn_held(l, a, fd);
	/* another driver's link may still be parked */
	else if (!rc && l->held[a] && bit != HELD_OTHER)
		l->held[a][d] &= (uint8_t)~bit;
	return rc;
}

int sbx_queue_dir(struct sbx_links *l, unsigned a, unsigned d)
{
	char name[16];
	int fd;

	if (l->card[a] < 0) {
		char rel[REL_MAX];

		snprintf(rel, sizeof(rel), AP_DEVICES "/card%02x", a);
		l->card[a] = sysfs_dir(l->s, rel);
		if (l->card[a] < 0)
			return l->card[a];
	}
	snprintf(name, sizeof(name), "%02x.%04x", a, d);
	fd = openat(l->card[a], name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

bool sbx_parkable(const char *name)
{
	for (size_t i = 0; i < sizeof(parkable) / sizeof(parkable[0]); i++)
		if (!strcmp(parkable[i], name))
			return true;
	return false;
}

int sbx_park_driver_link(struct sbx_links *l, int qdirfd, const char *rel, const char *was)
{
	char target[PATH_MAX], as[NAME_MAX + 1];
	int rc = 0;

	/* a store made again may have bound the queue already: its link says to what */
	if (l->again) {
		for (size_t i = 0; i < sizeof(parkable) / sizeof(parkable[0]); i++)
			TRY(sbx_park(l, qdirfd, rel, parkable[i], NULL));
		rc = sysfs_readlink_at(qdirfd, "driver", target, sizeof(target));
		was = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
	}
	if (rc == -ENOENT || !was)
		return 0;
	if (rc < 0)
		return rc;
	snprintf(as, sizeof(as), "driver.%.200s", was);
	return sbx_park(l, qdirfd, rel, "driver", as);
}

int sbx_link_queue(struct sbx_links *l, int qdirfd, const char *rel)
{
	const char *name = strrchr(rel, '/') + 1;
	char link[REL_MAX * 2], target[PATH_MAX];
	int fd = dir_of(l, AP_BUS_DEVICES, false);

	if (fd < 0)
		return fd;
	snprintf(link, sizeof(link), "%s/subsystem", rel);
	relative_target(link, AP_BUS, target, sizeof(target));
	TRY(sysfs_relink_at(l->s, qdirfd, target, "subsystem"));
	snprintf(link, sizeof(link), AP_BUS_DEVICES "/%s", name);
	relative_target(link, rel, target, sizeof(target));
	return sysfs_relink_at(l->s, fd, target, name);
}

int sbx_link_queue_driver(struct sbx_links *l, int qdirfd, const char *rel, const char *drv,
			  const char *was)
{
	const char *name = strrchr(rel, '/') + 1;
	char link[REL_MAX * 2], target[PATH_MAX], drel[REL_MAX];
	int fd = driver_dir(l, drv), from = was ? driver_dir(l, was) : -1, rc = -ENOENT;

	if (fd < 0)
		return fd;
	snprintf(drel, sizeof(drel), "driver.%s", drv);
	rc = sbx_unpark(l, qdirfd, rel, "driver", drel);
	if (rc && rc != -ENOENT)
		return rc;
	snprintf(drel, sizeof(drel), AP_BUS_DRIVERS "/%s", drv);
	snprintf(link, sizeof(link), "%s/driver", rel);
	relative_target(link, drel, target, sizeof(target));
	if (rc)
		TRY(sysfs_relink_at(l->s, qdirfd, target, "driver"));
	rc = -ENOENT;
	/* the driver's link back reads the same from every driver's directory */
	if (from >= 0)
		rc = sysfs_rename_at(l->s, from, name, fd, name);
	if (rc != -ENOENT)
		return rc;
	snprintf(link, sizeof(link), AP_BUS_DRIVERS "/%s/%s", drv, name);
	relative_target(link, rel, target, sizeof(target));
	return sysfs_relink_at(l->s, fd, target, name);
}

int sbx_unlink_queue_driver(struct sbx_links *l, int qdirfd, const char *rel, const char *drv)
{
	int fd = driver_dir(l, drv), rc = sysfs_remove_at(l->s, qdirfd, "driver");

	if (fd < 0)
		return fd;
	if (!rc || rc == -ENOENT)
		rc = sysfs_remove_at(l->s, fd, strrchr(rel, '/') + 1);
	return rc == -ENOENT ? 0 : rc;
}
