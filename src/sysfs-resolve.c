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

int sysfs_resolve_fallback(int rootfd, const char *rel, int flags, mode_t mode)
{
	struct walk w = { .rootfd = rootfd, .dirfd = -1 };
	char *pending = strdup(rel), *p;
	int hops = 0, rc;

	if (!pending)
		return -ENOMEM;
	rc = walk_reopen(&w);
	p = pending;
	while (rc == 0) {
		char *slash, name[NAME_MAX + 1], target[PATH_MAX];
		struct stat st;
		bool last;
		ssize_t n;
		size_t len;

		while (*p == '/')
			p++;
		if (!*p) {
			/* the path named a directory reached so far */
			rc = openat(w.dirfd, ".", flags & ~(O_CREAT | O_EXCL), mode);
			rc = rc < 0 ? -errno : rc;
			break;
		}
		slash = strchr(p, '/');
		len = slash ? (size_t)(slash - p) : strlen(p);
		if (len > NAME_MAX) {
			rc = -ENAMETOOLONG;
			break;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;
		last = !strchr(p, '/') || !p[strspn(p, "/")];
		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, "..")) {
			if (w.depth > 0)
				free(w.stack[--w.depth]);
			rc = walk_reopen(&w);
			continue;
		}
		if (fstatat(w.dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) &&
		    (!last || !(flags & O_NOFOLLOW))) {
			char *joined;

			if (++hops > MAX_SYMLINK_HOPS) {
				rc = -ELOOP;
				break;
			}
			n = readlinkat(w.dirfd, name, target, sizeof(target) - 1);
			if (n < 0) {
				rc = -errno;
				break;
			}
			target[n] = '\0';
			if (asprintf(&joined, "%s/%s", target, p) < 0) {
				rc = -ENOMEM;
				break;
			}
			free(pending);
			pending = p = joined;
			if (target[0] == '/') {
				while (w.depth > 0)
					free(w.stack[--w.depth]);
				rc = walk_reopen(&w);
			}
			continue;
		}
		if (last) {
			rc = openat(w.dirfd, name, flags | O_NOFOLLOW, mode);
			rc = rc < 0 ? -errno : rc;
			break;
		}
		if ((size_t)w.depth >= sizeof(w.stack) / sizeof(w.stack[0])) {
			rc = -ENAMETOOLONG;
			break;
		}
		w.stack[w.depth] = strdup(name);
		if (!w.stack[w.depth]) {
			rc = -ENOMEM;
			break;
		}
		w.depth++;
		{
			int next = openat(w.dirfd, name,
					  O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (next < 0) {
				rc = -errno;
				break;
			}
			close(w.dirfd);
			w.dirfd = next;
		}
	}
	while (w.depth > 0)
		free(w.stack[--w.depth]);
	if (w.dirfd >= 0)
		close(w.dirfd);
	free(pending);
	return rc;
}

