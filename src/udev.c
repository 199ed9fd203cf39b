/* SPDX-License-Identifier: MIT */
#include "udev.h"

#include <libudev.h>
#include <poll.h>
#include <stdlib.h>

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

int ap_uevents_wait(struct ap_uevents *u, int timeout_ms)
{
	struct pollfd p = { .fd = u->fd, .events = POLLIN };
	int got = 0;

	while (poll(&p, 1, got ? 0 : timeout_ms) > 0 && (p.revents & POLLIN)) {
		struct udev_device *dev = udev_monitor_receive_device(u->mon);

		if (!dev)
			break;
		udev_device_unref(dev);
		got = 1;
	}
	return got;
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
