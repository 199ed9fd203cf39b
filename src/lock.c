/* SPDX-License-Identifier: MIT */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "paths.h"

/*
 * A lock file that names no process is taken for one being written by a
 * tool with another protocol for this long, then for a leftover.
 */
#define LOCK_NO_PID_GRACE 2
#define LOCK_POLL_MS 30
/* A lock temporary that names no process is a leftover after this long (libap: 120 s). */
#define LOCK_TEMP_MAX_AGE 600

enum lock_look {
	LOCK_GONE,  /* no lock file (any more): try to take it */
	LOCK_HELD,  /* a live process holds it, or it cannot be taken yet: wait */
	LOCK_ALIEN, /* something that is no lock file stands there */
};

/* The PID in a lock file's text: > 0, or 0 when it names none. */
static long parse_pid(const char *text)
{
	char *end;
	long pid = strtol(text, &end, 10);

	if (end == text || pid <= 0 || (*end && *end != '\n'))
		return 0;
	return pid;
}

/* Whether a lock file naming pid (0: none), last changed at mtime, is held. */
static bool held_by(long pid, time_t mtime)
{
	if (pid > 0)
		return kill((pid_t)pid, 0) == 0 || errno != ESRCH;
	return time(NULL) <= mtime + LOCK_NO_PID_GRACE;
}

/*
 * Looks at the lock file; one that is stale (its process is gone, it is a
 * symlink, or it names no process for too long) is removed. Called with the
 * takeover lock held, so that two apctl processes never both decide that one
 * lock is stale and each remove what the other has since made.
 */
static enum lock_look look(struct sysfs *s, pid_t *holder)
{
	enum lock_look r = LOCK_GONE;
	struct stat before, after;
	char buf[40];
	ssize_t n = 0;
	long pid;
	int fd = -1;

	if (sysfs_lstat(s, AP_LOCK_FILE, &before))
		return LOCK_GONE;
	if (!S_ISREG(before.st_mode) && !S_ISLNK(before.st_mode))
		return LOCK_ALIEN;
	if (S_ISREG(before.st_mode)) {
		/*
		 * The file itself, held open: its PID is read from it, and while it
		 * is open no new lock file can have its inode number, so that what
		 * is removed below is the very file found stale.
		 */
		fd = sysfs_openat(s, AP_LOCK_FILE, O_RDONLY | O_NOFOLLOW, 0);
		if (fd < 0)
			return fd == -ENOENT ? LOCK_GONE : LOCK_HELD;
		if (!fstat(fd, &before))
			n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		pid = parse_pid(buf);
		if (n < 0 || held_by(pid, before.st_mtime)) {
			*holder = n < 0 ? 0 : (pid_t)pid;
			r = LOCK_HELD;
		}
	}
	/* stale: remove the very file looked at; one that cannot be removed is waited for */
	if (r == LOCK_GONE && !sysfs_lstat(s, AP_LOCK_FILE, &after) &&
	    after.st_ino == before.st_ino && after.st_dev == before.st_dev &&
	    sysfs_remove(s, AP_LOCK_FILE) && sysfs_lstat(s, AP_LOCK_FILE, &after) == 0)
		r = LOCK_HELD;
	if (fd >= 0)
		close(fd);
	return r;
}

/* look() under an flock() of the lock directory, which apctl processes share. */
static enum lock_look look_locked(struct sysfs *s, pid_t *holder)
{
	int fd = sysfs_openat(s, LOCK_DIR, O_RDONLY | O_DIRECTORY, 0);
	enum lock_look r;

	if (fd < 0)
		return LOCK_HELD;
	while (flock(fd, LOCK_EX) && errno == EINTR)
		;
	r = look(s, holder);
	close(fd);
	return r;
}

/*
 * A temporary of the lock protocol (the lock's name and more, holding a PID)
 * that its maker left: its PID is gone, or it names none and is older than
 * any wait for the lock.
 */
static int remove_lock_temp(const char *name, unsigned char type, void *ctx)
{
	struct sysfs *s = ctx;
	char rel[sizeof(LOCK_DIR) + 256], buf[40];
	struct stat st;
	long pid;

	(void)type;
	/* the lock's own name and more */
	if (strncmp(name, AP_LOCK_NAME, strlen(AP_LOCK_NAME)) || !name[strlen(AP_LOCK_NAME)] ||
	    strlen(name) > 200)
		return 0;
	snprintf(rel, sizeof(rel), "%s/%s", LOCK_DIR, name);
	if (sysfs_lstat(s, rel, &st) || !S_ISREG(st.st_mode) ||
	    sysfs_read(s, rel, buf, sizeof(buf)) < 0)
		return 0;
	pid = parse_pid(buf);
	if ((pid > 0 && kill((pid_t)pid, 0) && errno == ESRCH) ||
	    (!pid && time(NULL) > st.st_mtime + LOCK_TEMP_MAX_AGE))
		sysfs_remove(s, rel);
	return 0;
}

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

