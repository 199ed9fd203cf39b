/* SPDX-License-Identifier: MIT */
/*
 * Writing a tree inside the root (for the sandbox): directories with their
 * parents, files replaced at once or in place, symlinks, removal; each by a
 * path inside the root or by a name in a directory opened through it.
 */
#include "sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sysfs-priv.h"

int sysfs_mkdirs(struct sysfs *s, const char *rel, mode_t mode)
{
	char path[PATH_MAX];
	size_t len = strlen(rel), end = 0;

	if (len >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, rel, len + 1);
	/* each leading part in turn: "a", "a/b", "a/b/c"; empty parts are skipped */
	while (end < len) {
		const char *name;
		int dirfd, rc;

		end += strspn(path + end, "/");
		end += strcspn(path + end, "/");
		if (end == strspn(path, "/"))
			continue;
		path[end] = '\0';
		dirfd = sysfs_parent_dir(s, path, &name);
		if (dirfd < 0)
			return dirfd;
		rc = *name && mkdirat(dirfd, name, mode) ? (errno == EEXIST ? 1 : -errno) : 0;
		close(dirfd);
		if (*name && rc <= 0)
			sysfs_trace(s, "mkdir", path, NULL, 0, NULL, 0, rc);
		rc = rc > 0 ? 0 : rc;
		path[end] = rel[end];
		if (rc)
			return rc;
	}
	return 0;
}

int sysfs_mkdir(struct sysfs *s, const char *rel, mode_t mode)
{
	const char *name;
	int dirfd = sysfs_parent_dir(s, rel, &name), rc;

	if (dirfd < 0)
		return dirfd;
	rc = mkdirat(dirfd, name, mode) ? -errno : 0;
	close(dirfd);
	return rc;
}

int sysfs_dir(struct sysfs *s, const char *rel)
{
	return sysfs_openat(s, rel, O_PATH | O_DIRECTORY, 0);
}

/*
 * The directory dirfd (perhaps an O_PATH descriptor, which fsync() refuses
 * with EBADF) flushed through a descriptor opened for reading: 0 or -errno.
 */
static int sync_dir(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -errno;
	rc = fsync(fd) ? -errno : 0;
	close(fd);
	return rc;
}

/* Whether process pid is gone. */
static bool pid_gone(long pid)
{
	return pid > 0 && kill((pid_t)pid, 0) && errno == ESRCH;
}

/* A temporary of put_at() (".NAME.PID.N") whose writer is gone. */
static int remove_stale_temp(const char *name, unsigned char type, void *dirfd)
{
	const char *serial = strrchr(name, '.'), *pid;
	char *end;
	long n;

	if (name[0] != '.' || !serial || serial == name || type == DT_DIR)
		return 0;
	for (pid = serial - 1; pid > name && *pid != '.'; pid--)
		;
	if (pid == name || !serial[1] || strspn(serial + 1, "0123456789") != strlen(serial + 1))
		return 0;
	n = strtol(pid + 1, &end, 10);
	if (end != serial || end == pid + 1 || !pid_gone(n))
		return 0;
	unlinkat(*(int *)dirfd, name, 0);
	return 0;
}

int sysfs_clean_temps(struct sysfs *s, const char *rel)
{
	int fd = sysfs_openat(s, rel, O_RDONLY | O_DIRECTORY, 0), dirfd, rc;

	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	dirfd = dup(fd);
	if (dirfd < 0) {
		close(fd);
		return -errno;
	}
	rc = sysfs_dir_each(fd, remove_stale_temp, &dirfd);
	close(dirfd);
	return rc;
}

/*
 * Whoever keeps what the tree showed is told that name in dirfd is gone or
 * another file (rc 0: the write was made).
 */
static int tell_changed(struct sysfs *s, int dirfd, const char *name, int rc)
{
	if (!rc && s->changed)
		s->changed(s->changed_ctx, dirfd, name);
	return rc;
}

/* name replaced by a new file; durable: on disk before and after the rename */
static int put_at(struct sysfs *s, int dirfd, const char *name, mode_t mode,
		  const struct iovec *iov, int n, bool durable)
{
	static unsigned long serial;
	char tmp[NAME_MAX + 1];
	int fd, rc;

	snprintf(tmp, sizeof(tmp), ".%.200s.%ld.%lu", name, (long)getpid(), ++serial);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	sysfs_count_open(s);
	rc = 0;
	for (int i = 0; !rc && i < n; i++)
		rc = sysfs_write_all(fd, iov[i].iov_base, iov[i].iov_len);
	if (!rc && fchmod(fd, mode))
		rc = -errno;
	if (!rc && durable && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && renameat(dirfd, tmp, dirfd, name))
		rc = -errno;
	tell_changed(s, dirfd, name, rc);
	if (rc)
		unlinkat(dirfd, tmp, 0);
	else if (durable)
		rc = sync_dir(dirfd);
	return rc;
}

