/* SPDX-License-Identifier: MIT */
/*
 * Waiting for the AP bus after a mask write: the kernel rebinds the queues
 * whose owner changed on its own time, after the write has returned.
 */
#ifndef APCTL_WAIT_H
#define APCTL_WAIT_H

#include <stdbool.h>

#include "apqn.h"
#include "sysfs.h"

struct waiter;

/*
 * Starts listening before the write, so that no event is missed. With live
 * (the live system, not under --root) a libudev monitor of the AP bus's
 * uevents wakes the wait; otherwise, and when no events come, the driver
 * directories are read again every 100 ms. host: the state before, whose
 * cards tell how many queues there can be.
 */
struct ap_state;
struct waiter *waiter_start(struct sysfs *s, bool live, const struct ap_state *host);

/*
 * Waits up to timeout_s until every queue of want_vfio is bound to vfio_ap and
 * every one of want_default to a default driver. 0, or -ETIMEDOUT with the
 * queues still waited for in *pending; frees w. Says how it goes on stderr
 * when that is a terminal.
 */
int waiter_finish(struct waiter *w, const struct apqnset *want_vfio,
		  const struct apqnset *want_default, unsigned timeout_s, struct apqnset *pending);

/*
 * A line on stderr, when it is a terminal, that says what is waited for and
 * how long it may still take; ms_left < 0 ends it.
 */
void wait_progress(const char *what, long ms_left);

#endif
