/* SPDX-License-Identifier: MIT */
/*
 * Every transition of the kernel's AP state: the decision of lib/rules and
 * what the kernel then changes in its memory (masks, bindings, matrix, guest,
 * instances, devices). The emulated kernel applies them to a sandbox; the
 * change engine applies them to a copy of the state to predict the kernel's
 * answer to each write and what the system looks like afterwards. Nothing
 * else decides a rule of the kernel.
 *
 * Each transition returns 0 or the kernel's -errno and leaves the state as
 * it was on an error. hits (if not NULL) gets the APQNs behind a refusal:
 * those of the first mdev the kernel finds, or of every mdev with all_mdevs.
 */
#ifndef APCTL_KMODEL_H
#define APCTL_KMODEL_H

#include <stdbool.h>

#include "cardtype.h"
#include "rules.h"
#include "state.h"

/*
 * The AP bus binds queue (a, d) as ap_device_probe() does: the driver of its
 * owner by the masks, or (6.19) the one its driver_override names. The driver.
 */
enum queue_driver kmodel_bind_queue(struct ap_state *st, unsigned a, unsigned d);

/*
 * An apmask (is_apmask) or aqmask store of the bytes val (section 3.1): the
 * kernel's parse, then as kmodel_mask_set().
 */
int kmodel_mask_write(struct ap_state *st, bool is_apmask, const char *val, struct khits *hits,
		      bool all_mdevs);
/*
 * The store of a parsed mask: the override rule, the no-op, the in-use check
 * (EBUSY), then the new mask, the queues rebound and the guests following;
 * with st->rebind_delay_ms, the rebinding is left pending for kmodel_rebind().
 */
int kmodel_mask_set(struct ap_state *st, bool is_apmask, const struct idset *mask,
		    struct khits *hits, bool all_mdevs);
/* The AP bus rebinds what the mask writes left pending. */
void kmodel_rebind(struct ap_state *st);

/* create of uuid: 0 (the new mdev is the last), -EINVAL, -EEXIST, -EUSERS/-EPERM. */
int kmodel_create(struct ap_state *st, const char *uuid);
/*
 * remove of mdev i: 0 (removed), -EBUSY (before 5.13, a guest holds it), or
 * -EINPROGRESS: the write waits until the guest lets go, and the mdev is
 * marked removing; kmodel_attach() that detaches it then removes it.
 */
int kmodel_remove(struct ap_state *st, size_t i);
/* assign_* or unassign_* of id to mdev i. */
int kmodel_assign(struct ap_state *st, size_t i, enum assign_kind kind, unsigned long id,
		  bool assign, struct khits *hits, bool all_mdevs);
/* An ap_config write of m to mdev i: all or nothing. */
int kmodel_ap_config(struct ap_state *st, size_t i, const struct ap_matrix *m,
		     struct khits *hits, bool all_mdevs);

/* driver_override of queue (a, d) (6.19, section 3.8): "" clears it. 0 or -EINVAL. */
int kmodel_driver_override(struct ap_state *st, unsigned a, unsigned d, const char *driver);
/* ap_domain: a domain up to the maximum whose aqmask bit is set. 0 or -EINVAL. */
int kmodel_ap_domain(struct ap_state *st, long domain);

/* A card of type t appears at adapter a, configured and online. */
void kmodel_add_card(struct ap_state *st, unsigned a, const struct card_type *t);
/*
 * The queue devices of apm x aqm that do not exist yet appear, on cards that
 * do, up to the maxima, and are bound.
 */
void kmodel_add_queues(struct ap_state *st, const struct idset *apm, const struct idset *aqm);
/*
 * The host's AP configuration gains (add) or loses the IDs of ids, with the
 * bus scan and vfio_ap's hot plug and unplug (section 4.4); new cards have
 * type t.
 */
void kmodel_host_change(struct ap_state *st, bool add, const struct ap_matrix *ids,
			const struct card_type *t);
/*
 * Card a is configured on or off (its config attribute, SCLP): off, it leaves
 * the host's configuration as hot unplug, but its devices stay, with config
 * 0; on, it comes back and is plugged again. 0 or -ENODEV (no such card).
 */
int kmodel_card_config(struct ap_state *st, unsigned a, bool on);
/* Card a is checkstopped, or not any more: its queues stay with the guests. */
void kmodel_card_chkstop(struct ap_state *st, unsigned a, bool on);
/*
 * zcrypt sets card a online or offline, and its queues bound to a default
 * driver with it: 0, or -ENODEV to set online a card that cannot be used.
 */
int kmodel_card_online(struct ap_state *st, unsigned a, bool on);
/*
 * zcrypt sets queue (a, d) online or offline: 0, -ENODEV when its card cannot
 * be used, -EINVAL when its card is offline.
 */
int kmodel_queue_online(struct ap_state *st, unsigned a, unsigned d, bool on);

/*
 * A guest starts (attach) or stops using mdev i, through its VFIO group or
 * with iommufd through its own device file; stopping ends a remove that
 * waited for it. -EALREADY when it already is so; -EOPNOTSUPP for iommufd on a
 * kernel without the mdev's device file (before 6.6).
 */
int kmodel_attach(struct ap_state *st, size_t i, bool attach, bool iommufd);
/*
 * Each mdev without them gets the numbers of its VFIO group and device file
 * that a create gives (the lowest free), and its guest the file it holds.
 */
void kmodel_number(struct ap_state *st);

/*
 * The machine reboots: the kernel forgets its configuration and starts with
 * both masks all ones, no mdevs, no guests and no driver overrides; the host's
 * AP configuration and its devices stay.
 */
void kmodel_boot(struct ap_state *st);

#endif