int sysfs_put_at(struct sysfs *s, int dirfd, const char *name, mode_t mode, const void *data,
		 size_t len)
{
	struct iovec iov = { (void *)data, len };

	return put_at(s, dirfd, name, mode, &iov, 1, false);
}

int sysfs_put_durable(struct sysfs *s, const char *rel, mode_t mode, const void *data, size_t len)
{
	const char *name;
	int dirfd = sysfs_parent_dir(s, rel, &name), rc;

	if (dirfd < 0)
		return dirfd;
	rc = put_at(s, dirfd, name, mode, &(struct iovec){ (void *)data, len }, 1, true);
	close(dirfd);
	sysfs_trace(s, "put", rel, data, len, NULL, 0, rc);
	return rc;
}

static int umask_bits = -1;

static void read_umask(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[128];
	unsigned v;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Umask: %o", &v) == 1)
			umask_bits = (int)v;
	if (f)
		fclose(f);
}

/* Whether the process's umask leaves mode as it is (read once; unknown: no). */
static bool umask_keeps(mode_t mode)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, read_umask);
	return umask_bits >= 0 && !(mode & (mode_t)umask_bits);
}

/*
 * Whether the file open at fd holds data already (len at most
 * REWRITE_COMPARED): one read of it, which costs less than a write that
 * changes nothing. *size is its size as far as the read saw it, or -1.
 */
#define REWRITE_COMPARED 1024

