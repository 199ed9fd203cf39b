/* SPDX-License-Identifier: MIT */
#include "sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#ifdef HAVE_LINUX_OPENAT2_H
#include <linux/openat2.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errnames.h"
#include "sysfs-priv.h"
#include "sysfs-resolve.h"

bool sysfs_force_fallback;

int sysfs_open(struct sysfs *s, const char *root)
{
	memset(s, 0, sizeof(*s));
	s->rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->rootfd < 0)
		return -errno;
	s->root = strdup(root);
	if (!s->root) {
		close(s->rootfd);
		return -ENOMEM;
	}
	return 0;
}

void sysfs_set_store(struct sysfs *s, sysfs_store_fn fn, void *ctx)
{
	s->store = fn;
	s->store_ctx = ctx;
}

void sysfs_close(struct sysfs *s)
{
	if (s->rootfd >= 0)
		close(s->rootfd);
	free(s->root);
	s->root = NULL;
	s->rootfd = -1;
}

const char *sysfs_path(const struct sysfs *s, const char *rel, char *buf, size_t size)
{
	size_t n = strlen(s->root);

	snprintf(buf, size, "%s%s%s", s->root, n && s->root[n - 1] == '/' ? "" : "/", rel);
	return buf;
}

int sysfs_openat(struct sysfs *s, const char *rel, int flags, mode_t mode)
{
	int fd;

	flags |= O_CLOEXEC;
#ifdef HAVE_LINUX_OPENAT2_H
	if (!sysfs_force_fallback) {
		struct open_how how = {
			.flags = (unsigned long long)flags,
			.mode = (flags & O_CREAT) ? mode : 0,
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
		};

		fd = (int)syscall(SYS_openat2, s->rootfd, *rel ? rel : ".", &how, sizeof(how));
		if (fd >= 0) {
			sysfs_count_open(s);
			return fd;
		}
		if (errno != ENOSYS && errno != EPERM)
			return -errno;
		/* no openat2() here (or a seccomp filter refuses it) */
	}
#endif
	fd = sysfs_resolve_fallback(s->rootfd, rel, flags, mode);
	if (fd >= 0)
		sysfs_count_open(s);
	return fd;
}

int sysfs_openat_in(struct sysfs *s, int dirfd, const char *dirrel, const char *name, int flags)
{
	char rel[PATH_MAX];

#ifdef HAVE_LINUX_OPENAT2_H
	if (!sysfs_force_fallback && dirfd >= 0) {
		struct open_how how = {
			.flags = (unsigned long long)(flags | O_CLOEXEC),
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
		};
		int fd = (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));

		if (fd >= 0) {
			sysfs_count_open(s);
			return fd;
		}
		/* what leads above the directory is resolved as from the root */
		if (errno != EXDEV && errno != ENOSYS && errno != EPERM)
			return -errno;
	}
#else
	(void)dirfd;
#endif
	snprintf(rel, sizeof(rel), "%s/%s", dirrel, name);
	return sysfs_openat(s, rel, flags, 0);
}

/*
 * Reads fd into buf after its first *len bytes until size - 1 are there or
 * the file ends: 1 when it ended, 0 when buf is full, or -errno. With
 * whole_reads a read that gives less than it asked for is the end (sysfs
 * answers a read with the whole attribute, a regular file gives less only at
 * its end), which spares the read that finds the end; /proc's files give
 * theirs in pieces.
 */
static int read_upto(int fd, char *buf, size_t size, size_t *len, bool whole_reads)
{
	while (*len + 1 < size) {
		size_t asked = size - 1 - *len;
		ssize_t n = read(fd, buf + *len, asked);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		*len += (size_t)n;
		if (n == 0 || (whole_reads && (size_t)n < asked))
			return 1;
	}
	return 0;
}

/*
 * fd (or the -errno of its open) read whole into buf, NUL-terminated, and
 * traced as a read of dir/name (name NULL: of dir): its length or -errno.
 */