int aplock_take_for(struct sysfs *s, pid_t owner, unsigned timeout_s, pid_t *holder)
{
	static unsigned serial;
	char tmp[sizeof(AP_LOCK_FILE) + 32], pid[24];
	struct timespec start;
	enum lock_look seen;
	int rc;

	*holder = 0;
	rc = sysfs_mkdirs(s, LOCK_DIR, 0755);
	if (rc)
		return rc;
	/* the name chzdev's libap uses for its own: the lock's name, the PID and more */
	snprintf(tmp, sizeof(tmp), "%s%05d%02x%u", AP_LOCK_FILE, (int)getpid(),
		 (unsigned)time(NULL) & 255, serial++);
	snprintf(pid, sizeof(pid), "%d\n", (int)owner);
	rc = sysfs_put(s, tmp, 0644, pid, strlen(pid));
	if (rc)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		rc = sysfs_link(s, tmp, AP_LOCK_FILE);
		if (rc != -EEXIST)
			break;
		*holder = 0;
		seen = look_locked(s, holder);
		/* held for owner already (by another process: one of our own PID is a stale one's) */
		if (seen == LOCK_HELD && *holder == owner && owner != getpid()) {
			rc = 1;
			break;
		}
		if (seen == LOCK_ALIEN) {
			rc = -EISDIR;
			break;
		}
		if (seen == LOCK_GONE)
			continue;
		if (elapsed_ms(&start) >= (long)timeout_s * 1000) {
			rc = -EBUSY;
			break;
		}
		nanosleep(&(struct timespec){ 0, LOCK_POLL_MS * 1000000L }, NULL);
	}
	sysfs_remove(s, tmp);
	/* held: what the lock protocol's killed takers left can go, and their files' temporaries */
	if (rc >= 0) {
		sysfs_list(s, LOCK_DIR, remove_lock_temp, s);
		sysfs_clean_temps(s, LOCK_DIR);
	}
	return rc;
}

int aplock_take(struct sysfs *s, unsigned timeout_s, pid_t *holder)
{
	int rc = aplock_take_for(s, getpid(), timeout_s, holder);

	return rc > 0 ? 0 : rc;
}

void aplock_release_for(struct sysfs *s, pid_t owner)
{
	char buf[40];

	if (sysfs_read(s, AP_LOCK_FILE, buf, sizeof(buf)) >= 0 && parse_pid(buf) == (long)owner)
		sysfs_remove(s, AP_LOCK_FILE);
}

int aplock_hand_over(struct sysfs *s, pid_t from, pid_t to)
{
	char buf[40], tmp[sizeof(AP_LOCK_FILE) + 32];
	int rc;

	if (sysfs_read(s, AP_LOCK_FILE, buf, sizeof(buf)) < 0 || parse_pid(buf) != (long)from)
		return -ENOLCK;
	/* the lock file is replaced whole: never absent, so no one else can take it between */
	snprintf(tmp, sizeof(tmp), "%s%05dh", AP_LOCK_FILE, (int)getpid());
	snprintf(buf, sizeof(buf), "%d\n", (int)to);
	rc = sysfs_put(s, tmp, 0644, buf, strlen(buf));
	if (!rc)
		rc = sysfs_rename(s, tmp, AP_LOCK_FILE);
	if (rc)
		sysfs_remove(s, tmp);
	return rc;
}

void aplock_release(struct sysfs *s)
{
	aplock_release_for(s, getpid());
}

enum aplock_seen aplock_inspect(struct sysfs *s, pid_t *pid)
{
	int fd = sysfs_openat(s, AP_LOCK_FILE, O_RDONLY | O_NOFOLLOW, 0);
	struct stat st;
	char buf[40];
	ssize_t n = -1;

	*pid = 0;
	if (fd == -ENOENT)
		return APLOCK_NONE;
	if (fd < 0)
		return APLOCK_STALE;
	if (!fstat(fd, &st))
		n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return APLOCK_HELD;
	buf[n] = '\0';
	*pid = (pid_t)parse_pid(buf);
	return held_by(*pid, st.st_mtime) ? APLOCK_HELD : APLOCK_STALE;
}
