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

#include "journal.h"
#include "layout.h"
#include "masksyntax.h"
#include "paths.h"
#include "tree.h"

/* Whether attributes are only counted (up to ATTRS_NAMES_MAX), and name with them. */
static bool counted(struct attrs *w, const char *name)
{
	if (!w->names)
		return false;
	if (w->nnames < ATTRS_NAMES_MAX)
		w->names[w->nnames++] = name;
	return true;
}

/* A rebinding's attribute comes back from where it was parked, if it was. */
static int unparked(struct attrs *w, const char *name)
{
	int rc = w->parked && sbx_parkable(name) ?
			 sbx_unpark(w->parked, w->dirfd, w->rel, name, NULL) : 0;

	return rc == -ENOENT ? 0 : rc;
}

void attr(struct attrs *w, const char *name, mode_t mode, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	if (w->rc || counted(w, name) || (w->rc = unparked(w, name)))
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	w->rc = n < 0 || (size_t)n >= sizeof(buf) ?
			-EOVERFLOW :
			sysfs_rewrite_at(w->s, w->dirfd, name, mode, buf, (size_t)n);
}

/* An attribute whose text is long or already made. */
void attr_text(struct attrs *w, const char *name, mode_t mode, const char *text)
{
	if (w->rc || counted(w, name) || (w->rc = unparked(w, name)))
		return;
	if (!w->rc)
		w->rc = text ? sysfs_rewrite_at(w->s, w->dirfd, name, mode, text, strlen(text)) :
			       -ENOMEM;
}

void attrs_take(struct attrs *w, struct sysfs *s, const char *rel, int dirfd)
{
	*w = (struct attrs){ .s = s, .dirfd = dirfd, .rc = dirfd < 0 ? dirfd : 0, .rel = rel };
}

/* Starts on directory rel, made first with its parents when create is set. */
int attrs_open(struct attrs *w, struct sysfs *s, const char *rel, bool create)
{
	int rc = create ? sysfs_mkdirs(s, rel, DIR_MODE) : 0;

	attrs_take(w, s, rel, rc ? rc : sysfs_dir(s, rel));
	return w->rc;
}

int attrs_close(struct attrs *w)
{
	if (w->dirfd >= 0)
		close(w->dirfd);
	w->dirfd = -1;
	return w->rc;
}

bool sbx_has_driver(const struct ap_state *st, const char *name)
{
	for (size_t i = 0; i < st->ndrivers; i++)
		if (!strcmp(st->drivers[i].name, name))
			return true;
	return false;
}

static int write_marker(struct sysfs *s, const struct ap_state *st)
{
	char gen[KGEN_STR_MAX], text[512], delay[40] = "";

	if (st->rebind_delay_ms)
		snprintf(delay, sizeof(delay), "rebind_delay_ms=%u\n", st->rebind_delay_ms);
	snprintf(text, sizeof(text),
		 "# This directory is an apctl sandbox: an emulated Linux AP bus and vfio_ap\n"
		 "# driver, not a live system. 'apctl --root DIR' works on it as on /, and\n"
		 "# 'lszcrypt' reads it with SYSFS_ROOT=DIR/sys.\n"
		 "kernel=%s\n%s",
		 kgen_format(st->kernel, gen), delay);
	return sysfs_put_str(s, SANDBOX_MARKER, RO, text);
}

static void attr_mask(struct attrs *w, const char *name, mode_t mode, const struct idset *m,
		      bool known)
{
	char hex[IDSET_HEX_LEN];

	idset_to_hex(m, hex);
	attr(w, name, mode, "%s\n", known ? hex : "not supported");
}

int sbx_render_bindings(struct sysfs *s, const struct ap_state *st)
{
	unsigned total = apqnset_count(&st->queues), bound = 0;
	struct attrs w;

	if (!kgen_has(st->kernel, KF_BUS_SCANS))
		return 0;
	for (unsigned a = 0; a < IDSET_BITS; a++)
		idset_foreach(d, &st->queues.dom[a])
			bound += st->qdrv[a][d] != 0;
	attrs_open(&w, s, AP_BUS, false);
	attr(&w, "bindings", RO, "%u/%u%s\n", bound, total, bound == total ? " (complete)" : "");
	return attrs_close(&w);
}

