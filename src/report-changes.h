/* SPDX-License-Identifier: MIT */
/*
 * What changed from one AP state to the next, as events: cards and queues
 * appearing and going, on- or offline, configured on or off, checkstopped;
 * bindings; masks; the host configuration; mdevs created, removed, assigned,
 * unassigned, attached and detached; and after them, which guests gained or
 * lost which APQNs. apctl watch prints them; the sandbox's emulated kernel
 * records them for every store it makes.
 */
#ifndef APCTL_REPORT_CHANGES_H
#define APCTL_REPORT_CHANGES_H

#include <json-c/json.h>
#include <stddef.h>

#include "state.h"

#define CHANGE_OBJECT_MAX 64

struct change {
	const char *event;              /* "card_config", "mdev_created", "guest_gains", ... */
	const char *kind;               /* "card", "apqn", "mask", "host", "bus", "mdev" */
	char object[CHANGE_OBJECT_MAX]; /* "05", "apmask", a UUID, or "" */
	char *text;                     /* the line, without time */
	struct apqnset *apqns;          /* the APQNs it is about, or NULL */
	char guest[64];                 /* guest_*: the guest's name, or "" */
};

struct changes {
	struct change *v;
	size_t n, cap;
	int err;                        /* -ENOMEM once something was lost */
};

/* The changes from old to now, in the order above. 0 or -ENOMEM. */
int state_diff(const struct ap_state *old, const struct ap_state *now, struct changes *out);
void changes_free(struct changes *c);

/*
 * One change as an object: seq (the store or read it came with), time (ms
 * since the epoch), event, kind, object, text, guest, apqns. NULL when out of
 * memory.
 */
struct json_object *change_json(const struct change *c, unsigned long long seq, long long time_ms);

#endif
