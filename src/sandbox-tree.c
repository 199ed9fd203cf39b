/* SPDX-License-Identifier: MIT */
/*
 * The sandbox's sysfs tree: every directory, attribute and symlink that the
 * kernel shows for the AP bus and vfio_ap (spec section 2), written from the
 * model. The emulated kernel calls the same functions for the parts a write
 * changes, so a sandbox always looks as a fresh one with that state would.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "masksyntax.h"
#include "paths.h"
#include "sandbox.h"
#include "sandbox-tree.h"

#define RO 0444
#define RW 0644
#define WO 0200
#define DIR_MODE 0755
/* the longest path built here, an mdev's, is well under this */
#define REL_MAX 192

#define TRY(expr)                 \
	do {                      \
		int rc_ = (expr); \
		if (rc_ < 0)      \
			return rc_; \
	} while (0)

static int putf(struct sysfs *s, int dirfd, const char *name, mode_t mode, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int putf(struct sysfs *s, int dirfd, const char *name, mode_t mode, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EOVERFLOW;
	return sysfs_put_at(s, dirfd, name, mode, buf, (size_t)n);
}

/* Opens directory rel, creating it and its parents first. */
static int mkdir_open(struct sysfs *s, const char *rel)
{
	int rc = sysfs_mkdirs(s, rel, DIR_MODE);

	return rc < 0 ? rc : sysfs_dir(s, rel);
}

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

static int unlink_quiet(struct sysfs *s, const char *rel)
{
	int rc = sysfs_remove(s, rel);

	return rc == -ENOENT ? 0 : rc;
}

static bool has_driver(const struct ap_state *st, const char *name)
{
	for (size_t i = 0; i < st->ndrivers; i++)
		if (!strcmp(st->drivers[i].name, name))
			return true;
	return false;
}

static int write_marker(struct sysfs *s, const struct ap_state *st)
{
	char gen[KGEN_STR_MAX], text[512];

	snprintf(text, sizeof(text),
		 "# This directory is an apctl sandbox: an emulated Linux AP bus and vfio_ap\n"
		 "# driver, not a live system. 'apctl --root DIR' works on it as on /, and\n"
		 "# 'lszcrypt' reads it with SYSFS_ROOT=DIR/sys.\n"
		 "kernel=%s\n",
		 kgen_format(st->kernel, gen));
	return sysfs_put_str(s, SANDBOX_MARKER, RO, text);
}

static int put_mask(struct sysfs *s, int dirfd, const char *name, mode_t mode,
		    const struct idset *m, bool known)
{
	char hex[IDSET_HEX_LEN];

	if (!known)
		return putf(s, dirfd, name, mode, "not supported\n");
	idset_to_hex(m, hex);
	return putf(s, dirfd, name, mode, "%s\n", hex);
}

int sbx_render_bindings(struct sysfs *s, const struct ap_state *st)
{
	unsigned total = apqnset_count(&st->queues), bound = 0;
	int dirfd, rc;

	if (!kgen_has(st->kernel, KF_BUS_SCANS))
		return 0;
	for (unsigned a = 0; a < IDSET_BITS; a++)
		idset_foreach(d, &st->queues.dom[a])
			bound += st->qdrv[a][d] != 0;
	dirfd = sysfs_dir(s, AP_BUS);
	if (dirfd < 0)
		return dirfd;
	rc = putf(s, dirfd, "bindings", RO, "%u/%u%s\n", bound, total,
		  bound == total ? " (complete)" : "");
	close(dirfd);
	return rc;
}

int sbx_render_masks(struct sysfs *s, const struct ap_state *st)
{
	int dirfd = sysfs_dir(s, AP_BUS), rc;

	if (dirfd < 0)
		return dirfd;
	rc = put_mask(s, dirfd, "apmask", RW, &st->apmask, true);
	if (!rc)
		rc = put_mask(s, dirfd, "aqmask", RW, &st->aqmask, true);
	if (!rc)
		rc = putf(s, dirfd, "ap_domain", RW, "%d\n", st->ap_domain);
	close(dirfd);
	return rc;
}

static int render_bus(struct sysfs *s, const struct ap_state *st)
{
	int dirfd = mkdir_open(s, AP_BUS), rc = 0;

	if (dirfd < 0)
		return dirfd;
	rc = rc ? rc : put_mask(s, dirfd, "ap_adapter_mask", RO, &st->host.apm, st->qci);
	rc = rc ? rc : put_mask(s, dirfd, "ap_usage_domain_mask", RO, &st->host.aqm, st->qci);
	rc = rc ? rc : put_mask(s, dirfd, "ap_control_domain_mask", RO, &st->host.adm, st->qci);
	rc = rc ? rc : putf(s, dirfd, "ap_max_adapter_id", RO, "%u\n", st->max_adapter);
	rc = rc ? rc : putf(s, dirfd, "ap_max_domain_id", RO, "%u\n", st->max_domain);
	rc = rc ? rc : putf(s, dirfd, "ap_interrupts", RO, "1\n");
	rc = rc ? rc : putf(s, dirfd, "config_time", RW, "30\n");
	rc = rc ? rc : putf(s, dirfd, "poll_thread", RW, "0\n");
	rc = rc ? rc : putf(s, dirfd, "poll_timeout", RW, "250000\n");
	rc = rc ? rc : putf(s, dirfd, "drivers_autoprobe", RW, "1\n");
	rc = rc ? rc : putf(s, dirfd, "drivers_probe", WO, "%s", "");
	rc = rc ? rc : putf(s, dirfd, "uevent", WO, "%s", "");
	if (kgen_has(st->kernel, KF_BUS_SCANS))
		rc = rc ? rc : putf(s, dirfd, "scans", RW, "1\n");
	if (kgen_has(st->kernel, KF_DRIVER_OVERRIDE))
		rc = rc ? rc : putf(s, dirfd, "bindings_complete_count", RO, "1\n");
	if (st->has_features)
		rc = rc ? rc : putf(s, dirfd, "features", RO, "%s%s", st->features,
			   st->features[0] ? "\n" : "");
	close(dirfd);
	if (rc)
		return rc;
	TRY(sbx_render_masks(s, st));
	TRY(sysfs_mkdirs(s, AP_BUS_DEVICES, DIR_MODE));
	TRY(sysfs_mkdirs(s, AP_DEVICES, DIR_MODE));
	TRY(sysfs_put_str(s, AP_DEVICES "/uevent", RW, ""));
	for (size_t i = 0; i < st->ndrivers; i++) {
		char rel[PATH_MAX];

		snprintf(rel, sizeof(rel), AP_BUS_DRIVERS "/%s", st->drivers[i].name);
		dirfd = mkdir_open(s, rel);
		if (dirfd < 0)
			return dirfd;
		rc = putf(s, dirfd, "bind", WO, "%s", "");
		rc = rc ? rc : putf(s, dirfd, "unbind", WO, "%s", "");
		rc = rc ? rc : putf(s, dirfd, "uevent", WO, "%s", "");
		close(dirfd);
		if (rc)
			return rc;
	}
	return 0;
}

static int render_card(struct sysfs *s, const struct ap_state *st, unsigned a)
{
	const struct ap_card *c = &st->card[a];
	const char *drv = has_driver(st, AP_DRV_CARD) ? AP_DRV_CARD : NULL;
	char rel[REL_MAX], link[PATH_MAX], target[REL_MAX];
	int dirfd, rc = 0;

	snprintf(rel, sizeof(rel), AP_DEVICES "/card%02x", a);
	dirfd = mkdir_open(s, rel);
	if (dirfd < 0)
		return dirfd;
	rc = rc ? rc : putf(s, dirfd, "hwtype", RO, "%d\n", c->hwtype);
	rc = rc ? rc : putf(s, dirfd, "raw_hwtype", RO, "%d\n", c->raw_hwtype);
	rc = rc ? rc : putf(s, dirfd, "depth", RO, "%d\n", c->depth);
	rc = rc ? rc : putf(s, dirfd, "ap_functions", RO, "0x%08X\n", c->functions);
	rc = rc ? rc : putf(s, dirfd, "request_count", RW, "0\n");
	rc = rc ? rc : putf(s, dirfd, "requestq_count", RO, "0\n");
	rc = rc ? rc : putf(s, dirfd, "pendingq_count", RO, "0\n");
	rc = rc ? rc : putf(s, dirfd, "modalias", RO, "ap:t%02X\n", (unsigned)c->hwtype);
	rc = rc ? rc : putf(s, dirfd, "config", RW, "%d\n", c->config);
	rc = rc ? rc : putf(s, dirfd, "chkstop", RO, "%d\n", c->chkstop);
	rc = rc ? rc : putf(s, dirfd, "max_msg_size", RO, "12288\n");
	rc = rc ? rc : putf(s, dirfd, "uevent", RW, "%s%s%sDEV_TYPE=%04X\nMODALIAS=ap:t%02X\n",
		   drv ? "DRIVER=" : "", drv ? drv : "", drv ? "\n" : "", (unsigned)c->hwtype,
		   (unsigned)c->hwtype);
	if (drv && c->type[0]) {
		rc = rc ? rc : putf(s, dirfd, "type", RO, "%s\n", c->type);
		rc = rc ? rc : putf(s, dirfd, "online", RW, "%d\n", c->online);
		rc = rc ? rc : putf(s, dirfd, "load", RO, "0\n");
	}
	close(dirfd);
	if (rc)
		return rc;
	snprintf(link, sizeof(link), "%s/subsystem", rel);
	TRY(sbx_link(s, link, AP_BUS));
	snprintf(link, sizeof(link), AP_BUS_DEVICES "/card%02x", a);
	TRY(sbx_link(s, link, rel));
	if (drv) {
		snprintf(link, sizeof(link), "%s/driver", rel);
		snprintf(target, sizeof(target), AP_BUS_DRIVERS "/%s", drv);
		TRY(sbx_link(s, link, target));
		snprintf(link, sizeof(link), AP_BUS_DRIVERS "/%s/card%02x", drv, a);
		TRY(sbx_link(s, link, rel));
	}
	return 0;
}

static void queue_rel(unsigned a, unsigned d, char *buf, size_t size)
{
	snprintf(buf, size, AP_DEVICES "/card%02x/%02x.%04x", a, a, d);
}

/* The driver link and the attributes that the bound driver adds. */
int sbx_render_queue_driver(struct sysfs *s, const struct ap_state *st, unsigned a, unsigned d)
{
	const char *drv = state_queue_driver_name(st, a, d);
	char rel[REL_MAX], link[PATH_MAX], target[REL_MAX];
	int dirfd, rc = 0;

	queue_rel(a, d, rel, sizeof(rel));
	dirfd = sysfs_dir(s, rel);
	if (dirfd < 0)
		return dirfd;
	switch (state_queue_driver(st, a, d)) {
	case QDRV_DEFAULT:
		rc = rc ? rc : putf(s, dirfd, "online", RW, "%d\n", st->card[a].online > 0);
		rc = rc ? rc : putf(s, dirfd, "load", RO, "0\n");
		break;
	case QDRV_VFIO:
		rc = rc ? rc : putf(s, dirfd, "status", RO, "%s\n",
			   vfio_status_name(state_vfio_status(st, a, d)));
		break;
	default:
		break;
	}
	rc = rc ? rc : putf(s, dirfd, "uevent", RW, "%s%s%sDEV_TYPE=%04X\nMODALIAS=ap:t%02X\n",
		   drv ? "DRIVER=" : "", drv ? drv : "", drv ? "\n" : "",
		   (unsigned)st->card[a].hwtype, (unsigned)st->card[a].hwtype);
	close(dirfd);
	if (rc)
		return rc;
	if (drv) {
		snprintf(link, sizeof(link), "%s/driver", rel);
		snprintf(target, sizeof(target), AP_BUS_DRIVERS "/%s", drv);
		TRY(sbx_link(s, link, target));
		snprintf(link, sizeof(link), AP_BUS_DRIVERS "/%s/%02x.%04x", drv, a, d);
		TRY(sbx_link(s, link, rel));
	}
	return 0;
}

/* Undoes sbx_render_queue_driver() for the driver named drv. */
int sbx_unrender_queue_driver(struct sysfs *s, unsigned a, unsigned d, const char *drv)
{
	char rel[REL_MAX], path[PATH_MAX];
	static const char *const extras[] = { "online", "load", "status" };

	queue_rel(a, d, rel, sizeof(rel));
	for (size_t i = 0; i < sizeof(extras) / sizeof(extras[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", rel, extras[i]);
		TRY(unlink_quiet(s, path));
	}
	snprintf(path, sizeof(path), "%s/driver", rel);
	TRY(unlink_quiet(s, path));
	snprintf(path, sizeof(path), AP_BUS_DRIVERS "/%s/%02x.%04x", drv, a, d);
	return unlink_quiet(s, path);
}

static int render_queue(struct sysfs *s, const struct ap_state *st, unsigned a, unsigned d)
{
	const struct ap_card *c = &st->card[a];
	char rel[REL_MAX], link[PATH_MAX];
	int dirfd, rc = 0;

	queue_rel(a, d, rel, sizeof(rel));
	dirfd = mkdir_open(s, rel);
	if (dirfd < 0)
		return dirfd;
	rc = rc ? rc : putf(s, dirfd, "request_count", RW, "0\n");
	rc = rc ? rc : putf(s, dirfd, "requestq_count", RO, "0\n");
	rc = rc ? rc : putf(s, dirfd, "pendingq_count", RO, "0\n");
	rc = rc ? rc : putf(s, dirfd, "reset", RW, "No Reset Timer set.\n");
	rc = rc ? rc : putf(s, dirfd, "interrupt", RO, "Interrupts enabled.\n");
	rc = rc ? rc : putf(s, dirfd, "config", RO, "%d\n", c->config);
	rc = rc ? rc : putf(s, dirfd, "chkstop", RO, "%d\n", c->chkstop);
	rc = rc ? rc : putf(s, dirfd, "ap_functions", RO, "0x%08X\n", c->functions);
	if (kgen_has(st->kernel, KF_DRIVER_OVERRIDE))
		rc = rc ? rc : putf(s, dirfd, "driver_override", RW, "\n");
	close(dirfd);
	if (rc)
		return rc;
	snprintf(link, sizeof(link), "%s/subsystem", rel);
	TRY(sbx_link(s, link, AP_BUS));
	snprintf(link, sizeof(link), AP_BUS_DEVICES "/%02x.%04x", a, d);
	TRY(sbx_link(s, link, rel));
	return sbx_render_queue_driver(s, st, a, d);
}

int sbx_render_available(struct sysfs *s, const struct ap_state *st)
{
	char text[32];

	snprintf(text, sizeof(text), "%ld\n", st->available_instances);
	return sysfs_put_str(s, MDEV_TYPE "/available_instances", RO, text);
}

static int render_matrix_device(struct sysfs *s, const struct ap_state *st)
{
	int dirfd = mkdir_open(s, MATRIX_DEV), rc = 0;

	if (dirfd < 0)
		return dirfd;
	rc = rc ? rc : putf(s, dirfd, "uevent", RW, "DRIVER=" AP_DRV_VFIO "\n");
	if (st->has_matrix_features)
		rc = rc ? rc : putf(s, dirfd, "features", RO, "%s\n", st->matrix_features);
	close(dirfd);
	if (rc)
		return rc;
	TRY(sbx_link(s, MATRIX_DEV "/subsystem", MATRIX_BUS));
	TRY(sysfs_mkdirs(s, MATRIX_BUS "/devices", DIR_MODE));
	TRY(sysfs_mkdirs(s, MATRIX_BUS "/drivers/" AP_DRV_VFIO, DIR_MODE));
	TRY(sysfs_put_str(s, MATRIX_BUS "/drivers_autoprobe", RW, "1\n"));
	TRY(sysfs_put_str(s, MATRIX_BUS "/drivers_probe", WO, ""));
	TRY(sysfs_put_str(s, MATRIX_BUS "/uevent", WO, ""));
	TRY(sbx_link(s, MATRIX_BUS "/devices/matrix", MATRIX_DEV));
	TRY(sbx_link(s, MATRIX_BUS "/drivers/" AP_DRV_VFIO "/matrix", MATRIX_DEV));
	TRY(sbx_link(s, MATRIX_DEV "/driver", MATRIX_BUS "/drivers/" AP_DRV_VFIO));
	TRY(sysfs_mkdirs(s, MDEV_BUS "/devices", DIR_MODE));
	TRY(sysfs_mkdirs(s, MDEV_BUS "/drivers/" MDEV_DRV, DIR_MODE));
	TRY(sysfs_put_str(s, MDEV_BUS "/drivers_autoprobe", RW, "1\n"));
	TRY(sysfs_put_str(s, MDEV_BUS "/drivers_probe", WO, ""));
	TRY(sysfs_put_str(s, MDEV_BUS "/uevent", WO, ""));
	TRY(sysfs_mkdirs(s, MDEV_CLASS, DIR_MODE));
	TRY(sbx_link(s, MDEV_CLASS "/matrix", MATRIX_DEV));
	dirfd = mkdir_open(s, MDEV_TYPE);
	if (dirfd < 0)
		return dirfd;
	rc = rc ? rc : putf(s, dirfd, "name", RO, "VFIO AP Passthrough Device\n");
	rc = rc ? rc : putf(s, dirfd, "device_api", RO, "vfio-ap\n");
	rc = rc ? rc : putf(s, dirfd, "create", WO, "%s", "");
	close(dirfd);
	if (rc)
		return rc;
	TRY(sysfs_mkdirs(s, MDEV_TYPE "/devices", DIR_MODE));
	return sbx_render_available(s, st);
}

/* The attributes of an mdev that show its matrix. */
int sbx_render_mdev_matrix(struct sysfs *s, const struct ap_state *st, const struct ap_mdev *m)
{
	char rel[REL_MAX], cdoms[CDOMS_STR_MAX], config[AP_CONFIG_STR_MAX], *text;
	int dirfd, rc;

	snprintf(rel, sizeof(rel), MATRIX_DEV "/%s", m->uuid);
	dirfd = sysfs_dir(s, rel);
	if (dirfd < 0)
		return dirfd;
	text = matrix_render(&m->matrix.apm, &m->matrix.aqm, st->max_adapter, st->max_domain);
	rc = text ? sysfs_put_at(s, dirfd, "matrix", RO, text, strlen(text)) : -ENOMEM;
	free(text);
	if (!rc && kgen_has(st->kernel, KF_DYNAMIC)) {
		text = matrix_render(&m->guest.apm, &m->guest.aqm, st->max_adapter, st->max_domain);
		rc = text ? sysfs_put_at(s, dirfd, "guest_matrix", RO, text, strlen(text)) : -ENOMEM;
		free(text);
	}
	if (!rc) {
		cdoms_render(&m->matrix.adm, st->max_domain, cdoms);
		rc = sysfs_put_at(s, dirfd, "control_domains", RO, cdoms, strlen(cdoms));
	}
	if (!rc && kgen_has(st->kernel, KF_AP_CONFIG)) {
		ap_config_render(&m->matrix, config);
		rc = sysfs_put_at(s, dirfd, "ap_config", RW, config, strlen(config));
	}
	close(dirfd);
	return rc;
}

int sbx_render_mdev(struct sysfs *s, const struct ap_state *st, const struct ap_mdev *m)
{
	static const char *const writers[] = {
		"assign_adapter",        "unassign_adapter",        "assign_domain",
		"unassign_domain",       "assign_control_domain",   "unassign_control_domain",
		"remove",
	};
	char rel[REL_MAX], link[PATH_MAX];
	int dirfd, rc = 0;

	snprintf(rel, sizeof(rel), MATRIX_DEV "/%s", m->uuid);
	dirfd = mkdir_open(s, rel);
	if (dirfd < 0)
		return dirfd;
	for (size_t i = 0; i < sizeof(writers) / sizeof(writers[0]); i++)
		rc = rc ? rc : putf(s, dirfd, writers[i], WO, "%s", "");
	rc = rc ? rc : putf(s, dirfd, "uevent", RW, "DRIVER=" MDEV_DRV "\nMDEV_TYPE=passthrough\n");
	close(dirfd);
	if (rc)
		return rc;
	TRY(sbx_render_mdev_matrix(s, st, m));
	snprintf(link, sizeof(link), "%s/driver", rel);
	TRY(sbx_link(s, link, MDEV_BUS "/drivers/" MDEV_DRV));
	snprintf(link, sizeof(link), "%s/subsystem", rel);
	TRY(sbx_link(s, link, MDEV_BUS));
	snprintf(link, sizeof(link), "%s/mdev_type", rel);
	TRY(sbx_link(s, link, MDEV_TYPE));
	snprintf(link, sizeof(link), MDEV_TYPE "/devices/%s", m->uuid);
	TRY(sbx_link(s, link, rel));
	snprintf(link, sizeof(link), MDEV_BUS "/devices/%s", m->uuid);
	TRY(sbx_link(s, link, rel));
	snprintf(link, sizeof(link), MDEV_BUS "/drivers/" MDEV_DRV "/%s", m->uuid);
	return sbx_link(s, link, rel);
}

int sbx_render_mdev_list(struct sysfs *s, const struct ap_state *st)
{
	size_t size = 128 + st->nmdevs * 64, len = 0;
	char *text = malloc(size);
	int rc;

	if (!text)
		return -ENOMEM;
	len += (size_t)snprintf(text, size,
				"# mdevs, oldest first: UUID and whether a guest uses it\n");
	for (size_t i = 0; i < st->nmdevs; i++)
		len += (size_t)snprintf(text + len, size - len, "%s attached=%d\n",
					st->mdevs[i].uuid, st->mdevs[i].in_use == 1);
	rc = sysfs_put(s, SANDBOX_MDEVS, RW, text, len);
	free(text);
	return rc;
}

int sbx_render(struct sysfs *s, const struct ap_state *st)
{
	static const char *const dirs[] = {
		MDEVCTL_DIR, UDEV_RULES_DIR, RUN_UDEV_RULES_DIR, LOCK_DIR, SANDBOX_DIR,
	};

	TRY(write_marker(s, st));
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		TRY(sysfs_mkdirs(s, dirs[i], DIR_MODE));
	TRY(sysfs_put_str(s, SANDBOX_LOG, RW, ""));
	TRY(render_bus(s, st));
	idset_foreach(a, &st->cards)
		TRY(render_card(s, st, (unsigned)a));
	for (unsigned a = 0; a < IDSET_BITS; a++)
		idset_foreach(d, &st->queues.dom[a])
			TRY(render_queue(s, st, a, (unsigned)d));
	TRY(sbx_render_bindings(s, st));
	if (st->matrix_present) {
		TRY(render_matrix_device(s, st));
		/* the kernel lists mdevs newest first; the sandbox keeps them oldest first */
		for (size_t i = 0; i < st->nmdevs; i++)
			TRY(sbx_render_mdev(s, st, &st->mdevs[i]));
	}
	return sbx_render_mdev_list(s, st);
}
