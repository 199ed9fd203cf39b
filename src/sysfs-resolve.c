/* SPDX-License-Identifier: MIT */
#include "sysfs-resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SYMLINK_HOPS 40

/*
 * Resolution inside the root without openat2(): one component at a time,
 * symlinks expanded by hand, ".." clamped at the root, every step opened with
 * O_NOFOLLOW so that a symlink swapped in meanwhile is refused, not followed.
 */
struct walk {
	int rootfd;
	int dirfd;
	char *stack[PATH_MAX / 2];
	int depth;
	char *pending;  /* what is left to resolve */
	char *p;        /* where it starts in pending */
	int hops;       /* symlinks expanded */
};

static int walk_reopen(struct walk *w)
{
	int fd = openat(w->rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);

	for (int i = 0; fd >= 0 && i < w->depth; i++) {
		int next = openat(fd, w->stack[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		close(fd);
		fd = next;
	}
	if (fd < 0)
		return -errno;
	if (w->dirfd >= 0)
		close(w->dirfd);
	w->dirfd = fd;
	return 0;
}

/* Symlink name in the current directory: what it says goes before the rest. */
static int expand(struct walk *w, const char *name)
{
	char target[PATH_MAX], *joined;
	ssize_t n;

	if (++w->hops > MAX_SYMLINK_HOPS)
		return -ELOOP;
	n = readlinkat(w->dirfd, name, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	if (asprintf(&joined, "%s/%s", target, w->p) < 0)
		return -ENOMEM;
	free(w->pending);
	w->pending = w->p = joined;
	if (target[0] != '/')
		return 0;
	/* an absolute target starts from the root */
	while (w->depth > 0)
		free(w->stack[--w->depth]);
	return walk_reopen(w);
}

/* Into directory name. */
static int descend(struct walk *w, const char *name)
{
	int next;

	if ((size_t)w->depth >= sizeof(w->stack) / sizeof(w->stack[0]))
		return -ENAMETOOLONG;
	w->stack[w->depth] = strdup(name);
	if (!w->stack[w->depth])
		return -ENOMEM;
	w->depth++;
	next = openat(w->dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (next < 0)
		return -errno;
	close(w->dirfd);
	w->dirfd = next;
	return 0;
}

/* The next component of the path into name: 0, 1 when none is left, or -errno. */
static int next_name(struct walk *w, char name[NAME_MAX + 1], bool *last)
{
	size_t len;

	while (*w->p == '/')
		w->p++;
	if (!*w->p)
		return 1;
	len = strcspn(w->p, "/");
	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(name, w->p, len);
	name[len] = '\0';
	w->p += len;
	*last = !w->p[strspn(w->p, "/")];
	return 0;
}

/* The last step: the file itself. 1 with *fd, or -errno. */
static int open_last(int dirfd, const char *name, int flags, mode_t mode, int *fd)
{
	*fd = openat(dirfd, name, flags, mode);
	return *fd < 0 ? -errno : 1;
}

/* One step of the walk: 0 to go on, 1 with *fd when the path is opened, or -errno. */
static int step(struct walk *w, int flags, mode_t mode, int *fd)
{
	char name[NAME_MAX + 1];
	struct stat st;
	bool last = false;
	int rc = next_name(w, name, &last);

	if (rc < 0)
		return rc;
	/* the path named a directory reached so far */
	if (rc)
		return open_last(w->dirfd, ".", flags & ~(O_CREAT | O_EXCL), mode, fd);
	if (!strcmp(name, "."))
		return 0;
	if (!strcmp(name, "..")) {
		if (w->depth > 0)
			free(w->stack[--w->depth]);
		return walk_reopen(w);
	}
	if (fstatat(w->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) &&
	    (!last || !(flags & O_NOFOLLOW)))
		return expand(w, name);
	if (!last)
		return descend(w, name);
	return open_last(w->dirfd, name, flags | O_NOFOLLOW, mode, fd);
}

int sysfs_resolve_fallback(int rootfd, const char *rel, int flags, mode_t mode)
{
	struct walk w = { .rootfd = rootfd, .dirfd = -1, .pending = strdup(rel) };
	int rc, fd = -1;

	if (!w.pending)
		return -ENOMEM;
	w.p = w.pending;
	rc = walk_reopen(&w);
	while (rc == 0)
		rc = step(&w, flags, mode, &fd);
	while (w.depth > 0)
		free(w.stack[--w.depth]);
	if (w.dirfd >= 0)
		close(w.dirfd);
	free(w.pending);
	return rc < 0 ? rc : fd;
}
