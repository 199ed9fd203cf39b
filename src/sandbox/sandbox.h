/* SPDX-License-Identifier: MIT */
/*
 * Sandboxes: a directory whose sys/ tree has the real layout, formats and
 * symlinks of the AP bus and vfio_ap (so lszcrypt with SYSFS_ROOT=DIR/sys sees
 * a consistent system), a marker file at its top that says which kernel
 * generation it emulates, and an emulated kernel that applies each attribute
 * write to the files with the kernel's semantics (kmodel). The files are the
 * state; what the kernel keeps in memory and sysfs does not show is in
 * apctl-sandbox.d/.
 */
#ifndef APCTL_SANDBOX_H
#define APCTL_SANDBOX_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cardtype.h"
#include "diag.h"
#include "idset.h"
#include "rules.h"
#include "state.h"
#include "layout.h"
#include "root.h"
#include "sysfs.h"

#define SANDBOX_MAX_TYPES 256

/* The host that `apctl sandbox create` makes. */
struct sandbox_spec {
	struct kgen kernel;
	struct idset adapters;        /* the host's AP configuration */
	struct idset domains;
	struct idset control_domains;
	struct card_type types[SANDBOX_MAX_TYPES]; /* given to the adapters in turn */
	size_t ntypes;
	unsigned max_adapter;
	unsigned max_domain;
	unsigned rebind_delay_ms;     /* the AP bus rebinds this long after a mask write */
};

/*
 * The host of the kernel document's example: adapters 5 (CEX5C) and 6
 * (CEX5A), usage and control domains 4, 0x47, 0xab and 0xff, maximum IDs 255,
 * the newest kernel generation.
 */
void sandbox_spec_demo(struct sandbox_spec *sp);

/* The state of a freshly booted host as the spec describes it: default masks, no mdevs. */
int sandbox_spec_state(const struct sandbox_spec *sp, struct ap_state **out);

/*
 * Writes a sandbox of st at dir, which must not exist or be empty; with from,
 * also copies the mdevctl definitions and AP udev rules of that root. The tree
 * is built beside dir and renamed into place, so a failure leaves nothing.
 * -EEXIST or -ENOTDIR for an unusable dir, another -errno otherwise; *d says.
 */
int sandbox_create(const char *dir, const struct ap_state *st, struct sysfs *from,
		   struct diag *d);

/* Whether root s holds a sandbox (its marker). */
bool sandbox_is(struct sysfs *s);
/* The generation a sandbox emulates, from its marker: 0 or -errno. */
int sandbox_kernel(struct sysfs *s, struct kgen *g);
/* How long its AP bus waits before it rebinds after a mask write (ms; 0: at once). */
unsigned sandbox_rebind_delay(struct sysfs *s);
/*
 * Adds to a state read from the tree what the emulated kernel keeps besides:
 * the mdevs' creation order (oldest first), which ones a guest uses or waits
 * to be removed, and every driver_override.
 */
int sandbox_load_private(struct sysfs *s, struct ap_state *st);

/*
 * The emulated kernel as the store of s: each write is applied to the tree as
 * the kernel's store function would (sysfs_store_fn).
 */
void sandbox_use_store(struct sysfs *s);
/* The emulated kernel of sandboxes, for root_open(). */
extern const struct root_backend sandbox_backend;

/* ---- the emulated kernel's events (events.c) ---- */
struct changes;
/*
 * The changes of a store, appended to the sandbox's events with the next
 * number (one more than the last line's): 0 or -errno.
 */
int sandbox_events_append(struct sysfs *s, const struct changes *c);
struct sandbox_events;
/* A reader of the events that come from now on: 0 or -errno. */
int sandbox_events_open(struct sysfs *s, struct sandbox_events **out);
/* What to poll for them. */
int sandbox_events_fd(const struct sandbox_events *e);
/* Each new line (a change as JSON) to each(): 0 or -errno. */
int sandbox_events_read(struct sandbox_events *e, void (*each)(const char *line, void *ctx),
			void *ctx);
