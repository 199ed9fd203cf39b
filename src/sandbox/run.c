/* SPDX-License-Identifier: MIT */
/*
 * apctl sandbox run: a program sees the sandbox where a host keeps what it
 * reads, so that tools with fixed paths (mdevctl, chzdev, echo into /sys)
 * run unchanged: a private mount namespace with the sandbox's sysfs served
 * over /sys by the emulated kernel, and the sandbox's directories over the
 * system's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "journal.h"
#include "paths.h"
#include "sandbox.h"

/* The sandbox's directories and the system's paths they go over. */
static const struct {
	const char *rel;
	const char *path;
} binds[] = {
	{ MDEVCTL_DIR, "/etc/mdevctl.d" },
	/* the callouts installed (mdevctl 1.3 and later, and s390-tools' ap-check) */
	{ MDEVCTL_LIB_DIR, "/usr/lib/mdevctl" },
	{ UDEV_RULES_DIR, "/etc/udev/rules.d" },
	{ RUN_UDEV_RULES_DIR, "/run/udev/rules.d" },
	{ LOCK_DIR, "/run/lock" },
	{ JOURNAL_DIR, "/run/apctl" },
};

#define SANDBOX_OSRELEASE SANDBOX_DIR "/osrelease"

/* What the program needs of the system: root and /dev/fuse. */
static int check_needs(struct diag *d)
{
	if (geteuid() != 0) {
		diag_set(d, "needs root: it makes a mount namespace and mounts the "
			 "sandbox over /sys");
		return -EPERM;
	}
	if (access("/dev/fuse", R_OK | W_OK)) {
		diag_set(d, "needs /dev/fuse (%s): load the fuse module, or give the "
			 "container the device", strerror(errno));
		return -ENODEV;
	}
	return 0;
}

/* The sandbox's directories, made where missing, and its kernel release. */
static int prepare(struct sysfs *s, struct diag *d)
{
	char gen[KGEN_STR_MAX], rel[64];
	struct kgen g;
	int rc = sandbox_kernel(s, &g);

	for (size_t i = 0; !rc && i < sizeof(binds) / sizeof(binds[0]); i++)
		rc = sysfs_mkdirs(s, binds[i].rel, 0755);
	if (!rc) {
		snprintf(rel, sizeof(rel), "%s.0-apctl-sandbox\n", kgen_format(g, gen));
		rc = sysfs_put_str(s, SANDBOX_OSRELEASE, 0444, rel);
	}
	if (rc)
		diag_set(d, "cannot prepare the sandbox %s: %s", s->root, strerror(-rc));
	return rc;
}

/* The directory a tmpfs now covers, open from before, and where it is. */
struct covered {
	int fd;
	const char *top;
};

