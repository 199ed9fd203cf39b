/* SPDX-License-Identifier: MIT */
/*
 * The AP configuration lock: a stale lock is taken over with no moment in
 * which two processes hold it, and a lock file that names no process, or a
 * symlink, does not block forever.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"
#include "paths.h"
#include "sysfs.h"
#include "tap.h"

#define ROUNDS 300
#define WRITERS 4

static char top[64];

static void sh(const char *cmd)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "cd %s && %s", top, cmd);
	if (system(buf))
		abort();
}

/* A PID that no process has: one of a child that is gone. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

/*
 * A writer: takes the lock, proves it is alone (a file only one holder may
 * create), adds one to the counter by reading and writing it, lets go.
 * Exit 0, 2 when another held the lock too, 3 when the lock was not taken.
 */
static int writer(const char *root)
{
	struct sysfs s;
	char buf[32];
	pid_t holder;
	long n = 0;
	int fd, rc = 0;

	if (sysfs_open(&s, root) || aplock_take(&s, 30, &holder))
		_exit(3);
	fd = sysfs_openat(&s, "holder", O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		rc = 2;
	else
		close(fd);
	if (sysfs_read(&s, "counter", buf, sizeof(buf)) > 0)
		n = atol(buf);
	/* give another process every chance to slip in */
	usleep(200);
	snprintf(buf, sizeof(buf), "%ld\n", n + 1);
	sysfs_put_str(&s, "counter", 0644, buf);
	if (fd >= 0)
		sysfs_remove(&s, "holder");
	aplock_release(&s);
	sysfs_close(&s);
	_exit(rc);
}

/* ROUNDS rounds of WRITERS writers, each round starting on a stale lock. */
static void race(const char *root, struct sysfs *s)
{
	int two = 0, lost = 0, untaken = 0;
	char buf[32];

	for (int r = 0; r < ROUNDS; r++) {
		pid_t pids[WRITERS];

		snprintf(buf, sizeof(buf), "%d\n", (int)dead_pid());
		sysfs_put_str(s, AP_LOCK_FILE, 0644, buf);
		for (int w = 0; w < WRITERS; w++) {
			pids[w] = fork();
			if (pids[w] == 0)
				writer(root);
		}
		for (int w = 0; w < WRITERS; w++) {
			int status;

			waitpid(pids[w], &status, 0);
			two += WIFEXITED(status) && WEXITSTATUS(status) == 2;
			untaken += !WIFEXITED(status) || WEXITSTATUS(status) == 3;
		}
	}
	if (sysfs_read(s, "counter", buf, sizeof(buf)) <= 0 || atol(buf) != ROUNDS * WRITERS)
		lost = 1;
	is_int(two, 0, "%d rounds of %d writers on a stale lock: never two holders", ROUNDS,
	       WRITERS);
	is_int(untaken, 0, "every writer took the lock");
	ok(!lost, "no update lost (%ld of %d)", atol(buf), ROUNDS * WRITERS);
	ok(!sysfs_exists(s, AP_LOCK_FILE), "the last writer let go");
}

/* The lock is taken within the time: 0 when it was. */
static int quick_take(struct sysfs *s)
{
	pid_t holder;
	int rc = aplock_take(s, 5, &holder);

	if (!rc)
		aplock_release(s);
	return rc;
}

int main(void)
{
	char root[96];
	struct sysfs s;
	pid_t holder;

	snprintf(top, sizeof(top), "/tmp/apctl-test-lock.XXXXXX");
	if (!mkdtemp(top))
		return 1;
	snprintf(root, sizeof(root), "%s/root", top);
	sh("mkdir -p root/run/lock");
	ok(sysfs_open(&s, root) == 0, "open the root");

	race(root, &s);

	/* leftovers that name no process */
	sh("ln -s nowhere root/run/lock/s390apconfig.lock");
	is_int(quick_take(&s), 0, "a dangling symlink is no lock");
	sh("ln -s ../../etc/passwd root/run/lock/s390apconfig.lock");
	is_int(quick_take(&s), 0, "nor is a symlink to a file");
	sh(": > root/run/lock/s390apconfig.lock && touch -d '1 hour ago' "
	   "root/run/lock/s390apconfig.lock");
	is_int(quick_take(&s), 0, "an old empty lock file is stale");
	sh("echo garbage > root/run/lock/s390apconfig.lock && touch -d '1 hour ago' "
	   "root/run/lock/s390apconfig.lock");
	is_int(quick_take(&s), 0, "so is an old one of garbage");
	sh("echo 0 > root/run/lock/s390apconfig.lock && touch -d '1 hour ago' "
	   "root/run/lock/s390apconfig.lock");
	is_int(quick_take(&s), 0, "and one of process 0");

	/* a live holder is waited for, and named */
	{
		char buf[32];

		snprintf(buf, sizeof(buf), "%d\n", (int)getppid());
		sysfs_put_str(&s, AP_LOCK_FILE, 0644, buf);
		is_int(aplock_take(&s, 0, &holder), -EBUSY, "a live holder keeps it");
		is_int((int)holder, (int)getppid(), "and is named");
		sysfs_remove(&s, AP_LOCK_FILE);
	}
	sysfs_close(&s);
	sh("cd / && rm -rf \"$OLDPWD\"");
	return done_testing();
}
