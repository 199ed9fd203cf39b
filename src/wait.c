/* SPDX-License-Identifier: MIT */
#include "wait.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "state.h"
#include "udev.h"

#define POLL_MS 100

struct waiter {
	struct sysfs *s;
	struct ap_uevents *events; /* NULL: polling only */
	struct ap_state *st;       /* only its bindings are used */
};

struct waiter *waiter_start(struct sysfs *s, bool live, const struct ap_state *host)
{
	struct waiter *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->s = s;
	w->st = calloc(1, sizeof(*w->st));
	if (!w->st) {
		free(w);
		return NULL;
	}
	/* how many queues there can be decides how the bindings are best read */
	w->st->cards = host->cards;
	w->st->max_domain = host->max_domain;
	if (live)
		w->events = ap_uevents_open();
	return w;
}

/* The queues not yet bound as wanted, in *pending: 0 when there are none. */
static int check(struct waiter *w, const struct apqnset *want_vfio,
		 const struct apqnset *want_default, struct apqnset *pending)
{
	struct apqnset *want = malloc(sizeof(*want));
	int rc = want ? 0 : -ENOMEM;

	for (unsigned a = 0; want && a < IDSET_BITS; a++)
		want->dom[a] = idset_or(&want_vfio->dom[a], &want_default->dom[a]);
	if (want)
		rc = state_read_bindings_of(w->s, w->st, want);
	free(want);
	if (rc)
		return rc;
	apqnset_clear(pending);
	for (unsigned a = 0; a < IDSET_BITS; a++) {
		idset_foreach(d, &want_vfio->dom[a])
			if (state_queue_driver(w->st, a, (unsigned)d) != QDRV_VFIO)
				apqnset_add(pending, a, (unsigned)d);
		idset_foreach(d, &want_default->dom[a])
			if (state_queue_driver(w->st, a, (unsigned)d) != QDRV_DEFAULT)
				apqnset_add(pending, a, (unsigned)d);
	}
	return apqnset_empty(pending) ? 0 : -EAGAIN;
}

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

void wait_progress(const char *what, long ms_left)
{
	static int shown;

	if (!isatty(STDERR_FILENO))
		return;
	if (ms_left < 0) {
		if (shown)
			fputs("\r\033[K", stderr);
		shown = 0;
		return;
	}
	fprintf(stderr, "\r\033[Kapctl: waiting for %s: %ld s left", what,
		(ms_left + 999) / 1000);
	shown = 1;
}

int waiter_finish(struct waiter *w, const struct apqnset *want_vfio,
		  const struct apqnset *want_default, unsigned timeout_s, struct apqnset *pending)
{
	struct timespec start;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while ((rc = check(w, want_vfio, want_default, pending)) == -EAGAIN) {
		long left = (long)timeout_s * 1000 - elapsed_ms(&start);

		if (left <= 0) {
			rc = -ETIMEDOUT;
			break;
		}
		{
			char what[64];

			snprintf(what, sizeof(what), "the AP bus to bind %u queue%s",
				 apqnset_count(pending), apqnset_count(pending) == 1 ? "" : "s");
			wait_progress(what, left);
		}
		if (left > POLL_MS)
			left = POLL_MS;
		if (!w->events || !ap_uevents_wait(w->events, (int)left))
			nanosleep(&(struct timespec){ 0, w->events ? 0 : left * 1000000L }, NULL);
	}
	wait_progress(NULL, -1);
	ap_uevents_close(w->events);
	free(w->st);
	free(w);
	return rc;
}