int sbx_render_masks(struct sysfs *s, const struct ap_state *st)
{
	struct attrs w;

	attrs_open(&w, s, AP_BUS, false);
	attr_mask(&w, "apmask", RW, &st->apmask, true);
	attr_mask(&w, "aqmask", RW, &st->aqmask, true);
	attr(&w, "ap_domain", RW, "%d\n", st->ap_domain);
	return attrs_close(&w);
}

/* The host's AP configuration as the bus shows it (QCI). */
int sbx_render_host(struct sysfs *s, const struct ap_state *st)
{
	struct attrs w;

	attrs_open(&w, s, AP_BUS, true);
	attr_mask(&w, "ap_adapter_mask", RO, &st->host.apm, st->qci);
	attr_mask(&w, "ap_usage_domain_mask", RO, &st->host.aqm, st->qci);
	attr_mask(&w, "ap_control_domain_mask", RO, &st->host.adm, st->qci);
	return attrs_close(&w);
}

static int render_bus(struct sysfs *s, const struct ap_state *st)
{
	struct attrs w;

	TRY(sbx_render_host(s, st));
	attrs_open(&w, s, AP_BUS, true);
	attr(&w, "ap_max_adapter_id", RO, "%u\n", st->max_adapter);
	attr(&w, "ap_max_domain_id", RO, "%u\n", st->max_domain);
	attr(&w, "ap_interrupts", RO, "1\n");
	attr(&w, "config_time", RW, "30\n");
	attr(&w, "poll_thread", RW, "0\n");
	attr(&w, "poll_timeout", RW, "250000\n");
	attr(&w, "drivers_autoprobe", RW, "1\n");
	attr_text(&w, "drivers_probe", WO, "");
	attr_text(&w, "uevent", WO, "");
	if (kgen_has(st->kernel, KF_BUS_SCANS))
		attr(&w, "scans", RW, "1\n");
	if (kgen_has(st->kernel, KF_DRIVER_OVERRIDE))
		attr(&w, "bindings_complete_count", RO, "1\n");
	/* QCI without any of the flags reads as nothing at all */
	if (st->has_features)
		attr(&w, "features", RO, "%s%s", st->features, st->features[0] ? "\n" : "");
	TRY(attrs_close(&w));
	TRY(sbx_render_masks(s, st));
	TRY(sysfs_mkdirs(s, AP_BUS_DEVICES, DIR_MODE));
	TRY(sysfs_mkdirs(s, AP_DEVICES, DIR_MODE));
	TRY(sysfs_put_str(s, AP_DEVICES "/uevent", RW, ""));
	for (size_t i = 0; i < st->ndrivers; i++) {
		char rel[REL_MAX];

		snprintf(rel, sizeof(rel), AP_BUS_DRIVERS "/%s", st->drivers[i].name);
		attrs_open(&w, s, rel, true);
		attr_text(&w, "bind", WO, "");
		attr_text(&w, "unbind", WO, "");
		attr_text(&w, "uevent", WO, "");
		TRY(attrs_close(&w));
	}
	return 0;
}

int sbx_render_available(struct sysfs *s, const struct ap_state *st)
{
	struct attrs w;

	attrs_open(&w, s, MDEV_TYPE, false);
	attr(&w, "available_instances", RO, "%ld\n", st->available_instances);
	return attrs_close(&w);
}

/* The bus directories of the matrix and mdev buses. */
static int render_bus_dir(struct sysfs *s, const char *bus, const char *driver)
{
	char rel[REL_MAX];
	struct attrs w;

	snprintf(rel, sizeof(rel), "%s/drivers/%s", bus, driver);
	TRY(sysfs_mkdirs(s, rel, DIR_MODE));
	snprintf(rel, sizeof(rel), "%s/devices", bus);
	TRY(sysfs_mkdirs(s, rel, DIR_MODE));
	attrs_open(&w, s, bus, false);
	attr(&w, "drivers_autoprobe", RW, "1\n");
	attr_text(&w, "drivers_probe", WO, "");
	attr_text(&w, "uevent", WO, "");
	return attrs_close(&w);
}

