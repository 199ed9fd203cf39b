/* SPDX-License-Identifier: MIT */
/* apctl's commands: each a verb of the command-line tables (cli.h). */
#ifndef APCTL_APCTL_H
#define APCTL_APCTL_H

#include "cli.h"
#include "exitcodes.h"

/* How a command prints its change; each NULL where there is nothing to print. */
struct change_render {
	/* a dry run, refused or not (the refusal itself goes to stderr apart) */
	void (*dry_run)(FILE *f, const struct engine *e);
	/* nothing to write */
	void (*nothing)(FILE *f, const struct engine *e);
	/* the change made */
	void (*done)(FILE *f, const struct engine *e);
	/* dry_run says the files too, and is called for a change of files only */
	bool with_files;
	/* a refusal without what --force would do: the caller has no --force */
	bool reasons_only;
};

/*
 * Plans the change of e, says its notes and warnings, refuses it or carries it
 * out, and prints the verdict: the command's exit code. Ends e.
 */
int change_conclude(const struct ctx *ctx, struct engine *e, const struct change_render *r);

extern const struct verb show_verb, ids_verb;       /* cmd-show.c */
extern const struct verb reserve_verb, release_verb; /* cmd-reserve.c */
extern const struct verb mdev_verb;                  /* cmd-mdev.c */
/* cmd-mdev-persist.c */
extern const struct verb mdev_define_verb, mdev_start_verb, mdev_stop_verb, mdev_list_verb;
extern const struct verb mdev_guest_verb;            /* cmd-mdev-guest.c */
/*
 * Opens the change of an mdev (cmd-mdev.c): the root, the lock, the state,
 * vfio_ap loaded. *i is the index of mdev uuid (-1 when it does not exist).
 * EXIT_OK, or the exit code after the message, everything closed.
 */
int mdev_begin(const struct ctx *ctx, struct root *r, struct engine *e, const char *cmd,
	       const struct change_opts *o, const char *uuid, int *i);
/*
 * Whether a change of the persistent configuration only finds a definition of
 * uuid, which stands for the running mdev (cmd-mdev.c).
 */
bool mdev_defined(const struct engine *e, const char *uuid);
extern const struct verb export_verb, plan_verb, apply_verb; /* cmd-config.c */
extern const struct verb callout_verb;               /* cmd-callout.c */
extern const struct verb check_verb, recover_verb;   /* cmd-check.c */
extern const struct verb watch_verb;                 /* cmd-watch.c */
extern const struct verb sandbox_verb;               /* cmd-sandbox.c */
extern const struct verb sandbox_create_verb;        /* cmd-sandbox-create.c */
extern const struct verb sandbox_host_verb;          /* cmd-sandbox-host.c */
extern const struct verb sandbox_reboot_verb;        /* cmd-sandbox-boot.c */
/* The sandbox at ctx's root, opened: EXIT_OK, or the exit code with a message. */
int open_sandbox(const struct ctx *ctx, struct root *r);
extern const struct verb sandbox_mount_verb, sandbox_umount_verb, sandbox_run_verb; /* -run.c */

#endif
