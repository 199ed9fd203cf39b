/* SPDX-License-Identifier: MIT */
#include "lock.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "paths.h"

/* A lock file still without a PID after this long is left over, not new. */
#define LOCK_PID_GRACE 120
#define LOCK_POLL_MS 30

/* The PID in the lock file, 0 if none is written yet, -errno if it cannot be read. */
static long lock_owner(struct sysfs *s)
{
	char buf[40];
	ssize_t n = sysfs_read(s, AP_LOCK_FILE, buf, sizeof(buf));

	return n < 0 ? n : atol(buf);
}

/* Whether the lock at AP_LOCK_FILE is stale; then it is removed. */
static bool clear_stale(struct sysfs *s, pid_t *holder)
{
	long pid = lock_owner(s);
	struct stat st;

	if (pid == -ENOENT)
		return true;
	if (pid > 0) {
		*holder = (pid_t)pid;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			return false;
	} else if (sysfs_stat(s, AP_LOCK_FILE, &st) == 0 &&
		   time(NULL) <= st.st_mtime + LOCK_PID_GRACE) {
		/* being written right now */
		return false;
	}
	sysfs_remove(s, AP_LOCK_FILE);
	return true;
}

int aplock_take(struct sysfs *s, unsigned timeout_s, pid_t *holder)
{
	char tmp[sizeof(AP_LOCK_FILE) + 16], pid[24];
	struct timespec start, now;
	int rc;

	*holder = 0;
	rc = sysfs_mkdirs(s, LOCK_DIR, 0755);
	if (rc)
		return rc;
	snprintf(tmp, sizeof(tmp), "%s%05d%02x", AP_LOCK_FILE, (int)getpid(),
		 (unsigned)time(NULL) & 255);
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	rc = sysfs_put(s, tmp, 0644, pid, strlen(pid));
	if (rc)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (unsigned stale = 0;;) {
		rc = sysfs_link(s, tmp, AP_LOCK_FILE);
		if (rc != -EEXIST)
			break;
		/* a stale lock is taken over at once, unless it will not go away */
		if (clear_stale(s, holder) && ++stale < 100)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >=
		    (long)timeout_s * 1000) {
			rc = -EBUSY;
			break;
		}
		nanosleep(&(struct timespec){ 0, LOCK_POLL_MS * 1000000L }, NULL);
	}
	sysfs_remove(s, tmp);
	return rc;
}

void aplock_release(struct sysfs *s)
{
	if (lock_owner(s) == (long)getpid())
		sysfs_remove(s, AP_LOCK_FILE);
}
