/* SPDX-License-Identifier: MIT */
/*
 * Mounts outside the file system's server: the private mount namespace of
 * sandbox run, whose mounts are seen by nobody outside it, also where / is
 * not a mount point (a chroot, as in a package build: no path names the mount
 * that holds it, so its propagation cannot be changed); and the end of a
 * sandbox's mount; and apctl sandbox mount, whose server goes on alone.
 */
#define FUSE_USE_VERSION 31

#include <errno.h>
#include <fuse.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"

int sandbox_fd_path(int fd, char *buf, size_t size)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, size - 1);
	if (n < 0 || (size_t)n >= size - 1)
		return n < 0 ? -errno : -ENAMETOOLONG;
	buf[n] = '\0';
	return 0;
}

/*
 * The helper: a chrooted process may not make a user namespace, so it leaves
 * the chroot by joining its own mount namespace, makes the two namespaces,
 * and goes back into the chroot's root and directory, named from outside.
 * It says 0 or the errno on ready, then waits to be killed.
 */
static void helper(int ready)
{
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int self = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	char rootp[PATH_MAX], cwdp[PATH_MAX];
	int err = 0;

	if (root < 0 || cwd < 0 || self < 0 || setns(self, CLONE_NEWNS))
		err = errno;
	if (!err)
		err = -sandbox_fd_path(root, rootp, sizeof(rootp)) ?: -sandbox_fd_path(cwd, cwdp, sizeof(cwdp));
	if (!err && (unshare(CLONE_NEWUSER | CLONE_NEWNS) || chdir(cwdp) || chroot(rootp)))
		err = errno;
	if (write(ready, &err, sizeof(err)) == sizeof(err))
		pause();
	_exit(0);
}

/*
 * A mount namespace owned by a user namespace below ours gets every shared
 * mount as a slave (mount_namespaces(7)), so that nothing mounted in it
 * propagates out. This process joins the helper's with its own credentials and
 * goes into the helper's root and directory there (joining resets both to the
 * namespace's root). 0 or -errno.
 */
