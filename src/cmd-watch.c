/* SPDX-License-Identifier: MIT */
/*
 * apctl watch: one line per change of the AP configuration as it happens,
 * with the guests that gain or lose APQNs by it. A sandbox's emulated kernel
 * records what each of its stores changes, and watch follows that record; on
 * a live system, a kernel uevent of the AP bus, an mdev or vfio_ap (or the
 * interval, for what sends none) makes watch read the configuration again
 * and say what differs.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apctl.h"
#include "output.h"
#include "sandbox/sandbox.h"
#include "report-changes.h"
#include "udev.h"

#define DEFAULT_INTERVAL_S 2
/* after a uevent, the others of the same change come within this */
#define SETTLE_MS 50

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

struct watch {
	const struct ctx *ctx;
	sigset_t unblocked;      /* the mask to wait with: SIGINT and SIGTERM come only then */
	unsigned long long seq;  /* of the reads that found changes */
};

/* One change as JSON: a line of JSON, or its time and text. */
static void print_change(const struct watch *w, struct json_object *o)
{
	struct json_object *t = NULL, *text = NULL;

	if (w->ctx->json) {
		json_print_line(stdout, o);
		return;
	}
	if (json_object_object_get_ex(o, "time_ms", &t) &&
	    json_object_object_get_ex(o, "text", &text)) {
		time_t secs = (time_t)(json_object_get_int64(t) / 1000);
		struct tm tm;
		char when[16] = "";

		if (localtime_r(&secs, &tm))
			strftime(when, sizeof(when), "%H:%M:%S", &tm);
		printf("%s %s\n", when, json_object_get_string(text));
	}
	json_object_put(o);
}

/* A line of the sandbox's events. */
static void print_line(const char *line, void *ctx)
{
	struct json_object *o = json_tokener_parse(line);

	if (o)
		print_change(ctx, o);
}

static int wait_for(struct watch *w, int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };
	int n = ppoll(&p, fd >= 0, timeout_ms >= 0 ? &ts : NULL, &w->unblocked);

	/* a signal: 0, and stopping says which */
	return n >= 0 ? n : errno == EINTR ? 0 : -errno;
}

static int watch_sandbox(struct watch *w, struct root *r)
{
	struct sandbox_events *ev;
	int rc = sandbox_events_open(&r->s, &ev);

	if (rc) {
		errmsg("%s: cannot follow the events of sandbox %s: %s", w->ctx->path,
		       w->ctx->root.path, strerror(-rc));
		return EXIT_RUNTIME;
	}
	while (!stopping && !rc) {
		rc = wait_for(w, sandbox_events_fd(ev), -1);
		if (rc >= 0)
			rc = sandbox_events_read(ev, print_line, w);
		if (fflush(stdout))
			rc = -EIO;
	}
	sandbox_events_close(ev);
	return rc < 0 ? finish_output(EXIT_RUNTIME) : finish_output(EXIT_OK);
}

/* The changes from *old to a new read, printed; *old becomes the new read. */
static int read_again(struct watch *w, struct root *r, struct ap_state **old)
{
	struct ap_state *now = NULL;
	struct changes ch;
	struct diag d = { "" };
	struct timespec ts;
	int rc = root_state(r, STATE_GUESTS | STATE_OVERRIDES, &now, &d);

	if (rc) {
		errmsg("%s: %s", w->ctx->path, d.msg);
		return rc;
	}
	rc = state_diff(*old, now, &ch);
	clock_gettime(CLOCK_REALTIME, &ts);
	if (!rc && ch.n)
		w->seq++;
	for (size_t i = 0; !rc && i < ch.n; i++)
		print_change(w, change_json(&ch.v[i], w->seq, (long long)ts.tv_sec * 1000 +
							      ts.tv_nsec / 1000000));
	changes_free(&ch);
	state_free(*old);
	*old = now;
	return fflush(stdout) ? -EIO : rc;
}

static int watch_reads(struct watch *w, struct root *r, unsigned interval_s)
{
	struct ap_uevents *u = r->live ? ap_uevents_open_all() : NULL;
	struct ap_state *st = NULL;
	struct diag d = { "" };
	int rc = root_state(r, STATE_GUESTS | STATE_OVERRIDES, &st, &d);

	if (rc) {
		errmsg("%s", d.msg);
		ap_uevents_close(u);
		return rc == -ENOENT ? EXIT_NOTFOUND : EXIT_RUNTIME;
	}
	while (!stopping && rc >= 0) {
		rc = wait_for(w, u ? ap_uevents_fd(u) : -1,
			      interval_s ? (int)interval_s * 1000 : -1);
		if (rc > 0 && u) {
			wait_for(w, -1, SETTLE_MS);
			ap_uevents_drain(u);
		}
		if (rc >= 0 && !stopping)
			rc = read_again(w, r, &st);
	}
	state_free(st);
	ap_uevents_close(u);
	return rc < 0 ? finish_output(EXIT_RUNTIME) : finish_output(EXIT_OK);
}

static int run_watch(struct ctx *ctx)
{
	struct watch w = { .ctx = ctx };
	struct sigaction sa = { .sa_handler = on_signal };
	unsigned interval = DEFAULT_INTERVAL_S;
	sigset_t block;
	struct root r;
	int rc = args_number(ctx, O_INTERVAL, 3600, "--interval", &interval);

	if (rc)
		return rc;
	rc = open_root(ctx, &r);
	if (rc)
		return rc;
	/* SIGINT and SIGTERM end the wait, never a write half done */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &w.unblocked);
	sigdelset(&w.unblocked, SIGINT);
	sigdelset(&w.unblocked, SIGTERM);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "apctl: watching the AP configuration of %s; Ctrl-C ends\n",
			ctx->root.path);
	rc = r.sandbox ? watch_sandbox(&w, &r) : watch_reads(&w, &r, interval);
	root_close(&r);
	return rc;
}

static const struct verb_opt watch_opts[] = {
	{ O_INTERVAL, NULL }, ROOT_VERB_OPTS, { O_COUNT, NULL },
};

const struct verb watch_verb = {
	.name = "watch",
	.summary = "one line per change of the AP configuration, as it happens",
	.text = "Follow the AP bus and vfio_ap and print one line per change as it happens:\n"
		"cards and queues appearing and going, on- or offline, configured on or off,\n"
		"checkstopped; bindings; masks; the host's AP configuration; mdevs created,\n"
		"removed, assigned, unassigned, attached; and after each change, the guests\n"
		"that gain or lose APQNs by it. In a sandbox, every store of its emulated\n"
		"kernel is followed; on a live system, the kernel's uevents and, for what\n"
		"sends none (masks, assignments), a read every --interval seconds. --json\n"
		"gives JSON lines. SIGINT or SIGTERM ends it (exit 0).",
	.opts = watch_opts,
	.run = run_watch,
};
