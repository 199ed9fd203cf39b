/* SPDX-License-Identifier: MIT */
/* apctl sandbox mount, umount and run: the sandbox for every program. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "apctl.h"
#include "sandbox.h"

/* dir must hold a sandbox: EXIT_OK or a usage error. */
static int check_sandbox(const struct ctx *ctx, const char *dir)
{
	struct sysfs s;
	bool is;

	if (sysfs_open(&s, dir)) {
		errmsg("%s: '%s': %s", ctx->path, dir, strerror(errno));
		return EXIT_NOTFOUND;
	}
	is = sandbox_is(&s);
	sysfs_close(&s);
	if (is)
		return EXIT_OK;
	errmsg("%s: '%s' is not a sandbox (it has no %s file)", ctx->path, dir, SANDBOX_MARKER);
	return EXIT_NOTFOUND;
}

static int run_mount(struct ctx *ctx)
{
	struct diag d = { "" };
	int rc = check_sandbox(ctx, ctx->pos[0]);

	if (rc)
		return rc;
	rc = sandbox_mount(ctx->pos[0], ctx->pos[1], args_has(ctx, O_ALLOW_OTHER), &d);
	if (rc == -EINVAL)
		return usage_error(ctx, "%s", d.msg);
	if (rc) {
		errmsg("%s: %s", ctx->path, d.msg);
		return rc == -ENOENT ? EXIT_NOTFOUND : EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static int run_umount(struct ctx *ctx)
{
	struct diag d = { "" };
	int rc = sandbox_umount(ctx->pos[0], &d);

	if (rc)
		errmsg("%s: %s", ctx->path, d.msg);
	return !rc ? EXIT_OK : rc == -ENOENT ? EXIT_NOTFOUND : EXIT_RUNTIME;
}

static int run_run(struct ctx *ctx)
{
	struct diag d = { "" };
	int rc;

	fflush(stdout);
	rc = sandbox_run(ctx->pos[0], ctx->pos + 1, &d);
	/* a sandbox with a link that leads out */
	if (rc == -EINVAL || rc == -EXDEV)
		return usage_error(ctx, "%s", d.msg);
	if (rc < 0) {
		errmsg("%s: %s", ctx->path, d.msg);
		return rc == -ENOENT || rc == -ENOTDIR ? EXIT_NOTFOUND : EXIT_RUNTIME;
	}
	return rc;
}

static const struct verb_opt no_opts[] = { { O_COUNT, NULL } };
static const struct verb_opt mount_opts[] = { { O_ALLOW_OTHER, NULL }, { O_COUNT, NULL } };

const struct verb sandbox_mount_verb = {
	"mount", "DIR MOUNTPOINT", 2, 2, false, "serve a sandbox as a file system (FUSE)",
	"Mount the sandbox DIR at MOUNTPOINT (a directory outside it) with FUSE, for\n"
	"any program: listings, links and reads show its tree, and a write to an\n"
	"attribute under sys/ goes to the emulated kernel and answers with its errno,\n"
	"as sysfs does, for every caller with the caller's permissions: only root\n"
	"writes root's attributes or changes modes and owners, and nothing is removed,\n"
	"renamed or linked in sys/. Other users see the mount only with --allow-other.\n"
	"The server runs in the background until 'apctl sandbox umount MOUNTPOINT' or\n"
	"SIGTERM. Needs /dev/fuse.",
	mount_opts, run_mount, NULL, 0,
};

const struct verb sandbox_umount_verb = {
	"umount", "MOUNTPOINT", 1, 1, false, "end a sandbox's mount",
	"Unmount a sandbox mounted with 'apctl sandbox mount'; its server ends. A\n"
	"mount in use is ended too: what waits there (a removal of an mdev that a\n"
	"guest holds) or is open is answered with an error.",
	no_opts, run_umount, NULL, 0,
};

const struct verb sandbox_run_verb = {
	"run", "DIR [--] COMMAND [ARG...]", 2, -1, true,
	"run a program on a sandbox as on a host",
	"Run COMMAND in a private mount namespace in which the sandbox DIR's emulated\n"
	"sysfs is at /sys, its etc/mdevctl.d, etc/udev/rules.d, run/udev/rules.d,\n"
	"run/lock and run/apctl are over the system's, and its kernel release over\n"
	"/proc/sys/kernel/osrelease, so that tools with fixed paths (mdevctl, chzdev,\n"
	"echo) and apctl without --root run unchanged. Exits with COMMAND's status.\n"
	"Needs root and /dev/fuse.",
	no_opts, run_run, NULL, 0,
};
