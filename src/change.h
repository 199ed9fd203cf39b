/* SPDX-License-Identifier: MIT */
/*
 * What every command that changes the AP configuration shares: the options
 * --dry-run, --force, --wait, --no-wait and --lock-timeout, and a change's
 * frame: the root opened, the AP configuration lock taken (unless it is a dry
 * run), the state read, and all of it undone at the end.
 */
#ifndef APCTL_CHANGE_H
#define APCTL_CHANGE_H

#include <getopt.h>
#include <stdbool.h>

#include "apctl.h"
#include "idset.h"
#include "state.h"
#include "sysfs.h"

struct change_opts {
	bool dry_run;
	bool force;
	bool wait;
	unsigned wait_s;
	unsigned lock_timeout_s;
};

enum {
	OPT_DRY_RUN = 0x200,
	OPT_FORCE,
	OPT_WAIT,
	OPT_NO_WAIT,
	OPT_LOCK_TIMEOUT,
};

#define CHANGE_LONGOPTS                                                   \
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },                    \
	{ "force", no_argument, NULL, OPT_FORCE },                        \
	{ "wait", required_argument, NULL, OPT_WAIT },                    \
	{ "no-wait", no_argument, NULL, OPT_NO_WAIT },                    \
	{ "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT }

#define CHANGE_OPTIONS_HELP                                                                \
	"      --dry-run          show what would be done and the verdict; write nothing\n"   \
	"      --force            write even when apctl predicts a refusal, and report\n"     \
	"                         the kernel's answer\n"                                      \
	"      --wait SECONDS     wait this long for the AP bus to bind the queues that\n"    \
	"                         change owner (default 30)\n"                                \
	"      --no-wait          do not wait for the AP bus\n"                               \
	"      --lock-timeout SECONDS\n"                                                      \
	"                         wait this long for the AP configuration lock held by\n"    \
	"                         another tool (default 90)\n"

void change_opts_init(struct change_opts *o);
/* 1 if opt is one of these options (handled), 0 if not, -1 after a usage error. */
int change_option(struct change_opts *o, const char *cmd, int opt, const char *arg);

struct change {
	struct sysfs sysfs;
	struct sysfs *s;      /* NULL until the root is open */
	struct ap_state *st;
	bool locked;
	const struct ctx *ctx;
};

/*
 * Opens the root, takes the lock unless o->dry_run, reads the state: EXIT_OK,
 * or an exit code after the message (3 without the root or the AP bus, 1 when
 * the lock stays held).
 */
int change_begin(struct change *ch, const struct ctx *ctx, const struct change_opts *o,
		 const char *cmd, unsigned state_flags);
void change_end(struct change *ch);
/* The live system (not under --root and not a sandbox): the kernel's uevents can be used. */
bool change_live(const struct change *ch);
/* Reads the masks back after a write and warns where they differ from what was written. */
int change_verify_masks(struct change *ch, const struct idset *apmask, const struct idset *aqmask);

#endif
