/* SPDX-License-Identifier: MIT */
/*
 * The sandbox tree written from a state: the whole of it, or the parts that
 * a change of the emulated kernel's state shows in.
 */
#ifndef APCTL_SANDBOX_TREE_H
#define APCTL_SANDBOX_TREE_H

#include <stdbool.h>
#include <sys/types.h>

#include "state.h"
#include "sysfs.h"

/* the longest path built here, an mdev's, is well under this */
#define REL_MAX 192

#define RO 0444
#define RW 0644
#define WO 0200
#define DIR_MODE 0755

/*
 * Writes the attributes of one directory; the first error is kept and the
 * rest are skipped, so a device's attributes read as one list.
 */
struct attrs {
	struct sysfs *s;
	int dirfd;
	int rc;
};
/* Starts on directory rel, made first with its parents when create is set. */
int attrs_open(struct attrs *w, struct sysfs *s, const char *rel, bool create);
int attrs_close(struct attrs *w);
void attr(struct attrs *w, const char *name, mode_t mode, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* An attribute whose text is long or already made. */
void attr_text(struct attrs *w, const char *name, mode_t mode, const char *text);
/* rel/subsystem and the bus's devices/NAME link of AP device rel. */
int sbx_link_device(struct sysfs *s, const char *rel);
/* rel/driver and the driver's link back to AP device rel. */
int sbx_link_driver(struct sysfs *s, const char *rel, const char *drv);

/* Returns from the function with the -errno of expr, if it fails. */
#define TRY(expr)                   \
	do {                        \
		int rc_ = (expr);   \
		if (rc_ < 0)        \
			return rc_; \
	} while (0)

/* Writes the whole tree of st: marker, sysfs, private files. */
int sbx_render(struct sysfs *s, const struct ap_state *st);
/* A symlink at link_rel to target_rel, relative as sysfs makes it; replaces one that exists. */
int sbx_link(struct sysfs *s, const char *link_rel, const char *target_rel);
int sbx_render_masks(struct sysfs *s, const struct ap_state *st);
int sbx_render_bindings(struct sysfs *s, const struct ap_state *st);
int sbx_render_queue_driver(struct sysfs *s, const struct ap_state *st, unsigned a, unsigned d);
int sbx_unrender_queue_driver(struct sysfs *s, unsigned a, unsigned d, const char *drv);
int sbx_render_available(struct sysfs *s, const struct ap_state *st);
int sbx_render_mdev(struct sysfs *s, const struct ap_state *st, const struct ap_mdev *m);
int sbx_render_mdev_matrix(struct sysfs *s, const struct ap_state *st, const struct ap_mdev *m);
int sbx_render_override(struct sysfs *s, const struct ap_state *st, unsigned a, unsigned d);
/* What the emulated kernel keeps that sysfs does not show: mdev order, guests, overrides. */
int sbx_render_private(struct sysfs *s, const struct ap_state *st);
int sbx_render_host(struct sysfs *s, const struct ap_state *st);
int sbx_render_card(struct sysfs *s, const struct ap_state *st, unsigned a);
/* What a card's config, chkstop and online change: its state attributes. */
int sbx_render_card_state(struct sysfs *s, const struct ap_state *st, unsigned a);
/* Those of a queue: config, chkstop, online, the master keys. */
int sbx_render_queue_state(struct sysfs *s, const struct ap_state *st, unsigned a, unsigned d);
int sbx_render_queue(struct sysfs *s, const struct ap_state *st, unsigned a, unsigned d);
/* The directory of queue (a, d), relative to the root. */
void sbx_queue_rel(unsigned a, unsigned d, char *buf, size_t size);
bool sbx_has_driver(const struct ap_state *st, const char *name);
/* Rewrites what differs between two states of the same sandbox. */
int sbx_sync(struct sysfs *s, const struct ap_state *old, const struct ap_state *st);

#endif
