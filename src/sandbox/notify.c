/* SPDX-License-Identifier: MIT */
/*
 * A mount that lets the kernel keep names, attributes and contents (sandbox
 * run's) must hear of every file a store changes, or a path would still be
 * seen after its mdev or its queue's driver is gone, and an attribute would
 * still read as before. Such a mount listens on a socket in SANDBOX_MOUNTS; a
 * store, in whatever process it runs, notes the names that it removes,
 * renames, or replaces with another file (new contents, a link retargeted),
 * and once it has let go of the emulated kernel's lock tells every mount and
 * waits for its answer: what runs after the store finds the tree as it is,
 * as on sysfs. A name that a store adds needs no word: the kernel keeps no
 * name that is not there.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "layout.h"
#include "sandbox.h"

/* How long a store waits for a mount to answer */
#define ANSWER_SECS 10

/* The directory of the mounts' sockets, if there is one with a socket in it. */
static int mounts_dir(struct sysfs *s)
{
	int fd = openat(s->rootfd, SANDBOX_MOUNTS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool any = false;
	struct dirent *e;
	DIR *dir;

	if (fd < 0)
		return -1;
	dir = fdopendir(dup(fd));
	while (dir && !any && (e = readdir(dir)))
		any = e->d_name[0] != '.';
	if (dir)
		closedir(dir);
	if (!any) {
		close(fd);
		return -1;
	}
	return fd;
}

/* sysfs_changed_fn: name in dirfd noted, if the mounts show it (under sys/). */
static void note_changed(void *ctx, int dirfd, const char *name)
{
	struct sbx_changed *g = ctx;
	char path[PATH_MAX];
	const char *rel = path + g->rootlen;

	if (sandbox_fd_path(dirfd, path, sizeof(path)) || strncmp(path, g->root, g->rootlen)) {
		/* where it was cannot be said: every mount forgets all it keeps */
		g->all = true;
		return;
	}
	rel += *rel == '/';
	if (!strcmp(rel, "sys") || !strncmp(rel, "sys/", 4))
		fprintf(g->out, "%s/%s\n", rel, name);
}

void sbx_changed_begin(struct sysfs *s, struct sbx_changed *g)
{
	memset(g, 0, sizeof(*g));
	g->mounts = mounts_dir(s);
	if (g->mounts < 0)
		return;
	if (!sandbox_fd_path(s->rootfd, g->root, sizeof(g->root)))
		g->out = open_memstream(&g->text, &g->len);
	if (!g->out) {
		close(g->mounts);
		g->mounts = -1;
		return;
	}
	g->rootlen = strlen(g->root);
	s->changed = note_changed;
	s->changed_ctx = g;
}

/* Tells the mount listening at name what changed, and waits for its answer. */
static void tell_mount(int mounts, const char *name, const char *text, size_t len)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval tv = { ANSWER_SECS, 0 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char answer;

	if (fd < 0)
		return;
	/* the names are the mounts' process IDs: a longer one is none of theirs */
	if ((size_t)snprintf(a.sun_path, sizeof(a.sun_path), "/proc/self/fd/%d/%s", mounts, name) >=
	    sizeof(a.sun_path)) {
		close(fd);
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		/* no one listens: a mount that was killed left its socket */
		if (errno == ECONNREFUSED)
			unlinkat(mounts, name, 0);
		close(fd);
		return;
	}
	for (size_t done = 0; done < len;) {
		ssize_t n = send(fd, text + done, len - done, MSG_NOSIGNAL);

		if (n < 0 && errno != EINTR)
			break;
		done += n > 0 ? (size_t)n : 0;
	}
	shutdown(fd, SHUT_WR);
	while (recv(fd, &answer, 1, 0) < 0 && errno == EINTR)
		;
	close(fd);
}

void sbx_changed_end(struct sysfs *s, struct sbx_changed *g)
{
	struct dirent *e;
	DIR *dir;

	if (g->mounts < 0)
		return;
	s->changed = NULL;
	s->changed_ctx = NULL;
	fclose(g->out);
	if (g->all) {
		free(g->text);
		g->text = strdup("*\n");
		g->len = g->text ? 2 : 0;
	}
	dir = g->len ? fdopendir(dup(g->mounts)) : NULL;
	/* a duplicate shares the offset, which the look for a socket moved */
	if (dir)
		rewinddir(dir);
	while (dir && (e = readdir(dir)))
		if (e->d_name[0] != '.')
			tell_mount(g->mounts, e->d_name, g->text, g->len);
	if (dir)
		closedir(dir);
	free(g->text);
	close(g->mounts);
}

/* ---- the mount's side ---- */

struct sbx_listener {
	int dirfd;               /* SANDBOX_MOUNTS */
	int fd;                  /* the listening socket */
	char name[32];           /* its name there */
	sbx_forget_fn forget;
	void *ctx;
	atomic_bool stop;
	pthread_t thread;
};

/* Reads what a store says until it is done, and has each line forgotten. */
static void hear(struct sbx_listener *l, int fd)
{
	size_t len = 0, cap = 0;
	char *text = NULL, *line, *save = NULL;

	for (;;) {
		ssize_t n;

		if (len + 4096 >= cap) {
			char *more = realloc(text, cap = cap ? 2 * cap : 65536);

			if (!more)
				break;
			text = more;
		}
		n = recv(fd, text + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (text) {
		text[len] = '\0';
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			l->forget(l->ctx, strcmp(line, "*") ? line : NULL);
	}
	free(text);
	send(fd, "", 1, MSG_NOSIGNAL);
}

static void *listen_loop(void *arg)
{
	struct sbx_listener *l = arg;

	while (!atomic_load(&l->stop)) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;
		}
		if (!atomic_load(&l->stop))
			hear(l, fd);
		close(fd);
	}
	return NULL;
}

int sbx_listen(struct sysfs *s, sbx_forget_fn forget, void *ctx, struct sbx_listener **out)
{
	struct sbx_listener *l = calloc(1, sizeof(*l));
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int rc = l ? sysfs_mkdirs(s, SANDBOX_MOUNTS, 0755) : -ENOMEM;

	if (rc) {
		free(l);
		return rc;
	}
	l->forget = forget;
	l->ctx = ctx;
	l->dirfd = openat(s->rootfd, SANDBOX_MOUNTS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(l->name, sizeof(l->name), "%ld", (long)getpid());
	if (l->dirfd >= 0)
		unlinkat(l->dirfd, l->name, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "/proc/self/fd/%d/%s", l->dirfd, l->name);
	if (l->dirfd < 0 || l->fd < 0 || bind(l->fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(l->fd, 64))
		rc = -errno;
	else
		rc = -pthread_create(&l->thread, NULL, listen_loop, l);
	if (rc) {
		if (l->dirfd >= 0)
			unlinkat(l->dirfd, l->name, 0);
		if (l->fd >= 0)
			close(l->fd);
		if (l->dirfd >= 0)
			close(l->dirfd);
		free(l);
		return rc;
	}
	*out = l;
	return 0;
}

void sbx_listen_stop(struct sbx_listener *l)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	if (!l)
		return;
	/* a connection of its own wakes the loop, which then ends */
	atomic_store(&l->stop, true);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "/proc/self/fd/%d/%s", l->dirfd, l->name);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		shutdown(l->fd, SHUT_RDWR);
	pthread_join(l->thread, NULL);
	if (fd >= 0)
		close(fd);
	unlinkat(l->dirfd, l->name, 0);
	close(l->fd);
	close(l->dirfd);
	free(l);
}
