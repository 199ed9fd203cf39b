/* SPDX-License-Identifier: MIT */
/*
 * A root that apctl works on: the live system ("/") or a directory given with
 * --root, which may be a sandbox. Opening it installs what answers its
 * attribute writes (the kernel, or the sandbox's emulated kernel) and decides
 * which kernel generation's rules apply: a sandbox's own, the one given with
 * --kernel (or APCTL_KERNEL), or the kernel's release with what sysfs shows
 * as a cross-check.
 */
#ifndef APCTL_ROOT_H
#define APCTL_ROOT_H

#include <limits.h>
#include <stdbool.h>

#include "diag.h"
#include "state.h"
#include "sysfs.h"

/* Where the release of the kernel is read, relative to the root. */
#define OSRELEASE "proc/sys/kernel/osrelease"

/* What the command line says of the root. */
struct root_opts {
	const char *path;   /* "/" unless given */
	bool given;         /* by --root or APCTL_ROOT */
	const char *kernel; /* --kernel or APCTL_KERNEL, or NULL */
	bool verbose;       /* --verbose or APCTL_VERBOSE: every read and write on stderr */
};

/*
 * What answers for a root that no live kernel stands behind: an emulated
 * kernel (the sandbox's), which the command floor plugs in. Each gets the
 * root's files.
 */
struct root_backend {
	const char *marker;       /* the file that says a root is the backend's */
	int (*kernel)(struct sysfs *s, struct kgen *g);    /* its kernel generation */
	sysfs_store_fn store;     /* answers its attribute writes */
	int (*catch_up)(struct sysfs *s);                  /* what it owes, made before a read */
	int (*lock)(struct sysfs *s, bool shared);         /* an fd that keeps its stores out */
	int (*load_private)(struct sysfs *s, struct ap_state *st); /* what it keeps apart */
};

struct root {
	struct sysfs s;
	const struct root_backend *backend; /* an emulated kernel, or NULL: the kernel answers */
	const struct root_opts *o;
	bool sandbox;          /* the emulated kernel answers */
	bool live;             /* this system itself: its udev events can be waited for */
	struct kernel_hint hint;
	char release[80];      /* the kernel release read, or "" */
	struct diag note;      /* about the generation, or "" */
	/* "apctl" or "apctl --root DIR": what a command to paste starts with */
	char prefix[PATH_MAX + 32];
};

/*
 * Opens the root, with emulated (or NULL) where its marker is there: 0;
 * -ENOENT or -ENOTDIR for a root that is not a directory; -EINVAL for a
 * kernel generation that does not parse (*d says); another -errno.
 */
int root_open(struct root *r, const struct root_opts *o, const struct root_backend *emulated,
	      struct diag *d);
void root_close(struct root *r);
/* A path as a shell word, in out: quoted unless it needs none. */
void shell_word(const char *w, char *out, size_t size);
/* Reads the root's state (state_flags), with all the opener knows. */
int root_state(struct root *r, unsigned flags, struct ap_state **st, struct diag *d);
/*
 * A lazy state (STATE_LAZY) of r read further, as state_fill() says, with all
 * the opener knows of what is read: 0 or -errno.
 */
int root_fill(struct root *r, struct ap_state *st, const struct state_scope *want);
/*
 * st read again from r, with what a sandbox keeps: its mdevs alone, or all
 * that was read of it (state_reread()). 0 or -errno.
 */
int root_reread(struct root *r, struct ap_state *st, bool mdevs_only);

#endif
