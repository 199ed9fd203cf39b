/* SPDX-License-Identifier: MIT */
/*
 * The devices of the sandbox tree: cards and queues with the attributes the
 * AP bus and its drivers give them (section 2.2 and 2.3), in the formats of
 * the emulated kernel's generation.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "layout.h"
#include "paths.h"
#include "tree.h"

/* The mode letter of card a: 'A', 'C' or 'P'. */
static char card_mode(const struct ap_state *st, unsigned a)
{
	const char *t = st->card[a].type;

	return t[0] ? t[strlen(t) - 1] : card_mode_from_functions(st->card[a].functions);
}

/* MODE= of a card's and its queues' uevent (5.14), or "". */
static void mode_line(const struct ap_state *st, unsigned a, char *buf, size_t size)
{
	buf[0] = '\0';
	if (kgen_has(st->kernel, KF_UEVENT_MODE))
		snprintf(buf, size, "MODE=%s\n", card_mode_word(card_mode(st, a)));
}

/* The uevent file of a card (ap_uevent and the driver core, section 2.2). */
static void attr_card_uevent(struct attrs *w, const struct ap_state *st, unsigned a,
			     const char *drv)
{
	unsigned t = (unsigned)st->card[a].hwtype;
	char mode[32];

	mode_line(st, a, mode, sizeof(mode));
	attr(w, "uevent", RW, "DEVTYPE=ap_card\n%s%s%sDEV_TYPE=%04X\nMODALIAS=ap:t%02X\n%s",
	     drv ? "DRIVER=" : "", drv ? drv : "", drv ? "\n" : "", t, t, mode);
}

/* The uevent file of a queue: no DEV_TYPE or MODALIAS. */
static void attr_queue_uevent(struct attrs *w, const struct ap_state *st, unsigned a,
			      const char *drv)
{
	char mode[32];

	mode_line(st, a, mode, sizeof(mode));
	attr(w, "uevent", RW, "DEVTYPE=ap_queue\n%s%s%s%s", drv ? "DRIVER=" : "", drv ? drv : "",
	     drv ? "\n" : "", mode);
}

/* What the zcrypt card driver adds: type, online, load; serial numbers; EP11's own. */
static void card_driver_attrs(struct attrs *w, const struct ap_state *st, unsigned a)
{
	const struct ap_card *c = &st->card[a];
	char mode = card_mode(st, a);

	attr(w, "type", RO, "%s\n", c->type);
	attr(w, "online", RW, "%d\n", c->online > 0);
	attr(w, "load", RO, "0\n");
	/* CCA: 8 characters, EP11: 16; an empty line when the card cannot be asked */
	if (mode == 'C')
		attr(w, "serialnr", RO, "%.8s\n", c->online > 0 ? c->serialnr : "");
	if (mode != 'P')
		return;
	attr(w, "serialnr", RO, "%.16s\n", c->online > 0 ? c->serialnr : "");
	attr(w, "API_ordinalnr", RO, "%s\n", c->online > 0 ? "6" : "");
	attr(w, "FW_version", RO, "%s\n", c->online > 0 ? "7.15" : "");
	attr(w, "op_modes", RO, "%s\n", c->online > 0 ? "FIPS2021" : "");
}

/* The state attributes of a card, which change when it is configured, checkstopped, set offline. */
static void card_state_attrs(struct attrs *w, const struct ap_state *st, unsigned a,
			     const char *drv)
{
	const struct ap_card *c = &st->card[a];

	attr(w, "config", RW, "%d\n", c->config != 0);
	if (kgen_has(st->kernel, KF_CHKSTOP))
		attr(w, "chkstop", RO, "%d\n", c->chkstop == 1);
	if (drv && c->type[0])
		card_driver_attrs(w, st, a);
}

int sbx_render_card(struct sysfs *s, const struct ap_state *st, unsigned a)
{
	const struct ap_card *c = &st->card[a];
	const char *drv = sbx_has_driver(st, AP_DRV_CARD) ? AP_DRV_CARD : NULL;
	char rel[REL_MAX];
	struct attrs w;

	snprintf(rel, sizeof(rel), AP_DEVICES "/card%02x", a);
	attrs_open(&w, s, rel, true);
	attr(&w, "hwtype", RO, "%d\n", c->hwtype);
	attr(&w, "raw_hwtype", RO, "%d\n", c->raw_hwtype);
	/* TAPQ's queue depth field, plus one from 6.19 (section 2.2) */
	attr(&w, "depth", RO, "%d\n", c->depth + kgen_has(st->kernel, KF_DEPTH_PLUS_ONE));
	attr(&w, "ap_functions", RO, "0x%08X\n", c->functions);
	attr(&w, "request_count", RW, "0\n");
	attr(&w, "requestq_count", RO, "0\n");
	attr(&w, "pendingq_count", RO, "0\n");
	attr(&w, "modalias", RO, "ap:t%02X\n", (unsigned)c->hwtype);
	if (kgen_has(st->kernel, KF_UEVENT_MODE))
		attr(&w, "max_msg_size", RO, "12288\n");
	attr_card_uevent(&w, st, a, drv);
	card_state_attrs(&w, st, a, drv);
	TRY(attrs_close(&w));
	TRY(sbx_link_device(s, rel));
	return drv ? sbx_link_driver(s, rel, drv) : 0;
}