static ssize_t read_opened(struct sysfs *s, int fd, const char *dir, const char *name,
			   char *buf, size_t size)
{
	size_t len = 0;
	int rc = fd;

	if (fd >= 0) {
		rc = read_upto(fd, buf, size, &len, true);
		close(fd);
		rc = rc < 0 ? rc : 0;
		buf[len] = '\0';
	}
	if (s->verbose && !s->quiet) {
		char rel[PATH_MAX];

		if (name)
			snprintf(rel, sizeof(rel), "%s/%s", dir, name);
		sysfs_trace(s, "read", name ? rel : dir, NULL, 0, fd >= 0 ? buf : NULL, len, rc);
	}
	return rc ? rc : (ssize_t)len;
}

ssize_t sysfs_read(struct sysfs *s, const char *rel, char *buf, size_t size)
{
	return read_opened(s, sysfs_openat(s, rel, O_RDONLY, 0), rel, NULL, buf, size);
}

ssize_t sysfs_read_in(struct sysfs *s, int dirfd, const char *dirrel, const char *name,
		      char *buf, size_t size)
{
	return read_opened(s, sysfs_openat_in(s, dirfd, dirrel, name, O_RDONLY), dirrel, name,
			   buf, size);
}

/* rel whole into a malloc'ed buffer (read_upto()'s whole_reads). */
static char *read_all(struct sysfs *s, const char *rel, size_t *lenp, int *err, bool whole_reads)
{
	int fd = sysfs_openat(s, rel, O_RDONLY, 0);
	size_t len = 0, cap = 4096;
	char *buf = NULL;
	int rc = 0;

	if (fd < 0) {
		sysfs_trace(s, "read", rel, NULL, 0, NULL, 0, fd);
		*err = fd;
		return NULL;
	}
	while (!rc) {
		char *bigger = realloc(buf, cap);
		struct stat sb;

		if (!bigger) {
			rc = -ENOMEM;
			break;
		}
		buf = bigger;
		rc = read_upto(fd, buf, cap, &len, whole_reads);
		/* a file longer than a page says how long it is, unless it grows */
		if (!rc && !fstat(fd, &sb) && S_ISREG(sb.st_mode) && (size_t)sb.st_size >= cap)
			cap = (size_t)sb.st_size + 2;
		else
			cap *= 2;
	}
	close(fd);
	if (rc < 0) {
		free(buf);
		buf = NULL;
		*err = rc;
	} else {
		buf[len] = '\0';
	}
	sysfs_trace(s, "read", rel, NULL, 0, buf, len, buf ? 0 : *err);
	*lenp = len;
	return buf;
}

char *sysfs_read_bytes(struct sysfs *s, const char *rel, size_t *lenp, int *err)
{
	return read_all(s, rel, lenp, err, false);
}

char *sysfs_read_alloc(struct sysfs *s, const char *rel, int *err)
{
	size_t len;

	return read_all(s, rel, &len, err, true);
}

int sysfs_read_long(struct sysfs *s, const char *rel, long *out)
{
	char buf[64], *end;
	ssize_t n = sysfs_read(s, rel, buf, sizeof(buf));
	long v;

	if (n < 0)
		return (int)n;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (end == buf || errno || (*end && strcmp(end, "\n")))
		return -EINVAL;
	*out = v;
	return 0;
}

int sysfs_write(struct sysfs *s, const char *rel, const void *buf, size_t len)
{
	int rc;

	if (s->store) {
		s->quiet++;
		rc = s->store(s->store_ctx, s, rel, buf, len);
		s->quiet--;
	} else {
		rc = sysfs_write_file(s, rel, buf, len);
	}
	sysfs_trace(s, "write", rel, buf, len, NULL, 0, rc);
	return rc;
}