/* Shows entry name of the covered directory again in the tmpfs over it. */
static int show_again(const char *name, unsigned char type, void *covered)
{
	const struct covered *c = covered;
	char old[64 + NAME_MAX], new[PATH_MAX + NAME_MAX + 2], link[PATH_MAX];
	struct stat st;
	ssize_t n;
	int fd;

	(void)type;
	if (fstatat(c->fd, name, &st, AT_SYMLINK_NOFOLLOW))
		return -errno;
	snprintf(old, sizeof(old), "/proc/self/fd/%d/%s", c->fd, name);
	snprintf(new, sizeof(new), "%s/%s", c->top, name);
	if (S_ISLNK(st.st_mode)) {
		n = readlinkat(c->fd, name, link, sizeof(link) - 1);
		if (n < 0)
			return -errno;
		link[n] = '\0';
		return symlink(link, new) ? -errno : 0;
	}
	if (S_ISDIR(st.st_mode)) {
		if (mkdir(new, st.st_mode & 07777))
			return -errno;
	} else {
		/* a file of any kind is bound over an empty one */
		fd = open(new, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		close(fd);
	}
	return mount(old, new, NULL, MS_BIND | MS_REC, NULL) ? -errno : 0;
}

/*
 * Covers directory top with a tmpfs that shows its entries again, each bound
 * back from below, so that a missing directory can be made in it for a mount
 * without touching the system: its file system may be read-only, or not ours.
 */
static int cover(const char *top)
{
	struct covered c = { open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC), top };
	char opts[96];
	struct stat st;
	int rc = 0;

	if (c.fd < 0 || fstat(c.fd, &st))
		rc = -errno;
	if (!rc) {
		snprintf(opts, sizeof(opts), "mode=%o,uid=%u,gid=%u",
			 (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (unsigned)st.st_gid);
		if (mount("apctl-sandbox", top, "tmpfs", MS_NOSUID | MS_NODEV, opts))
			rc = -errno;
	}
	/* c.fd is still the directory below */
	if (!rc)
		rc = sysfs_dir_each(dup(c.fd), show_again, &c);
	if (c.fd >= 0)
		close(c.fd);
	return rc;
}

/*
 * Makes directory path there for a mount over it, in this namespace only:
 * where it is missing, its deepest parent that is there is covered and the
 * rest made in the cover.
 */
static int provide_dir(const char *path)
{
	char top[PATH_MAX], *slash;
	struct stat st;
	int rc;

	if (!stat(path, &st))
		return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	snprintf(top, sizeof(top), "%s", path);
	do {
		slash = strrchr(top, '/');
		slash[slash == top] = '\0';
		rc = stat(top, &st) ? -errno : 0;
	} while (rc == -ENOENT);
	if (rc)
		return rc;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (!strcmp(top, "/"))
		return -ENOENT;	/* / itself is never covered */
	rc = cover(top);
	for (char *p = strcpy(top, path) + 1; !rc && (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(top, 0755) && errno != EEXIST)
			rc = -errno;
		*p = '/';
	}
	return rc ? rc : mkdir(path, 0755) && errno != EEXIST ? -errno : 0;
}

struct scan {
	const char *top;          /* the sandbox, resolved */
	char rel[PATH_MAX];       /* the directory being scanned, relative to it */
	int depth;
	struct diag *d;
};

static int scan_dir(struct scan *sc);

/*
 * Whether path resolves inside the sandbox top, or would when made: where it
 * is missing, where its dangling link leads, or else its parent, decides.
 * Where it leads out, where says where (a loop of links leads out).
 */
static bool stays_in(const char *top, const char *path, char *where, size_t size, int links)
{
	char real[PATH_MAX], link[PATH_MAX], next[2 * PATH_MAX];
	size_t n = strlen(top);
	const char *slash;
	ssize_t len;

	if (realpath(path, real)) {
		snprintf(where, size, "%s", real);
		return !strncmp(real, top, n) && (real[n] == '/' || !real[n]);
	}
	snprintf(where, size, "%s", path);
	if (errno != ENOENT || links > 40)
		return false;
	len = readlink(path, link, sizeof(link) - 1);
	slash = strrchr(path, '/');
	if (len >= 0) {
		link[len] = '\0';
		if (*link == '/')
			snprintf(next, sizeof(next), "%s", link);
		else
			snprintf(next, sizeof(next), "%.*s/%s", (int)(slash - path), path, link);
		return stays_in(top, next, where, size, links + 1);
	}
	if (!slash || slash == path)
		return true;
	snprintf(next, sizeof(next), "%.*s", (int)(slash - path), path);
	return stays_in(top, next, where, size, links);
}

/* An entry of a directory that sandbox run binds: a link out of the sandbox is refused. */
static int scan_entry(const char *name, unsigned char type, void *arg)
{
	struct scan *sc = arg;
	char path[2 * PATH_MAX], where[PATH_MAX];
	size_t len = strlen(sc->rel);
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s/%s", sc->top, sc->rel, name);
	if (type == DT_UNKNOWN) {
		struct stat st;

		type = lstat(path, &st) ? DT_UNKNOWN : S_ISLNK(st.st_mode) ? DT_LNK :
						       S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
	}
	if (type == DT_LNK && !stays_in(sc->top, path, where, sizeof(where), 0)) {
		diag_set(sc->d, "%s is a link that leads out of the sandbox (to %s): nothing of a "
			 "sandbox may lead out of it", path, where);
		return -EXDEV;
	}
	if (type == DT_DIR && sc->depth < 4 && len + strlen(name) + 2 < sizeof(sc->rel)) {
		snprintf(sc->rel + len, sizeof(sc->rel) - len, "/%s", name);
		sc->depth++;
		rc = scan_dir(sc);
		sc->depth--;
		sc->rel[len] = '\0';
	}
	return rc;
}

static int scan_dir(struct scan *sc)
{
	char path[2 * PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", sc->top, sc->rel);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? 0 : sysfs_dir_each(fd, scan_entry, sc);
}

/*
 * What sandbox run binds of the sandbox resolves inside it: each directory
 * (its path's links included) and everything in them. 0, or -EXDEV naming
 * the link that leads out.
 */
static int confined(const char *top, struct diag *d)
{
	char path[2 * PATH_MAX], where[PATH_MAX];

	for (size_t i = 0; i < sizeof(binds) / sizeof(binds[0]); i++) {
		struct scan sc = { top, "", 0, d };

		snprintf(path, sizeof(path), "%s/%s", top, binds[i].rel);
		if (!stays_in(top, path, where, sizeof(where), 0)) {
			diag_set(d, "%s leads out of the sandbox (to %s) through a link: nothing of "
				 "a sandbox may lead out of it", path, where);
			return -EXDEV;
		}
		snprintf(sc.rel, sizeof(sc.rel), "%s", binds[i].rel);
		if (scan_dir(&sc))
			return -EXDEV;
	}
	return 0;
}

/* Binds the sandbox's rel over path, opened inside the sandbox: 0 or -errno. */
static int bind_in(struct sysfs *s, const char *rel, const char *path, int flags)
{
	char src[64];
	int fd = sysfs_openat(s, rel, O_PATH | O_NOFOLLOW | flags, 0), rc;

	if (fd < 0)
		return fd;
	snprintf(src, sizeof(src), "/proc/self/fd/%d", fd);
	rc = mount(src, path, NULL, MS_BIND, NULL) ? -errno : 0;
	close(fd);
	return rc;
}

/*
 * The mounts over the system's paths, but /sys, from the sandbox opened in
 * the new namespace (a bind's source must be a mount of the namespace).
 */
static int bind_all(struct sysfs *s, struct diag *d)
{
	int rc;

	for (size_t i = 0; i < sizeof(binds) / sizeof(binds[0]); i++) {
		rc = provide_dir(binds[i].path);
		if (!rc)
			rc = bind_in(s, binds[i].rel, binds[i].path, O_DIRECTORY);
		if (rc) {
			diag_set(d, "cannot mount %s/%s over %s: %s", s->root, binds[i].rel,
				 binds[i].path, strerror(-rc));
			return rc;
		}
	}
	rc = provide_dir("/sys");
	if (rc) {
		diag_set(d, "cannot mount the sandbox over /sys: %s", strerror(-rc));
		return rc;
	}
	/* apctl on the live path reads the generation from the release */
	bind_in(s, SANDBOX_OSRELEASE, "/proc/sys/kernel/osrelease", 0);
	return 0;
}

/* The namespace and the mounts over the system's paths, but /sys. */
static int mounts(const char *abs, struct diag *d)
{
	struct sysfs s;
	int rc;

	rc = sandbox_private_ns(d);
	if (rc)
		return rc;
	rc = sysfs_open(&s, abs);
	if (rc) {
		diag_set(d, "%s: %s", abs, strerror(-rc));
		return rc;
	}
	rc = bind_all(&s, d);
	sysfs_close(&s);
	return rc;
}

static void *serve(void *fs)
{
	sandbox_fs_serve(fs);
	return NULL;
}

/* Runs argv to its end: its exit status, or 128 and the signal. */
static int run_program(char **argv)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "apctl: sandbox run: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int sandbox_run(const char *dir, char **argv, struct diag *d)
{
	struct sandbox_fs *fs = NULL;
	char abs[PATH_MAX];
	pthread_t thread;
	struct sysfs s;
	int rc = check_needs(d);

	if (rc)
		return rc;
	if (!realpath(dir, abs) || sysfs_open(&s, abs)) {
		diag_set(d, "'%s': %s", dir, strerror(errno));
		return -ENOENT;
	}
	rc = sandbox_is(&s) ? confined(abs, d) : -ENOTDIR;
	if (rc == -ENOTDIR)
		diag_set(d, "'%s' is not a sandbox (it has no %s file)", dir, SANDBOX_MARKER);
	if (!rc)
		rc = prepare(&s, d);
	sysfs_close(&s);
	if (!rc)
		rc = mounts(abs, d);
	if (!rc)
		rc = sandbox_fs_open(&fs, abs, "sys", "/sys", false, d);
	if (rc)
		return rc;
	rc = pthread_create(&thread, NULL, serve, fs);
	if (rc) {
		sandbox_fs_close(fs);
		diag_set(d, "cannot start serving the sandbox: %s", strerror(rc));
		return -rc;
	}
	rc = run_program(argv);
	sandbox_fs_unmount(fs);
	pthread_join(thread, NULL);
	sandbox_fs_close(fs);
	return rc;
}