static int render_matrix_device(struct sysfs *s, const struct ap_state *st)
{
	struct attrs w;

	attrs_open(&w, s, MATRIX_DEV, true);
	attr(&w, "uevent", RW, "DRIVER=" AP_DRV_VFIO "\n");
	if (st->has_matrix_features)
		attr(&w, "features", RO, "%s\n", st->matrix_features);
	TRY(attrs_close(&w));
	TRY(render_bus_dir(s, MATRIX_BUS, AP_DRV_VFIO));
	TRY(render_bus_dir(s, MDEV_BUS, MDEV_DRV));
	TRY(sbx_link(s, MATRIX_DEV "/subsystem", MATRIX_BUS));
	TRY(sbx_link(s, MATRIX_DEV "/driver", MATRIX_BUS "/drivers/" AP_DRV_VFIO));
	TRY(sbx_link(s, MATRIX_BUS "/devices/matrix", MATRIX_DEV));
	TRY(sbx_link(s, MATRIX_BUS "/drivers/" AP_DRV_VFIO "/matrix", MATRIX_DEV));
	TRY(sysfs_mkdirs(s, MDEV_CLASS, DIR_MODE));
	TRY(sbx_link(s, MDEV_CLASS "/matrix", MATRIX_DEV));
	TRY(sysfs_mkdirs(s, MDEV_TYPE "/devices", DIR_MODE));
	attrs_open(&w, s, MDEV_TYPE, false);
	attr(&w, "name", RO, "VFIO AP Passthrough Device\n");
	attr(&w, "device_api", RO, "vfio-ap\n");
	attr_text(&w, "create", WO, "");
	TRY(attrs_close(&w));
	return sbx_render_available(s, st);
}

/* The attributes of an mdev that show its matrix. */
int sbx_render_mdev_matrix(struct sysfs *s, const struct ap_state *st, const struct ap_mdev *m)
{
	char rel[REL_MAX], cdoms[CDOMS_STR_MAX], config[AP_CONFIG_STR_MAX], *text;
	struct attrs w;

	snprintf(rel, sizeof(rel), MATRIX_DEV "/%s", m->uuid);
	attrs_open(&w, s, rel, false);
	text = matrix_render(&m->matrix.apm, &m->matrix.aqm, st->max_adapter, st->max_domain);
	attr_text(&w, "matrix", RO, text);
	free(text);
	if (kgen_has(st->kernel, KF_DYNAMIC)) {
		text = matrix_render(&m->guest.apm, &m->guest.aqm, st->max_adapter, st->max_domain);
		attr_text(&w, "guest_matrix", RO, text);
		free(text);
	}
	cdoms_render(&m->matrix.adm, st->max_domain, cdoms);
	attr_text(&w, "control_domains", RO, cdoms);
	if (kgen_has(st->kernel, KF_AP_CONFIG)) {
		ap_config_render(&m->matrix, config);
		attr_text(&w, "ap_config", RW, config);
	}
	return attrs_close(&w);
}

/* Major of the vfio device files: the kernel allocates it; any stands for it. */
#define VFIO_DEV_MAJOR 240

/*
 * The VFIO group that vfio_ap's emulated IOMMU makes for the mdev
 * (/dev/vfio/N), and from 6.6 its own device file for iommufd
 * (/dev/vfio/devices/vfioN, from vfio-dev/vfioN).
 */
