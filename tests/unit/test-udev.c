/* SPDX-License-Identifier: MIT */
/*
 * The uevent monitor of the live system: it opens where netlink is allowed,
 * and a wait without AP events ends by its timeout. (No AP bus sends events
 * here, so this checks the plumbing, not the events.)
 */
#include <time.h>

#include "tap.h"
#include "udev.h"

int main(void)
{
	struct ap_uevents *u = ap_uevents_open();
	struct timespec a, b;
	long ms;

	if (!u) {
		printf("1..0 # SKIP no kernel uevent monitor in this environment\n");
		return 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	is_int(ap_uevents_wait(u, 50), 0, "no AP events: the wait times out");
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	ok(ms >= 40, "and it waited (%ld ms)", ms);
	ap_uevents_close(u);
	ap_uevents_close(NULL);
	ok(1, "closing twice is safe");
	return done_testing();
}
