/* SPDX-License-Identifier: MIT */
#include "udev.h"

#include <libudev.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>

struct ap_uevents {
	struct udev *udev;
	struct udev_monitor *mon;
	int fd;
};

struct ap_uevents *ap_uevents_open(void)
{
	struct ap_uevents *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->udev = udev_new();
	if (u->udev)
		u->mon = udev_monitor_new_from_netlink(u->udev, "kernel");
	if (!u->mon || udev_monitor_filter_add_match_subsystem_devtype(u->mon, "ap", NULL) < 0 ||
	    udev_monitor_enable_receiving(u->mon) < 0 || (u->fd = udev_monitor_get_fd(u->mon)) < 0) {
		ap_uevents_close(u);
		return NULL;
	}
	return u;
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int ap_uevents_wait(struct ap_uevents *u, int timeout_ms)
{
	struct pollfd p = { .fd = u->fd, .events = POLLIN };
	long end = now_ms() + timeout_ms;
	int got = 0;

	for (;;) {
		/* once an AP event came, only what is already there is read */
		long left = got ? 0 : end - now_ms();
		struct udev_device *dev;

		if (left < 0)
			left = 0;
		if (poll(&p, 1, (int)left) <= 0 || !(p.revents & POLLIN))
			return got;
		/*
		 * NULL: a uevent of another subsystem, which the kernel sends to
		 * every monitor and libudev drops; the wait goes on to its end
		 */
		dev = udev_monitor_receive_device(u->mon);
		if (dev) {
			udev_device_unref(dev);
			got = 1;
		}
	}
}

void ap_uevents_close(struct ap_uevents *u)
{
	if (!u)
		return;
	if (u->mon)
		udev_monitor_unref(u->mon);
	if (u->udev)
		udev_unref(u->udev);
	free(u);
}