static int render_vfio(struct sysfs *s, const struct ap_mdev *m, const char *rel)
{
	char link[PATH_MAX], group[REL_MAX], dev[PATH_MAX];
	struct attrs w;

	snprintf(group, sizeof(group), IOMMU_GROUPS "/%d", m->iommu_group);
	snprintf(dev, sizeof(dev), IOMMU_GROUPS "/%d/devices", m->iommu_group);
	TRY(sysfs_mkdirs(s, dev, DIR_MODE));
	snprintf(link, sizeof(link), IOMMU_GROUPS "/%d/devices/%s", m->iommu_group, m->uuid);
	TRY(sbx_link(s, link, rel));
	snprintf(link, sizeof(link), "%s/iommu_group", rel);
	TRY(sbx_link(s, link, group));
	if (m->vfio_dev < 0)
		return 0;
	snprintf(dev, sizeof(dev), "%s/vfio-dev/vfio%d", rel, m->vfio_dev);
	attrs_open(&w, s, dev, true);
	attr(&w, "dev", RO, "%d:%d\n", VFIO_DEV_MAJOR, m->vfio_dev);
	attr(&w, "uevent", RW, "MAJOR=%d\nMINOR=%d\nDEVNAME=vfio/devices/vfio%d\n",
	     VFIO_DEV_MAJOR, m->vfio_dev, m->vfio_dev);
	return attrs_close(&w);
}

int sbx_render_mdev(struct sysfs *s, const struct ap_state *st, const struct ap_mdev *m)
{
	static const char *const writers[] = {
		"assign_adapter",        "unassign_adapter",        "assign_domain",
		"unassign_domain",       "assign_control_domain",   "unassign_control_domain",
		"remove",
	};
	char rel[REL_MAX], link[PATH_MAX];
	struct attrs w;

	snprintf(rel, sizeof(rel), MATRIX_DEV "/%s", m->uuid);
	attrs_open(&w, s, rel, true);
	for (size_t i = 0; i < sizeof(writers) / sizeof(writers[0]); i++)
		attr_text(&w, writers[i], WO, "");
	attr(&w, "uevent", RW, "DRIVER=" MDEV_DRV "\nMDEV_TYPE=passthrough\n");
	TRY(attrs_close(&w));
	TRY(sbx_render_mdev_matrix(s, st, m));
	snprintf(link, sizeof(link), "%s/driver", rel);
	TRY(sbx_link(s, link, MDEV_BUS "/drivers/" MDEV_DRV));
	snprintf(link, sizeof(link), "%s/subsystem", rel);
	TRY(sbx_link(s, link, MDEV_BUS));
	snprintf(link, sizeof(link), "%s/mdev_type", rel);
	TRY(sbx_link(s, link, MDEV_TYPE));
	TRY(render_vfio(s, m, rel));
	snprintf(link, sizeof(link), MDEV_TYPE "/devices/%s", m->uuid);
	TRY(sbx_link(s, link, rel));
	snprintf(link, sizeof(link), MDEV_BUS "/devices/%s", m->uuid);
	TRY(sbx_link(s, link, rel));
	snprintf(link, sizeof(link), MDEV_BUS "/drivers/" MDEV_DRV "/%s", m->uuid);
	return sbx_link(s, link, rel);
}

/* The mdevs' order, numbers and guests, and the driver_overrides. */
static int private_mdevs(struct sysfs *s, const struct ap_state *st, char *text, size_t size)
{
	size_t len = (size_t)snprintf(text, size, "# mdevs, oldest first: UUID, whether a guest "
				      "uses it, whether a remove waits for the guest, its VFIO "
				      "group and device file, the guest's iommufd use, the guest\n");
	int rc;

	for (size_t i = 0; i < st->nmdevs; i++) {
		const struct ap_mdev *m = &st->mdevs[i];

		len += (size_t)snprintf(text + len, size - len,
					"%s attached=%d removing=%d group=%d vfio=%d%s%s%s\n",
					m->uuid, m->in_use == 1, m->removing, m->iommu_group,
					m->vfio_dev, m->guest_iommufd ? " iommufd=1" : "",
					m->guest_name[0] ? " guest=" : "", m->guest_name);
	}
	rc = sysfs_put(s, SANDBOX_MDEVS, RW, text, len);
	len = (size_t)snprintf(text, size, "# queues with a driver_override: APQN DRIVER\n");
	for (size_t i = 0; i < st->noverrides; i++)
		len += (size_t)snprintf(text + len, size - len, "%02x.%04x %s\n",
					st->overrides[i].adapter, st->overrides[i].domain,
					st->overrides[i].driver);
	return rc ? rc : sysfs_put(s, SANDBOX_OVERRIDES, RW, text, len);
}

