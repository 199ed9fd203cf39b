/* SPDX-License-Identifier: MIT */
/*
 * The emulated kernel's events: what each store changed (report-changes.h), one
 * JSON line per change, appended to the sandbox's events file under the
 * kernel's lock, so that a reader sees every change once and in order; and
 * that reader, which follows the file as it grows and when it is rotated.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "layout.h"
#include "sandbox.h"
#include "report-changes.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The seq of the last line of an events file (fd), or 0. */
static unsigned long long last_seq(int fd)
{
	char buf[8192], *p;
	struct stat sb;
	off_t from;
	ssize_t n;

	if (fstat(fd, &sb) || sb.st_size < 2)
		return 0;
	from = sb.st_size > (off_t)sizeof(buf) - 1 ? sb.st_size - (off_t)sizeof(buf) + 1 : 0;
	n = pread(fd, buf, sizeof(buf) - 1, from);
	if (n < 2)
		return 0;
	buf[n - 1] = '\0';               /* the last newline */
	p = strrchr(buf, '\n');
	p = strstr(p ? p + 1 : buf, "\"seq\":");
	return p ? strtoull(p + 6, NULL, 10) : 0;
}

/* The events file to append to: rotated first when full. A descriptor or -errno. */
static int open_log(struct sysfs *s, unsigned long long *seq)
{
	int fd = sysfs_openat(s, SANDBOX_EVENTS, O_RDWR | O_APPEND | O_CREAT, 0644), rc;
	struct stat sb;

	if (fd < 0)
		return fd;
	*seq = last_seq(fd);
	if (fstat(fd, &sb) || sb.st_size <= SANDBOX_EVENTS_MAX)
		return fd;
	close(fd);
	rc = sysfs_rename(s, SANDBOX_EVENTS, SANDBOX_EVENTS_OLD);
	return rc ? rc : sysfs_openat(s, SANDBOX_EVENTS, O_RDWR | O_APPEND | O_CREAT, 0644);
}

int sandbox_events_append(struct sysfs *s, const struct changes *c)
{
	long long t = now_ms();
	unsigned long long seq = 0;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int fd = f ? open_log(s, &seq) : -ENOMEM, rc = fd < 0 ? fd : 0;

	for (size_t i = 0; !rc && i < c->n; i++) {
		struct json_object *o = change_json(&c->v[i], seq + 1, t);

		if (!o) {
			rc = -ENOMEM;
			break;
		}
		fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	}
	if (f && fclose(f))
		rc = rc ? rc : -ENOMEM;
	/* one write: a reader never sees half of a store's changes */
	if (!rc) {
		ssize_t n = write(fd, text, len);

		rc = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	}
	if (fd >= 0)
		close(fd);
	free(text);
	return rc;
}

struct sandbox_events {
	struct sysfs *s;
	int fd;           /* the events file, or -1 until there is one */
	int ino;          /* inotify, on the sandbox's own directory */
	char *partial;    /* a line read in part */
	size_t npartial;
};

/* The events file, at its end when skip is set. */
static void open_file(struct sandbox_events *e, bool skip)
{
	e->fd = sysfs_openat(e->s, SANDBOX_EVENTS, O_RDONLY, 0);
	if (e->fd < 0)
		e->fd = -1;
	else if (skip)
		lseek(e->fd, 0, SEEK_END);
}

int sandbox_events_open(struct sysfs *s, struct sandbox_events **out)
{
	struct sandbox_events *e = calloc(1, sizeof(*e));
	char dir[PATH_MAX];

	if (!e)
		return -ENOMEM;
	e->s = s;
	e->fd = -1;
	e->ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (e->ino < 0 || inotify_add_watch(e->ino, sysfs_path(s, SANDBOX_DIR, dir, sizeof(dir)),
					    IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0) {
		int rc = -errno;

		sandbox_events_close(e);
		return rc;
	}
	open_file(e, true);
	*out = e;
	return 0;
}

int sandbox_events_fd(const struct sandbox_events *e)
{
	return e->ino;
}

/* Whole lines of fd to each(), the rest kept for the next read. */
static int drain(struct sandbox_events *e, void (*each)(const char *line, void *ctx), void *ctx)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(e->fd, buf, sizeof(buf))) > 0) {
		char *more = realloc(e->partial, e->npartial + (size_t)n + 1), *line, *nl;

		if (!more)
			return -ENOMEM;
		e->partial = more;
		memcpy(e->partial + e->npartial, buf, (size_t)n);
		e->npartial += (size_t)n;
		e->partial[e->npartial] = '\0';
		for (line = e->partial; (nl = strchr(line, '\n')); line = nl + 1) {
			*nl = '\0';
			each(line, ctx);
		}
		e->npartial -= (size_t)(line - e->partial);
		memmove(e->partial, line, e->npartial);
	}
	return n < 0 ? -errno : 0;
}

int sandbox_events_read(struct sandbox_events *e, void (*each)(const char *line, void *ctx),
			void *ctx)
{
	char buf[4096];
	struct stat now, mine;
	int rc = 0;

	while (read(e->ino, buf, sizeof(buf)) > 0)
		;
	if (e->fd < 0) {
		/* the first store since the sandbox was made: its events from the start */
		open_file(e, false);
		if (e->fd < 0)
			return 0;
	}
	rc = drain(e, each, ctx);
	/* rotated: the rest of the old file (the kernel renamed it whole), then the new one */
	if (!rc && !sysfs_stat(e->s, SANDBOX_EVENTS, &now) && !fstat(e->fd, &mine) &&
	    (now.st_ino != mine.st_ino || now.st_dev != mine.st_dev)) {
		rc = drain(e, each, ctx);
		close(e->fd);
		e->npartial = 0;
		open_file(e, false);
		if (!rc && e->fd >= 0)
			rc = drain(e, each, ctx);
	}
	return rc;
}

void sandbox_events_close(struct sandbox_events *e)
{
	if (!e)
		return;
	if (e->fd >= 0)
		close(e->fd);
	if (e->ino >= 0)
		close(e->ino);
	free(e->partial);
	free(e);
}
