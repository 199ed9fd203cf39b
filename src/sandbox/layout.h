/* SPDX-License-Identifier: MIT */
/* The files of a sandbox beside its sys/ tree: the lowest floor of the sandbox. */
#ifndef APCTL_SANDBOX_LAYOUT_H
#define APCTL_SANDBOX_LAYOUT_H

/* The file at the top of a sandbox that says what it is. */
#define SANDBOX_MARKER "apctl-sandbox"
/* What the emulated kernel keeps in memory and sysfs does not show. */
#define SANDBOX_DIR "apctl-sandbox.d"
#define SANDBOX_MDEVS SANDBOX_DIR "/mdevs"
#define SANDBOX_OVERRIDES SANDBOX_DIR "/overrides"
#define SANDBOX_OFFLINE SANDBOX_DIR "/offline"
/* The master key patterns of queues copied from a real host, one file each */
#define SANDBOX_MKVPS SANDBOX_DIR "/mkvps"
/* The rebinding the AP bus has still to make, with a rebind delay */
#define SANDBOX_REBIND SANDBOX_DIR "/rebind"
/*
 * The emulated kernel's memory (memory.h), and the state a store makes,
 * beside it until the tree shows it
 */
#define SANDBOX_MEMORY SANDBOX_DIR "/memory"
#define SANDBOX_MEMORY_NEXT SANDBOX_DIR "/memory.next"
/* What a queue's driver shows, set aside while another has the queue (tree-links.c) */
#define SANDBOX_PARKED SANDBOX_DIR "/parked"
#define SANDBOX_FAULTS SANDBOX_DIR "/faults"
#define SANDBOX_LOG SANDBOX_DIR "/kernel.log"
/*
 * What each store changed, as JSON lines (report-changes.h), for apctl watch; the
 * older ones in events.old once it grows past SANDBOX_EVENTS_MAX bytes
 */
#define SANDBOX_EVENTS SANDBOX_DIR "/events"
#define SANDBOX_EVENTS_OLD SANDBOX_DIR "/events.old"
#define SANDBOX_EVENTS_MAX (1 << 20)
/* The sockets of the mounts that keep names and attributes (notify.c), one per mount */
#define SANDBOX_MOUNTS SANDBOX_DIR "/mounts"
/* The emulated kernel's own lock: one store or event at a time */
#define SANDBOX_KERNEL_LOCK SANDBOX_DIR "/kernel.lock"

#endif
