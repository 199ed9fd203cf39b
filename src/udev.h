/* SPDX-License-Identifier: MIT */
/*
 * Kernel uevents of the AP bus, through libudev: the only file that includes
 * libudev.h. Used on the live system only, never under --root, to learn early
 * that queues were bound after a mask write, and by apctl watch.
 */
#ifndef APCTL_UDEV_H
#define APCTL_UDEV_H

struct ap_uevents;

/* A monitor of the ap subsystem's kernel uevents, or NULL where there is none. */
struct ap_uevents *ap_uevents_open(void);
/* The same of the ap, mdev and vfio_ap subsystems: all that apctl watch follows. */
struct ap_uevents *ap_uevents_open_all(void);
/* What to poll for them; what came is then read with ap_uevents_drain(). */
int ap_uevents_fd(const struct ap_uevents *u);
void ap_uevents_drain(struct ap_uevents *u);
/* Waits up to timeout_ms for events: 1 when some came (all read), 0 on timeout. */
int ap_uevents_wait(struct ap_uevents *u, int timeout_ms);
void ap_uevents_close(struct ap_uevents *u);

#endif