int sbx_render_card_state(struct sysfs *s, const struct ap_state *st, unsigned a)
{
	const char *drv = sbx_has_driver(st, AP_DRV_CARD) ? AP_DRV_CARD : NULL;
	char rel[REL_MAX];
	struct attrs w;

	snprintf(rel, sizeof(rel), AP_DEVICES "/card%02x", a);
	attrs_open(&w, s, rel, false);
	card_state_attrs(&w, st, a, drv);
	return attrs_close(&w);
}

void sbx_queue_rel(unsigned a, unsigned d, char *buf, size_t size)
{
	snprintf(buf, size, AP_DEVICES "/card%02x/%02x.%04x", a, a, d);
}

/* What driver_override shows: the driver named, or an empty line (section 2.3). */
static const char *queue_override(const struct ap_state *st, unsigned a, unsigned d)
{
	int o = state_find_override(st, a, d);

	return o >= 0 ? st->overrides[o].driver : "";
}

int sbx_render_override(struct sysfs *s, const struct ap_state *st, unsigned a, unsigned d)
{
	char rel[REL_MAX];
	struct attrs w;

	sbx_queue_rel(a, d, rel, sizeof(rel));
	attrs_open(&w, s, rel, false);
	attr(&w, "driver_override", RW, "%s\n", queue_override(st, a, d));
	return attrs_close(&w);
}

/*
 * The master key verification patterns of a CCA or EP11 queue as zcrypt
 * shows them (section 2.3), made up from the card's serial number; "- -"
 * while the queue cannot be asked.
 */
static void mkvps(const struct ap_state *st, unsigned a, unsigned d, char *buf, size_t size)
{
	static const char *const keys[] = { "AES", "APKA", "ASYM" };
	unsigned long long v = 0x93ULL << 56 | (unsigned long long)a << 16 | d;
	bool up = st->card[a].online > 0 && !apqnset_has(&st->qoffline, a, d);
	size_t n = 0;

	if (card_mode(st, a) == 'P') {
		if (!up)
			snprintf(buf, size, "WK CUR: - -\nWK NEW: - -\n");
		else
			snprintf(buf, size, "WK CUR: valid 0x%016llx%016llx%016llx%016llx\n"
				 "WK NEW: empty -\n", v, v, v, v);
		return;
	}
	/* APKA from 5.10, ASYM from 5.19 */
	for (int k = 0; k < (kgen_has(st->kernel, KF_CHKSTOP) ? 3 : 2) && n < size; k++) {
		/* 16 hex digits for AES and APKA, 32 for ASYM */
		int digits = k == 2 ? 32 : 16;
		char cur[40], zero[40];

		snprintf(cur, sizeof(cur), "%016llx%016llx", v + (unsigned)k, v + (unsigned)k);
		snprintf(zero, sizeof(zero), "%032d", 0);
		cur[digits] = zero[digits] = '\0';
		if (!up)
			n += (size_t)snprintf(buf + n, size - n, "%s NEW: - -\n%s CUR: - -\n"
					      "%s OLD: - -\n", keys[k], keys[k], keys[k]);
		else
			n += (size_t)snprintf(buf + n, size - n, "%s NEW: empty 0x%s\n%s CUR: valid "
					      "0x%s\n%s OLD: invalid 0x%s\n", keys[k], zero, keys[k],
					      cur, keys[k], zero);
	}
}

/* What zcrypt's queue driver adds: online, load; the master keys of CCA and EP11. */
static void default_queue_attrs(struct attrs *w, const struct ap_state *st, unsigned a,
				unsigned d)
{
	bool up = st->card[a].config == 1 && st->card[a].chkstop != 1 &&
		  !apqnset_has(&st->qoffline, a, d);
	char mode = card_mode(st, a), text[1024];

	attr(w, "online", RW, "%d\n", up);
	attr(w, "load", RO, "0\n");
	if (mode == 'A')
		return;
	mkvps(st, a, d, text, sizeof(text));
	/* the card is asked only for a queue online: then a copy's own patterns */
	if (up && apqnset_has(&st->mkvps_kept, a, d)) {
		char rel[64];

		snprintf(rel, sizeof(rel), SANDBOX_MKVPS "/%02x.%04x", a, d);
		if (sysfs_read(w->s, rel, text, sizeof(text)) < 0)
			mkvps(st, a, d, text, sizeof(text));
	}
	attr_text(w, "mkvps", RO, text);
	if (mode == 'P')
		attr(w, "op_modes", RO, "%s\n", up ? "FIPS2021" : "");
}