/* The cards and queues zcrypt has set offline, whatever else keeps them from use. */
static int private_offline(struct sysfs *s, const struct ap_state *st, char *text, size_t size)
{
	size_t len = (size_t)snprintf(text, size, "# set offline in zcrypt: cards and queues\n");

	idset_foreach(a, &st->cards)
		if (st->card[a].zoffline && len < size)
			len += (size_t)snprintf(text + len, size - len, "card%02x\n", a);
	for (unsigned a = 0; a < IDSET_BITS; a++)
		idset_foreach(d, &st->qoffline.dom[a])
			if (len < size)
				len += (size_t)snprintf(text + len, size - len, "%02x.%04x\n", a, d);
	return sysfs_put(s, SANDBOX_OFFLINE, RW, text, len < size ? len : size);
}

/* The rebinding still to come, or no file. */
static int private_rebind(struct sysfs *s, const struct ap_state *st)
{
	char am[IDSET_HEX_LEN], qm[IDSET_HEX_LEN], text[200];
	int rc;

	if (!st->rebind_pending) {
		rc = sysfs_remove(s, SANDBOX_REBIND);
		return rc == -ENOENT ? 0 : rc;
	}
	idset_to_hex(&st->bound_apmask, am);
	idset_to_hex(&st->bound_aqmask, qm);
	snprintf(text, sizeof(text), "apmask=%s aqmask=%s due=%lld\n", am, qm, st->rebind_due);
	return sysfs_put_str(s, SANDBOX_REBIND, RW, text);
}

int sbx_render_private(struct sysfs *s, const struct ap_state *st)
{
	size_t size = 256 + st->nmdevs * 192 + st->noverrides * 48 +
		      (apqnset_count(&st->qoffline) + IDSET_BITS) * 10;
	char *text = malloc(size);
	int rc;

	if (!text)
		return -ENOMEM;
	rc = private_mdevs(s, st, text, size);
	if (!rc)
		rc = private_offline(s, st, text, size);
	if (!rc)
		rc = private_rebind(s, st);
	free(text);
	return rc;
}

static int render_queues(struct sysfs *s, const struct ap_state *st)
{
	struct sbx_links l;
	int rc = 0;

	sbx_links_init(&l, s);
	for (unsigned a = 0; a < IDSET_BITS && !rc; a++)
		idset_foreach(d, &st->queues.dom[a])
			if (!rc)
				rc = sbx_render_queue(&l, st, a, (unsigned)d);
	sbx_links_close(&l);
	return rc;
}

int sbx_render(struct sysfs *s, const struct ap_state *st)
{
	static const char *const dirs[] = {
		/* mdevctl runs only where its callouts and notifiers directories are */
		MDEVCTL_DIR "/scripts.d/callouts", MDEVCTL_DIR "/scripts.d/notifiers",
		UDEV_RULES_DIR, RUN_UDEV_RULES_DIR, LOCK_DIR, SANDBOX_DIR, JOURNAL_DIR,
		IOMMU_GROUPS,
	};

	TRY(write_marker(s, st));
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		TRY(sysfs_mkdirs(s, dirs[i], DIR_MODE));
	TRY(sysfs_put_str(s, SANDBOX_LOG, RW, ""));
	TRY(sysfs_put_str(s, SANDBOX_KERNEL_LOCK, RW, ""));
	TRY(render_bus(s, st));
	idset_foreach(a, &st->cards)
		TRY(sbx_render_card(s, st, (unsigned)a));
	TRY(render_queues(s, st));
	TRY(sbx_render_bindings(s, st));
	if (st->matrix_present) {
		TRY(render_matrix_device(s, st));
		for (size_t i = 0; i < st->nmdevs; i++)
			TRY(sbx_render_mdev(s, st, &st->mdevs[i]));
	}
	return sbx_render_private(s, st);
}

