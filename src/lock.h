/* SPDX-License-Identifier: MIT */
/*
 * The AP configuration lock that apctl shares with s390-tools (chzdev, and
 * ap-check on behalf of mdevctl): run/lock/s390apconfig.lock under the root,
 * holding the owner's PID, created atomically by link() from a temporary file
 * beside it. A lock whose PID no longer exists is stale and taken over; one
 * without a PID is stale after two minutes.
 */
#ifndef APCTL_LOCK_H
#define APCTL_LOCK_H

#include <sys/types.h>

#include "sysfs.h"

#define LOCK_DEFAULT_TIMEOUT 90

/*
 * Takes the lock, waiting up to timeout_s seconds while a live process holds
 * it. 0; -EBUSY with *holder when the wait ran out; another -errno.
 */
int aplock_take(struct sysfs *s, unsigned timeout_s, pid_t *holder);
/* Releases the lock if this process holds it. */
void aplock_release(struct sysfs *s);
/*
 * The lock taken on behalf of process owner, as a callout takes it for
 * mdevctl from its "pre" call to its "post" call: 0, taken; 1, owner holds it
 * already; else as aplock_take().
 */
int aplock_take_for(struct sysfs *s, pid_t owner, unsigned timeout_s, pid_t *holder);
/*
 * The lock that process from holds, handed to process to at once (as a
 * callout hands what a program it runs took to mdevctl): 0, -ENOLCK when
 * from does not hold it, another -errno.
 */
int aplock_hand_over(struct sysfs *s, pid_t from, pid_t to);
/* Releases the lock if owner holds it. */
void aplock_release_for(struct sysfs *s, pid_t owner);

enum aplock_seen {
	APLOCK_NONE,  /* no lock file */
	APLOCK_HELD,  /* a live process holds it (or it is being made) */
	APLOCK_STALE, /* its process is gone, or it names none and is old, or it is no file */
};
/* Who has the lock, looked at without taking or removing it; *pid, or 0 when it names none. */
enum aplock_seen aplock_inspect(struct sysfs *s, pid_t *pid);

#endif