/* The attributes that the driver bound to queue (a, d) adds. */
static void driver_attrs(struct attrs *w, const struct ap_state *st, unsigned a, unsigned d)
{
	enum queue_driver kind = state_queue_driver(st, a, d);

	/* only zcrypt's driver starts a queue: any other leaves it uninitiated */
	attr(w, "request_count", RW, "%s\n", kind == QDRV_DEFAULT ? "0" : "-");
	if (kind == QDRV_DEFAULT)
		default_queue_attrs(w, st, a, d);
	else if (kind == QDRV_VFIO && kgen_has(st->kernel, KF_VFIO_STATUS))
		attr(w, "status", RO, "%s\n", vfio_status_name(state_vfio_status(st, a, d)));
	attr_queue_uevent(w, st, a, state_queue_driver_name(st, a, d));
}

/* Those attributes and the driver's links; was: the driver before, or NULL. */
static int queue_driver(struct attrs *w, struct sbx_links *l, const struct ap_state *st,
			unsigned a, unsigned d, const char *was)
{
	const char *drv = state_queue_driver_name(st, a, d);

	driver_attrs(w, st, a, d);
	if (!w->rc && drv)
		w->rc = sbx_link_queue_driver(l, w->dirfd, w->rel, drv, was);
	else if (!w->rc && was)
		w->rc = sbx_unlink_queue_driver(l, w->dirfd, w->rel, was);
	return attrs_close(w);
}

int sbx_rebind_queue(struct sbx_links *l, const struct ap_state *old, const struct ap_state *st,
		     unsigned a, unsigned d)
{
	const char *names[ATTRS_NAMES_MAX], *was = state_queue_driver_name(old, a, d);
	struct attrs w = { .s = l->s, .names = names };
	char rel[REL_MAX];
	size_t n;

	/* what the old driver showed, as its own rendering names it, is parked */
	driver_attrs(&w, old, a, d);
	n = w.nnames;
	sbx_queue_rel(a, d, rel, sizeof(rel));
	attrs_take(&w, l->s, rel, sbx_queue_dir(l, a, d));
	for (size_t i = 0; i < n && !w.rc; i++)
		if (sbx_parkable(names[i]))
			w.rc = sbx_park(l, w.dirfd, rel, names[i], NULL);
	if (!w.rc)
		w.rc = sbx_park_driver_link(l, w.dirfd, rel, was);
	w.parked = l;
	return queue_driver(&w, l, st, a, d, was);
}

/* The state attributes of a queue: its card's config and chkstop. */
static void queue_state_attrs(struct attrs *w, const struct ap_state *st, unsigned a)
{
	attr(w, "config", RO, "%d\n", st->card[a].config != 0);
	if (kgen_has(st->kernel, KF_CHKSTOP))
		attr(w, "chkstop", RO, "%d\n", st->card[a].chkstop == 1);
}

int sbx_render_queue_state(struct sysfs *s, const struct ap_state *st, unsigned a, unsigned d)
{
	char rel[REL_MAX];
	struct attrs w;

	sbx_queue_rel(a, d, rel, sizeof(rel));
	attrs_open(&w, s, rel, false);
	queue_state_attrs(&w, st, a);
	if (state_queue_driver(st, a, d) == QDRV_DEFAULT)
		default_queue_attrs(&w, st, a, d);
	return attrs_close(&w);
}

/*
 * A queue of zcrypt's driver is made with what vfio_ap shows of it parked:
 * reserving it makes no inode then, the first time as after.
 */
static int park_vfio(struct sbx_links *l, const struct ap_state *st, unsigned a, unsigned d,
		     const char *rel)
{
	char status[32];

	if (state_queue_driver(st, a, d) != QDRV_DEFAULT || !sbx_has_driver(st, AP_DRV_VFIO))
		return 0;
	if (!kgen_has(st->kernel, KF_VFIO_STATUS))
		return sbx_park_ready(l, rel, AP_DRV_VFIO, NULL, NULL);
	snprintf(status, sizeof(status), "%s\n",
		 vfio_status_name(state_mdev_vfio_status(st, NULL, a, d)));
	return sbx_park_ready(l, rel, AP_DRV_VFIO, "status", status);
}

int sbx_render_queue(struct sbx_links *l, const struct ap_state *st, unsigned a, unsigned d)
{
	const struct ap_card *c = &st->card[a];
	char rel[REL_MAX];
	struct attrs w;

	sbx_queue_rel(a, d, rel, sizeof(rel));
	attrs_open(&w, l->s, rel, true);
	attr(&w, "requestq_count", RO, "0\n");
	attr(&w, "pendingq_count", RO, "0\n");
	attr(&w, "reset", RW, "No Reset Timer set.\n");
	attr(&w, "interrupt", RO, "Interrupts enabled.\n");
	queue_state_attrs(&w, st, a);
	if (kgen_has(st->kernel, KF_QUEUE_FUNCTIONS))
		attr(&w, "ap_functions", RO, "0x%08X\n", c->functions);
	if (kgen_has(st->kernel, KF_DRIVER_OVERRIDE))
		attr(&w, "driver_override", RW, "%s\n", queue_override(st, a, d));
	if (!w.rc)
		w.rc = sbx_link_queue(l, w.dirfd, rel);
	if (!w.rc)
		w.rc = park_vfio(l, st, a, d, rel);
	return queue_driver(&w, l, st, a, d, NULL);
}
