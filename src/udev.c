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

static struct ap_uevents *open_for(const char *const *subsystems)
{
	struct ap_uevents *u = calloc(1, sizeof(*u));
	int rc = 0;

	if (!u)
		return NULL;
	u->udev = udev_new();
	if (u->udev)
		u->mon = udev_monitor_new_from_netlink(u->udev, "kernel");
	for (const char *const *p = subsystems; u->mon && !rc && *p; p++)
		rc = udev_monitor_filter_add_match_subsystem_devtype(u->mon, *p, NULL);
	if (!u->mon || rc < 0 || udev_monitor_enable_receiving(u->mon) < 0 ||
	    (u->fd = udev_monitor_get_fd(u->mon)) < 0) {
		ap_uevents_close(u);
		return NULL;
	}
	return u;
}

struct ap_uevents *ap_uevents_open(void)
{
	static const char *const ap[] = { "ap", NULL };

	return open_for(ap);
}

struct ap_uevents *ap_uevents_open_all(void)
{
	/* the AP bus's cards and queues, the mdevs, vfio_ap's matrix device */
	static const char *const all[] = { "ap", "mdev", "vfio_ap", NULL };

	return open_for(all);
}

int ap_uevents_fd(const struct ap_uevents *u)
{
	return u->fd;
}

void ap_uevents_drain(struct ap_uevents *u)
{
	struct pollfd p = { .fd = u->fd, .events = POLLIN };

	while (poll(&p, 1, 0) > 0 && (p.revents & POLLIN)) {
		struct udev_device *dev = udev_monitor_receive_device(u->mon);

		if (dev)
			udev_device_unref(dev);
	}
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