static bool holds(int fd, const void *data, size_t len, off_t *size)
{
	char now[REWRITE_COMPARED + 1];
	ssize_t n;

	*size = -1;
	if (len > REWRITE_COMPARED)
		return false;
	do
		n = pread(fd, now, len + 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return false;
	*size = n;
	return (size_t)n == len && !memcmp(now, data, len);
}

int sysfs_rewrite_at(struct sysfs *s, int dirfd, const char *name, mode_t mode,
		     const void *data, size_t len)
{
	/* no O_TRUNC: a file cut to nothing and written again is flushed by ext4 */
	int flags = O_CREAT | O_NOFOLLOW | O_CLOEXEC, fd = openat(dirfd, name, O_RDWR | flags, mode);
	struct stat st;
	off_t size = -1;
	int rc = 0;

	/* a file that its owner may write but not read is written without a look */
	if (fd < 0 && errno == EACCES)
		fd = openat(dirfd, name, O_WRONLY | flags, mode);
	if (fd < 0)
		return -errno;
	sysfs_count_open(s);
	if (holds(fd, data, len, &size) && umask_keeps(mode)) {
		close(fd);
		return 0;
	}
	if (size < 0 && fstat(fd, &st))
		rc = -errno;
	else if (size < 0)
		size = st.st_size;
	for (size_t done = 0; !rc && done < len;) {
		ssize_t n = pwrite(fd, (const char *)data + done, len - done, (off_t)done);

		if (n < 0 && errno != EINTR)
			rc = -errno;
		else if (n > 0)
			done += (size_t)n;
	}
	if (!rc && size > (off_t)len && ftruncate(fd, (off_t)len))
		rc = -errno;
	if (!rc && !umask_keeps(mode) && fchmod(fd, mode))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	return tell_changed(s, dirfd, name, rc);
}

int sysfs_symlink_at(int dirfd, const char *target, const char *name)
{
	return symlinkat(target, dirfd, name) ? -errno : 0;
}

int sysfs_relink_at(struct sysfs *s, int dirfd, const char *target, const char *name)
{
	int rc = sysfs_symlink_at(dirfd, target, name);

	if (rc == -EEXIST && !(rc = unlinkat(dirfd, name, 0) ? -errno : 0))
		rc = tell_changed(s, dirfd, name, sysfs_symlink_at(dirfd, target, name));
	return rc;
}

int sysfs_rename_at(struct sysfs *s, int fromdir, const char *from, int todir, const char *to)
{
	int rc = renameat(fromdir, from, todir, to) ? -errno : 0;

	/* what was at to is another file now */
	return tell_changed(s, todir, to, tell_changed(s, fromdir, from, rc));
}

int sysfs_remove_at(struct sysfs *s, int dirfd, const char *name)
{
	return tell_changed(s, dirfd, name, unlinkat(dirfd, name, 0) ? -errno : 0);
}

int sysfs_put(struct sysfs *s, const char *rel, mode_t mode, const void *data, size_t len)
{
	return sysfs_put_iov(s, rel, mode, &(struct iovec){ (void *)data, len }, 1);
}

int sysfs_put_iov(struct sysfs *s, const char *rel, mode_t mode, const struct iovec *iov, int n)
{
	const char *name;
	int dirfd = sysfs_parent_dir(s, rel, &name), rc;

	if (dirfd < 0)
		return dirfd;
	rc = put_at(s, dirfd, name, mode, iov, n, false);
	close(dirfd);
	/* what one part holds is traced; a file of several parts is not text */
	sysfs_trace(s, "put", rel, n == 1 ? iov->iov_base : NULL, n == 1 ? iov->iov_len : 0,
		    NULL, 0, rc);
	return rc;
}

int sysfs_put_str(struct sysfs *s, const char *rel, mode_t mode, const char *text)
{
	return sysfs_put(s, rel, mode, text, strlen(text));
}

int sysfs_symlink(struct sysfs *s, const char *target, const char *rel)
{
	const char *name;
	int dirfd = sysfs_parent_dir(s, rel, &name), rc;

	if (dirfd < 0)
		return dirfd;
	rc = sysfs_symlink_at(dirfd, target, name);
	close(dirfd);
	sysfs_trace(s, "symlink", rel, target, strlen(target), NULL, 0, rc);
	return rc;
}

/* rename or link from to to, each in its own directory inside the root */
static int two_names(struct sysfs *s, const char *from, const char *to, bool link)
{
	const char *fname, *tname;
	int fdir = sysfs_parent_dir(s, from, &fname), tdir, rc;

	if (fdir < 0)
		return fdir;
	tdir = sysfs_parent_dir(s, to, &tname);
	if (tdir < 0) {
		close(fdir);
		return tdir;
	}
	rc = (link ? linkat(fdir, fname, tdir, tname, 0) : renameat(fdir, fname, tdir, tname)) ?
		     -errno :
		     0;
	/* what was at to is another file now */
	if (!link)
		tell_changed(s, tdir, tname, tell_changed(s, fdir, fname, rc));
	close(fdir);
	close(tdir);
	return rc;
}

int sysfs_rename(struct sysfs *s, const char *from, const char *to)
{
	int rc = two_names(s, from, to, false);

	sysfs_trace(s, "rename", from, to, strlen(to), NULL, 0, rc);
	return rc;
}

int sysfs_link(struct sysfs *s, const char *from, const char *to)
{
	return two_names(s, from, to, true);
}

/* rel removed (an empty directory too); with durable, its directory flushed after */
static int remove_rel(struct sysfs *s, const char *rel, bool durable)
{
	const char *name;
	int dirfd = sysfs_parent_dir(s, rel, &name), rc;

	if (dirfd < 0)
		return dirfd;
	rc = unlinkat(dirfd, name, 0);
	if (rc && errno == EISDIR)
		rc = unlinkat(dirfd, name, AT_REMOVEDIR);
	rc = tell_changed(s, dirfd, name, rc ? -errno : 0);
	if (!rc && durable)
		rc = sync_dir(dirfd);
	close(dirfd);
	sysfs_trace(s, "remove", rel, NULL, 0, NULL, 0, rc);
	return rc;
}

int sysfs_remove(struct sysfs *s, const char *rel)
{
	return remove_rel(s, rel, false);
}

int sysfs_remove_durable(struct sysfs *s, const char *rel)
{
	return remove_rel(s, rel, true);
}

static int remove_at(int parent, const char *name);

static int remove_entry(const char *name, unsigned char type, void *dirfd)
{
	(void)type;
	return remove_at(*(int *)dirfd, name);
}

static int remove_at(int parent, const char *name)
{
	struct stat st;
	int fd, rc;

	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(parent, name, 0) ? -errno : 0;
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	rc = sysfs_dir_each(fd < 0 ? -errno : fd, remove_entry, &fd);
	if (!rc && unlinkat(parent, name, AT_REMOVEDIR))
		rc = -errno;
	return rc;
}

int sysfs_remove_tree(struct sysfs *s, const char *rel)
{
	const char *name;
	int dirfd = sysfs_parent_dir(s, rel, &name), rc;

	if (dirfd < 0)
		return dirfd;
	/* what was below it goes with it */
	rc = tell_changed(s, dirfd, name, remove_at(dirfd, name));
	close(dirfd);
	return rc;
}