void sandbox_events_close(struct sandbox_events *e);
/*
 * The emulated kernel's lock, which its stores take alone and readers
 * together (a store writes files in place): a descriptor to close, or -errno.
 */
int sandbox_lock(struct sysfs *s, bool shared);
/*
 * What the emulated kernel owes, made now: a store that was cut short (a
 * killed writer or file system process), or the rebinding a delayed AP bus
 * owes since its time came (its own process makes it; this is for when that
 * process did not live). 0 or -errno.
 */
int sandbox_catch_up(struct sysfs *s);
/*
 * The emulated kernel learns the tree of a new sandbox s, as its first store
 * would: 0 or -errno.
 */
int sandbox_learn(struct sysfs *s);
/*
 * When a write that waits (a remove while a guest holds the mdev) stops
 * waiting: stop(arg) is asked between looks.
 */
struct sandbox_waiter {
	bool (*stop)(void *arg);
	void *arg;
};
/*
 * A write through the emulated kernel; ctx is a struct sandbox_waiter, or
 * NULL for a writer that waits until the guest lets go (it may be killed).
 */
int sandbox_store(void *ctx, struct sysfs *s, const char *rel, const void *buf, size_t len);

/*
 * A fault waiting in a sandbox (apctl sandbox fault): the countdown-th write
 * from now to an attribute whose path matches pattern fails with err. The
 * faults file holds one "PATTERN ERRNO COUNTDOWN" line per fault.
 */
struct sandbox_fault {
	char pattern[PATH_MAX];
	int err;
	int countdown;
};
/* One line of the faults file: 0, or -EINVAL for a comment or a line of another form. */
int sandbox_fault_parse(const char *line, struct sandbox_fault *f);
int sandbox_fault_add(struct sysfs *s, const struct sandbox_fault *f);
/* A fault waiting for a write to attr: its errno (negative) or 0; the countdowns move on. */
int sandbox_take_fault(struct sysfs *s, const char *attr);

/*
 * Events from outside that the real system gets, to rehearse them: a guest
 * starts (attach) or stops using an mdev; the host configuration gains or
 * loses adapters, domains and control domains (spec 4.4). 0, or -ENOENT (no
 * such mdev), -EALREADY (already so), another -errno; *d says.
 */
/*
 * A guest (named guest, or NULL) starts or stops using mdev uuid, through
 * its VFIO group or with iommufd through its own device file.
 */
int sandbox_attach(struct sysfs *s, const char *uuid, bool attach, const char *guest,
		   bool iommufd, struct diag *d);
/* The machine reboots (kmodel_boot()): 0 or -errno with the reason in *d. */
int sandbox_boot(struct sysfs *s, struct diag *d);
/*
 * The machine's run/ is cleared, as a reboot clears /run, but for the AP
 * configuration lock (held by the caller); the directories a new sandbox has
 * are made again. 0 or -errno.
 */
int sandbox_clear_run(struct sysfs *s);
int sandbox_host_change(struct sysfs *s, bool add, const struct ap_matrix *ids,
			const struct card_type *type, struct diag *d);

/* What happens to cards (and, for DEVICE_ONLINE, queues) of a sandbox's host. */
enum device_event {
	DEVICE_CONFIG,  /* configured on or off (SCLP), as a write of the card's config */
	DEVICE_CHKSTOP, /* checkstopped, or not any more */
	DEVICE_ONLINE,  /* set online or offline in zcrypt, as a write of online */
};
/*
 * Applies event what (on or off) to the cards of adapters and the queues of
 * apqns. 0, or -ENODEV with the reason in *d (a card that is not there, a
 * queue without zcrypt's driver, one that cannot be set online).
 */
int sandbox_devices(struct sysfs *s, enum device_event what, bool on,
		    const struct idset *adapters, const struct apqnset *apqns, struct diag *d);

