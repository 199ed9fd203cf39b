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
struct sbx_links;
#define ATTRS_NAMES_MAX 16
struct attrs {
	struct sysfs *s;
	int dirfd;
	int rc;
	/* a rebinding's: each attribute comes back from where it was parked, if it was */
	struct sbx_links *parked;
	const char *rel;
	/* not NULL: the names are only counted in (ATTRS_NAMES_MAX), nothing is written */
	const char **names;
	size_t nnames;
};
/* Starts on directory rel, made first with its parents when create is set. */
int attrs_open(struct attrs *w, struct sysfs *s, const char *rel, bool create);
/* Starts on directory rel, open as dirfd (which attrs_close() closes). */
void attrs_take(struct attrs *w, struct sysfs *s, const char *rel, int dirfd);
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

/* Directories opened once for the links of many queues. */
#define SBX_LINKS_DIRS (STATE_MAX_DRIVERS + 4)
struct sbx_links {
	struct sysfs *s;
	size_t n;
	struct {
		char rel[REL_MAX];
		int fd;
	} dir[SBX_LINKS_DIRS];
	int parked[IDSET_BITS]; /* each card's directory of what is parked; -1: not open */
	/*
	 * What a card's directory holds, once a few unparks brought nothing
	 * back: per domain, a bit for each parkable attribute and for the driver
	 * links of vfio_ap, cex4queue and any other (a clear bit: none is
	 * there); NULL: not known
	 */
	uint8_t *held[IDSET_BITS];
	unsigned misses[IDSET_BITS]; /* unparks of the card that found nothing */
	int card[IDSET_BITS];   /* each card's device directory; -1: not open */
	bool again;             /* a store cut short is made again: trust nothing */
};
void sbx_links_init(struct sbx_links *l, struct sysfs *s);
void sbx_links_close(struct sbx_links *l);
/* The subsystem link of queue directory rel (open as qdirfd), and the bus's link to it. */
int sbx_link_queue(struct sbx_links *l, int qdirfd, const char *rel);
/*
 * The driver link of queue directory rel to drv, and drv's link back, which
 * moves from driver was (or none); any of them may exist already.
 */
int sbx_link_queue_driver(struct sbx_links *l, int qdirfd, const char *rel, const char *drv,
			  const char *was);
/*
 * Sets name of queue directory rel aside (as as, or as name) while another
 * driver has the queue: 0, also when there is none.
 */
int sbx_park(struct sbx_links *l, int qdirfd, const char *rel, const char *name, const char *as);
/* Whether only a driver shows attribute name of a queue, which is then parked. */
bool sbx_parkable(const char *name);
/*
 * Parks what driver drv would show of new queue directory rel, its link and
 * attribute name with text (or none), so that the queue's first binding to
 * it makes no inode, as none after it does.
 */
int sbx_park_ready(struct sbx_links *l, const char *rel, const char *drv, const char *name,
		   const char *text);
/* Brings it back: 0, or -ENOENT when none was parked. */
int sbx_unpark(struct sbx_links *l, int qdirfd, const char *rel, const char *name, const char *as);
/* An O_PATH descriptor of queue (a, d)'s directory, to close, or -errno. */
int sbx_queue_dir(struct sbx_links *l, unsigned a, unsigned d);
/*
 * Parks the driver link of queue directory rel: as the link of was, or with
 * l->again by the driver it names.
 */
int sbx_park_driver_link(struct sbx_links *l, int qdirfd, const char *rel, const char *was);
/* Takes the driver link of queue rel and drv's link back away; 0 when there were none. */
int sbx_unlink_queue_driver(struct sbx_links *l, int qdirfd, const char *rel, const char *drv);

/* Writes the whole tree of st: marker, sysfs, private files. */
int sbx_render(struct sysfs *s, const struct ap_state *st);
/* A symlink at link_rel to target_rel, relative as sysfs makes it; replaces one that exists. */
int sbx_link(struct sysfs *s, const char *link_rel, const char *target_rel);
/* Whether the relative link at rel (below a top) climbs above the top with its "..". */
bool sbx_link_climbs_out(const char *rel, const char *link);
int sbx_render_masks(struct sysfs *s, const struct ap_state *st);
int sbx_render_bindings(struct sysfs *s, const struct ap_state *st);
/*
 * Queue (a, d) bound as st says, as old had it before: the old driver's
 * attributes and links go, the new one's come.
 */
int sbx_rebind_queue(struct sbx_links *l, const struct ap_state *old, const struct ap_state *st,
		     unsigned a, unsigned d);
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
int sbx_render_queue(struct sbx_links *l, const struct ap_state *st, unsigned a, unsigned d);
/* The directory of queue (a, d), relative to the root. */
void sbx_queue_rel(unsigned a, unsigned d, char *buf, size_t size);
bool sbx_has_driver(const struct ap_state *st, const char *name);
/* Rewrites what differs between two states of the same sandbox. */
int sbx_sync(struct sysfs *s, const struct ap_state *old, const struct ap_state *st);
/* The same after a store was cut short: the tree may show parts of either. */
int sbx_sync_again(struct sysfs *s, const struct ap_state *old, const struct ap_state *st);

#endif