static int slave_ns(void)
{
	char path[64];
	int ready[2], ns = -1, root = -1, cwd = -1, err = 0;
	pid_t pid;

	if (pipe2(ready, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		helper(ready[1]);
	close(ready[1]);
	if (pid < 0 || read(ready[0], &err, sizeof(err)) != sizeof(err))
		err = pid < 0 ? errno : EPIPE;
	close(ready[0]);
	if (!err) {
		snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
		ns = open(path, O_RDONLY | O_CLOEXEC);
		snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
		root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		snprintf(path, sizeof(path), "/proc/%d/cwd", (int)pid);
		cwd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (ns < 0 || root < 0 || cwd < 0)
			err = errno;
	}
	if (!err && (setns(ns, CLONE_NEWNS) || fchdir(root) || chroot(".") || fchdir(cwd)))
		err = errno;
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	for (int *fd = (int[]){ ns, root, cwd }, i = 0; i < 3; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	return -err;
}

int sandbox_private_ns(struct diag *d)
{
	int rc = unshare(CLONE_NEWNS) ? -errno : 0;

	if (!rc && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		rc = -errno;
	/* / is no mount point: the propagation of the one that holds it is out of reach */
	if (rc == -EINVAL)
		rc = slave_ns();
	if (rc)
		diag_set(d, "cannot make a private mount namespace: %s%s", strerror(-rc),
			 rc == -EPERM || rc == -ENOSPC ? " (/ is no mount point here, and a user "
			 "namespace that would keep the mounts in is not allowed: see "
			 "user.max_user_namespaces)" : "");
	return rc;
}

/* FUSE's file systems (statfs(2)) and where the kernel shows their connections. */
#define FUSE_SUPER_MAGIC 0x65735546
#define FUSECTL_DIR "/sys/fs/fuse/connections"

/* Whether the mount of dev is one of apctl's sandboxes (fuse.apctl). */
static bool sandbox_mount_of(dev_t dev)
{
	char line[4096], want[32], *fields;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	bool found = false;

	snprintf(want, sizeof(want), " %u:%u ", major(dev), minor(dev));
	while (f && !found && fgets(line, sizeof(line), f)) {
		fields = strstr(line, " - ");
		found = strstr(line, want) && fields && fields > strstr(line, want) &&
			!strncmp(fields, " - fuse.apctl ", 14);
	}
	if (f)
		fclose(f);
	return found;
}

/*
 * Aborts the FUSE connection of dev, as fusectl's abort does: every request
 * that waits is answered and the server ends. fusectl is mounted for it in a
 * namespace of a child, where the system has not mounted it. 0 or -errno.
 */
static int abort_connection(dev_t dev)
{
	char path[64];
	struct diag d;
	int status, fd;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (sandbox_private_ns(&d) ||
		    mount("fusectl", FUSECTL_DIR, "fusectl", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
			_exit(1);
		/* the connection is named by the kernel's encoding of the device */
		snprintf(path, sizeof(path), FUSECTL_DIR "/%u/abort", major(dev) << 20 | minor(dev));
		fd = open(path, O_WRONLY | O_CLOEXEC);
		_exit(fd < 0 || write(fd, "1", 1) != 1);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EIO;
}

/* Unmounts with FUSE's helper, for a user who is not root: 0 or -EPERM. */
static int fusermount(const char *mountpoint)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execlp("fusermount3", "fusermount3", "-u", mountpoint, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return -EPERM;
	return 0;
}

int sandbox_umount(const char *mountpoint, struct diag *d)
{
	struct statfs sf;
	struct stat st;
	int rc = 0;

	if (statfs(mountpoint, &sf) || stat(mountpoint, &st)) {
		rc = -errno;
		/* the server was killed: the mount only waits to be unmounted */
		if (rc == -ENOTCONN && !umount2(mountpoint, MNT_DETACH))
			return 0;
		diag_set(d, "%s: %s", mountpoint, strerror(-rc));
		return rc;
	}
	if (sf.f_type != FUSE_SUPER_MAGIC || !sandbox_mount_of(st.st_dev)) {
		diag_set(d, "no sandbox is mounted at %s", mountpoint);
		return -ENOENT;
	}
	if (!umount2(mountpoint, 0))
		return 0;
	rc = -errno;
	/* in use: what waits or is open is answered with an error, and the server ends */
	if (rc == -EBUSY && !abort_connection(st.st_dev) && !umount2(mountpoint, MNT_DETACH))
		return 0;
	if (rc == -EPERM)
		rc = fusermount(mountpoint);
	if (rc)
		diag_set(d, "cannot unmount %s: %s", mountpoint, strerror(-rc));
	return rc;
}

/* A mount point is a directory outside the sandbox: 0, or -EINVAL (*d says), -errno. */
static int check_mountpoint(const char *dir, const char *mountpoint, struct diag *d)
{
	char sbx[PATH_MAX], mp[PATH_MAX];
	struct stat st;
	size_t n;
	int rc;

	if (!realpath(dir, sbx)) {
		rc = -errno;
		diag_set(d, "%s: %s", dir, strerror(-rc));
		return rc;
	}
	if (!realpath(mountpoint, mp) || stat(mp, &st)) {
		rc = -errno;
		diag_set(d, "mount point %s: %s", mountpoint, strerror(-rc));
		return rc;
	}
	n = strlen(sbx);
	if (!S_ISDIR(st.st_mode))
		diag_set(d, "mount point %s is not a directory", mountpoint);
	else if (!strncmp(mp, sbx, n) && (mp[n] == '/' || !mp[n] || n == 1))
		diag_set(d, "mount point %s is in the sandbox %s: the mount would serve itself",
			 mountpoint, dir);
	else
		return 0;
	return -EINVAL;
}

int sandbox_mount(const char *dir, const char *mountpoint, bool allow_other, struct diag *d)
{
	struct sandbox_fs *fs;
	int rc = check_mountpoint(dir, mountpoint, d);

	if (!rc)
		rc = sandbox_fs_open(&fs, dir, "", mountpoint, allow_other, d);

	if (rc)
		return rc;
	/* the mount is there before the command returns; the server goes on alone */
	if (fuse_daemonize(0) || sandbox_fs_signals(fs)) {
		diag_set(d, "cannot serve the mount at %s", mountpoint);
		sandbox_fs_close(fs);
		return -EIO;
	}
	rc = sandbox_fs_serve(fs);
	sandbox_fs_close(fs);
	return rc ? -EIO : 0;
}