/* ---- what a store changes, told to the mounts that keep what they show (notify.c) ---- */

/* The names a store removes, renames, or replaces with another file, while it runs. */
struct sbx_changed {
	int mounts;              /* SANDBOX_MOUNTS, or -1: no mount listens */
	FILE *out;               /* the names so far, one per line */
	char *text;
	size_t len;
	char root[PATH_MAX];     /* the sandbox's absolute path */
	size_t rootlen;
	bool all;                /* a name could not be placed: every mount forgets all */
};
/* The path of what fd names, seen from this process's root: 0 or -errno. */
int sandbox_fd_path(int fd, char *buf, size_t size);
/* Before a store: the names it changes are noted on s, if a mount listens. */
void sbx_changed_begin(struct sysfs *s, struct sbx_changed *g);
/* After the store, its lock let go: every mount is told and has answered. */
void sbx_changed_end(struct sysfs *s, struct sbx_changed *g);

/* Forgets what the kernel keeps of rel, a path of the sandbox (NULL: of everything). */
typedef void (*sbx_forget_fn)(void *ctx, const char *rel);
struct sbx_listener;
/* A mount listens for what stores change: 0 or -errno. */
int sbx_listen(struct sysfs *s, sbx_forget_fn forget, void *ctx, struct sbx_listener **out);
void sbx_listen_stop(struct sbx_listener *l);

/* ---- the sandbox as a file system for any program (fuse.c, run.c) ---- */

struct sandbox_fs;
/*
 * Mounts the sandbox dir with FUSE at mountpoint: its whole tree (base ""),
 * or only its sysfs (base "sys"); other users see it only with allow_other.
 * The kernel checks every caller's permissions. 0 or -errno (*d says).
 */
int sandbox_fs_open(struct sandbox_fs **out, const char *dir, const char *base,
		    const char *mountpoint, bool allow_other, struct diag *d);
/* Serves requests until it is unmounted: the loop's result. */
int sandbox_fs_serve(struct sandbox_fs *fs);
/* SIGINT, SIGTERM and SIGHUP end the serving. */
int sandbox_fs_signals(struct sandbox_fs *fs);
/*
 * Ends the serving from another thread, once the directories the program
 * read are released (a second at most): the loop returns.
 */
void sandbox_fs_unmount(struct sandbox_fs *fs);
void sandbox_fs_close(struct sandbox_fs *fs);

/*
 * apctl sandbox mount: mounts the sandbox dir at mountpoint and serves it in
 * the background until it is unmounted. The mount point must be a directory
 * outside the sandbox. 0 once mounted, or -errno (*d says).
 */
int sandbox_mount(const char *dir, const char *mountpoint, bool allow_other, struct diag *d);
/*
 * apctl sandbox umount: ends the mount of a sandbox at mountpoint, also one
 * in use: what waits or is open there is answered with an error, and its
 * server ends. 0, -ENOENT when no sandbox is mounted there, or -errno (*d
 * says).
 */
int sandbox_umount(const char *mountpoint, struct diag *d);

/*
 * Runs argv in a private mount namespace where the sandbox dir's emulated
 * sysfs is at /sys and its etc/mdevctl.d, etc/udev/rules.d, run/udev/rules.d,
 * run/lock and run/apctl are over the system's, and its kernel release over
 * /proc/sys/kernel/osrelease: argv's exit status (128 + the signal that
 * ended it), or -errno with *d saying what is missing: -EINVAL when dir is
 * no sandbox, -ENOENT when it does not exist.
 */
int sandbox_run(const char *dir, char **argv, struct diag *d);
/*
 * Moves this process into a mount namespace of its own whose mounts propagate
 * nowhere, also where / is no mount point (a chroot). 0 or -errno (*d says).
 */
int sandbox_private_ns(struct diag *d);

#endif
