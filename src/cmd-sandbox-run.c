/* SPDX-License-Identifier: MIT */
/* apctl sandbox mount, umount and run: the sandbox for every program. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apctl.h"
#include "sandbox.h"

/* dir must hold a sandbox: EXIT_OK or a usage error. */
static int check_sandbox(const struct ctx *ctx, const char *dir)
{
	struct sysfs s;
	bool is;

	if (sysfs_open(&s, dir)) {
		errmsg("%s: %s: %s", ctx->path, dir, strerror(errno));
		return EXIT_NOTFOUND;
	}
	is = sandbox_is(&s);
	sysfs_close(&s);
	return is ? EXIT_OK : usage_error(ctx, "%s is not a sandbox (it has no %s file)", dir,
					  SANDBOX_MARKER);
}

static int run_mount(struct ctx *ctx)
{
	struct diag d = { "" };
	int rc = check_sandbox(ctx, ctx->pos[0]);

	if (rc)
		return rc;
	if (sandbox_mount(ctx->pos[0], ctx->pos[1], &d)) {
		errmsg("%s: %s", ctx->path, d.msg);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static int run_umount(struct ctx *ctx)
{
	const char *mp = ctx->pos[0];
	int status;
	pid_t pid;

	if (!umount2(mp, 0))
		return EXIT_OK;
	if (errno != EPERM) {
		errmsg("%s: %s: %s", ctx->path, mp, strerror(errno));
		return errno == EINVAL || errno == ENOENT ? EXIT_NOTFOUND : EXIT_RUNTIME;
	}
	/* not root: the FUSE helper unmounts what the user mounted */
	pid = fork();
	if (pid == 0) {
		execlp("fusermount3", "fusermount3", "-u", mp, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		errmsg("%s: cannot unmount %s", ctx->path, mp);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static int run_run(struct ctx *ctx)
{
	struct diag d = { "" };
	int rc;

	fflush(stdout);
	rc = sandbox_run(ctx->pos[0], ctx->pos + 1, &d);
	if (rc == -EINVAL)
		return usage_error(ctx, "%s", d.msg);
	if (rc < 0) {
		errmsg("%s: %s", ctx->path, d.msg);
		return rc == -ENOENT ? EXIT_NOTFOUND : EXIT_RUNTIME;
	}
	return rc;
}

static const struct verb_opt no_opts[] = { { O_COUNT, NULL } };

const struct verb sandbox_mount_verb = {
	"mount", "DIR MOUNTPOINT", 2, 2, false, "serve a sandbox as a file system (FUSE)",
	"Mount the sandbox DIR at MOUNTPOINT with FUSE, for any program: listings,\n"
	"links and reads show its tree, and a write to an attribute under sys/ goes to\n"
	"the emulated kernel and answers with its errno, as sysfs does. The server runs\n"
	"in the background until 'apctl sandbox umount MOUNTPOINT'. Needs /dev/fuse.",
	no_opts, run_mount, NULL,
};

const struct verb sandbox_umount_verb = {
	"umount", "MOUNTPOINT", 1, 1, false, "end a sandbox's mount",
	"Unmount a sandbox mounted with 'apctl sandbox mount'; its server ends.",
	no_opts, run_umount, NULL,
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
	no_opts, run_run, NULL,
};