int sysfs_write_file(struct sysfs *s, const char *rel, const void *buf, size_t len)
{
	ssize_t n;
	int fd, rc = 0;

	fd = sysfs_openat(s, rel, O_WRONLY, 0);
	if (fd < 0)
		return fd;
	do {
		n = write(fd, buf, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		rc = -errno;
	else if ((size_t)n != len)
		rc = -EIO;
	if (close(fd) && !rc)
		rc = -errno;
	return rc;
}

/* Opens the directory that holds rel's last component; *name points into rel. */
int sysfs_parent_dir(struct sysfs *s, const char *rel, const char **name)
{
	const char *slash = strrchr(rel, '/');
	char dir[PATH_MAX];

	if (!slash) {
		*name = rel;
		return sysfs_openat(s, "", O_PATH | O_DIRECTORY, 0);
	}
	if ((size_t)(slash - rel) >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, rel, (size_t)(slash - rel));
	dir[slash - rel] = '\0';
	*name = slash + 1;
	return sysfs_openat(s, dir, O_PATH | O_DIRECTORY, 0);
}

int sysfs_at(struct sysfs *s, const char *rel, sysfs_at_fn fn, void *arg)
{
	const char *name;
	int dirfd = sysfs_parent_dir(s, rel, &name), rc;

	if (dirfd < 0)
		return dirfd;
	rc = fn(dirfd, name, arg);
	close(dirfd);
	return rc;
}

int sysfs_readlink(struct sysfs *s, const char *rel, char *buf, size_t size)
{
	const char *name;
	int dirfd = sysfs_parent_dir(s, rel, &name), rc;

	if (dirfd < 0)
		return dirfd;
	rc = sysfs_readlink_at(dirfd, name, buf, size);
	close(dirfd);
	sysfs_trace(s, "readlink", rel, NULL, 0, rc ? NULL : buf, rc ? 0 : strlen(buf), rc);
	return rc;
}

void sysfs_count_open(struct sysfs *s)
{
	__atomic_fetch_add(&s->opened, 1, __ATOMIC_RELAXED);
}

int sysfs_readlink_at(int dirfd, const char *name, char *buf, size_t size)
{
	ssize_t n = readlinkat(dirfd, name, buf, size - 1);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* All of data to a file (not an attribute: those take one write()). */
int sysfs_write_all(int fd, const void *data, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, (const char *)data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += (size_t)n;
	}
	return 0;
}

/* The absolute path the kernel knows for an open descriptor. */
static int fd_path(int fd, char *buf, size_t size)
{
	char proc[64];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, buf, size - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= size - 1)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return 0;
}

int sysfs_canonical(struct sysfs *s, const char *rel, char *buf, size_t size)
{
	char root[PATH_MAX], path[PATH_MAX];
	int fd = sysfs_openat(s, rel, O_PATH, 0), rc;
	size_t n;

	if (fd < 0)
		return fd;
	rc = fd_path(fd, path, sizeof(path));
	close(fd);
	if (!rc)
		rc = fd_path(s->rootfd, root, sizeof(root));
	if (rc)
		return rc;
	n = strcmp(root, "/") ? strlen(root) : 0;
	if (strncmp(path, root, n) || (path[n] != '/' && path[n]))
		return -EXDEV;
	snprintf(buf, size, "%s", path[n] == '/' ? path + n + 1 : path + n);
	return 0;
}

int sysfs_append(struct sysfs *s, const char *rel, const char *text)
{
	int fd = sysfs_openat(s, rel, O_WRONLY | O_APPEND | O_CREAT, 0644), rc;
	size_t len = strlen(text);

	if (fd < 0)
		return fd;
	rc = sysfs_write_all(fd, text, len);
	if (close(fd) && !rc)
		rc = -errno;
	return rc;
}

int sysfs_stat(struct sysfs *s, const char *rel, struct stat *st)
{
	int fd = sysfs_openat(s, rel, O_PATH, 0);
	int rc;

	if (fd < 0)
		return fd;
	rc = fstat(fd, st) ? -errno : 0;
	close(fd);
	return rc;
}

bool sysfs_exists(struct sysfs *s, const char *rel)
{
	struct stat st;

	return sysfs_stat(s, rel, &st) == 0;
}

bool sysfs_is_kernel(struct sysfs *s)
{
	int fd = sysfs_openat(s, "sys", O_PATH | O_DIRECTORY, 0);
	struct statfs sf;
	bool kernel;

	if (fd < 0)
		return false;
	kernel = !fstatfs(fd, &sf) && sf.f_type == SYSFS_MAGIC;
	close(fd);
	return kernel;
}

bool sysfs_is_dir(struct sysfs *s, const char *rel)
{
	struct stat st;

	return sysfs_stat(s, rel, &st) == 0 && S_ISDIR(st.st_mode);
}

int sysfs_dir_each(int fd, sysfs_list_cb cb, void *ctx)
{
	struct dirent *de;
	DIR *dir;
	int rc = 0;

	if (fd < 0)
		return fd;
	dir = fdopendir(fd);
	if (!dir) {
		rc = -errno;
		close(fd);
		return rc;
	}
	while (!rc && (de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			rc = cb(de->d_name, de->d_type, ctx);
	closedir(dir);
	return rc;
}

struct counted {
	sysfs_list_cb cb;
	void *ctx;
	long n;
};

static int count_entry(const char *name, unsigned char type, void *counted)
{
	struct counted *c = counted;

	c->n++;
	return c->cb(name, type, c->ctx);
}

int sysfs_list(struct sysfs *s, const char *rel, sysfs_list_cb cb, void *ctx)
{
	struct counted c = { cb, ctx, 0 };
	int fd = sysfs_openat(s, rel, O_RDONLY | O_DIRECTORY, 0), rc;

	if (!s->verbose || s->quiet)
		return sysfs_dir_each(fd, cb, ctx);
	rc = sysfs_dir_each(fd, count_entry, &c);
	sysfs_trace(s, "list", rel, NULL, 0, NULL, 0, fd < 0 ? fd : c.n);
	return rc;
}

/* What was sent or came back, as C writes a string, cut after TRACE_SHOWN bytes. */
#define TRACE_SHOWN 256
static void trace_quoted(const char *data, size_t len)
{
	size_t n = len < TRACE_SHOWN ? len : TRACE_SHOWN;

	fputc('"', stderr);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)data[i];

		if (c == '\n' || c == '\t')
			fputs(c == '\n' ? "\\n" : "\\t", stderr);
		else if (c == '"' || c == '\\')
			fprintf(stderr, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(stderr, "\\x%02x", c);
		else
			fputc(c, stderr);
	}
	fputc('"', stderr);
	if (n < len)
		fprintf(stderr, "... (%zu bytes)", len);
}

void sysfs_trace(const struct sysfs *s, const char *op, const char *rel, const void *sent,
		 size_t sent_len, const void *got, size_t got_len, long rc)
{
	char path[PATH_MAX];

	if (!s->verbose || s->quiet)
		return;
	flockfile(stderr);
	fprintf(stderr, "apctl: %s %s", op, sysfs_path(s, rel, path, sizeof(path)));
	if (sent) {
		fputc(' ', stderr);
		trace_quoted(sent, sent_len);
	}
	if (rc < 0) {
		fprintf(stderr, ": %s (%s)\n", strerror((int)-rc), errno_name((int)-rc));
	} else if (got) {
		fputs(": ", stderr);
		trace_quoted(got, got_len);
		fputc('\n', stderr);
	} else if (!strcmp(op, "list")) {
		fprintf(stderr, ": %ld entries\n", rc);
	} else {
		fputs(": ok\n", stderr);
	}
	funlockfile(stderr);
}

int sysfs_lstat(struct sysfs *s, const char *rel, struct stat *st)
{
	const char *name;
	int dirfd = sysfs_parent_dir(s, rel, &name), rc;

	if (dirfd < 0)
		return dirfd;
	rc = fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) ? -errno : 0;
	close(dirfd);
	return rc;
}
