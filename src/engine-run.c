/* SPDX-License-Identifier: MIT */
/*
 * Carrying a plan out: the journal, each write through the root's store, the
 * undo of what was written when a write fails, a remove that waits for its
 * guest, and the wait for the AP bus after mask writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "errnames.h"
#include "exitcodes.h"
#include "masksyntax.h"
#include "output.h"
#include "wait.h"

#define REMOVE_POLL_MS 50

/*
 * For tests only: APCTL_TEST_KILL_AFTER_WRITE=N kills apctl right after its
 * Nth write, on an emulated kernel only (a sandbox's root, or the mount
 * that `sandbox run` puts on /sys): never on the kernel's sysfs.
 */
static long kill_after_write(struct engine *e)
{
	const char *v = getenv("APCTL_TEST_KILL_AFTER_WRITE");

	if (!v || !*v)
		return 0;
	return e->root->sandbox || !sysfs_is_kernel(&e->root->s) ? atol(v) : 0;
}

static int write_one(struct sysfs *s, const struct pwrite *w)
{
	return sysfs_write(s, w->je.w.attr, w->je.w.value, strlen(w->je.w.value));
}

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* A remove that the kernel blocks until the guest lets go, and the process that makes it. */
struct waiting {
	size_t w;
	pid_t pid;
	int rc;                   /* its answer once it returned */
	bool done;
};

/* Starts write r->w in a child: 0 or -errno. */
static int start_removal(struct engine *e, struct waiting *r)
{
	const struct pwrite *w = &e->p.w[r->w];

	fflush(NULL);
	r->pid = fork();
	if (r->pid < 0)
		return -errno;
	if (r->pid == 0) {
		/* the write may outlive apctl: it must not hold apctl's output open */
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		for (int fd = 0; null >= 0 && fd < 3; fd++)
			dup2(null, fd);
		_exit(-write_one(&e->root->s, w) & 0xff);
	}
	return 0;
}

/* Whether every removal of r has returned, each answer collected. */
static bool removals_done(struct waiting *r, size_t n)
{
	bool all = true;
	int status;

	for (size_t k = 0; k < n; k++) {
		if (!r[k].done && waitpid(r[k].pid, &status, WNOHANG) == r[k].pid) {
			r[k].done = true;
			r[k].rc = WIFEXITED(status) ? -WEXITSTATUS(status) : -EINTR;
		}
		all &= r[k].done;
	}
	return all;
}

/*
 * The removals of r, made at once and waited for up to --wait seconds
 * together. 0 when all returned (each answer in r[k].rc); -ETIMEDOUT, with
 * the mdevs still waiting in e->pending_removals. On the live system such a
 * write goes on without apctl, and the kernel removes the mdev when its guest
 * lets go; a sandbox's emulated write is stopped, and the guest letting go
 * still removes the mdev, as the kernel would.
 */
static int make_removals(struct engine *e, struct waiting *r, size_t n)
{
	unsigned wait_s = e->o.wait ? e->o.wait_s : 0;
	struct timespec start;
	char what[80];
	int status;

	for (size_t k = 0; k < n; k++) {
		r[k].rc = start_removal(e, &r[k]);
		r[k].done = r[k].rc != 0;
	}
	snprintf(what, sizeof(what), "the guest%s to let go of mdev %.8s...%s", n > 1 ? "s" : "",
		 e->p.w[r[0].w].what.uuid, n > 1 ? " and others" : "");
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		long left = (long)wait_s * 1000 - elapsed_ms(&start);

		if (removals_done(r, n)) {
			wait_progress(NULL, -1);
			return 0;
		}
		if (left <= 0)
			break;
		wait_progress(what, left);
		nanosleep(&(struct timespec){ 0, REMOVE_POLL_MS * 1000000L }, NULL);
	}
	wait_progress(NULL, -1);
	for (size_t k = 0; k < n; k++) {
		if (r[k].done)
			continue;
		strlist_addf(&e->pending_removals, "%s", e->p.w[r[k].w].what.uuid);
		if (e->root->sandbox) {
			kill(r[k].pid, SIGTERM);
			waitpid(r[k].pid, &status, 0);
		} else {
			errmsg("the write goes on in process %d; the kernel removes mdev %s "
			       "when its guest lets go", (int)r[k].pid, e->p.w[r[k].w].what.uuid);
		}
	}
	return -ETIMEDOUT;
}

/*
 * Undoes writes upto-1 .. 0 after write upto failed: 0, or -EIO when an undo
 * failed too (said; the journal then stays for the next run).
 */
static int undo_before(struct engine *e, size_t upto)
{
	int failed = 0;

	if (!upto)
		return 0;
	for (size_t j = upto; j-- > 0;)
		failed |= journal_undo(&e->root->s, &e->p.w[j].je, stderr);
	if (!failed)
		errmsg("undid the %zu write%s made before it: the AP configuration is "
			"as it was", upto, upto == 1 ? "" : "s");
	e->undo_failed |= failed != 0;
	return failed;
}

static void report_failure(struct engine *e, size_t i, int rc)
{
	const struct pwrite *w = &e->p.w[i];
	char path[PATH_MAX];
	const char *v = w->je.w.value;

	fflush(stdout);
	errmsg("writing '%.*s' to %s failed: %s (%s)%s", (int)strcspn(v, "\n"),
		v, sysfs_path(&e->root->s, w->je.w.attr, path, sizeof(path)), errno_name(-rc),
		strerror(-rc), e->o.force && w->predicted == rc ? ", as predicted" : "");
	if (rc == -EBUSY && w->what.kind == KS_MASK)
		errmsg("the kernel's log (dmesg) names each APQN and the mdev that "
			"holds it");
	if (rc == -EADDRINUSE)
		errmsg("the kernel's log (dmesg) names the APQNs and the mdev that "
			"holds them");
}

/* Records the plan (the attributes, then the files) before its first write, where there are two. */
static int journal_plan(struct engine *e)
{
	size_t n = e->p.nw + e->npf;
	struct journal j = { .pid = getpid(), .command = (char *)e->command, .n = n, .cap = n,
			     .begun = -1 };
	int rc;

	if (n < 2)
		return 0;
	j.e = malloc(n * sizeof(*j.e));
	if (!j.e)
		return -ENOMEM;
	for (size_t i = 0; i < e->p.nw; i++)
		j.e[i] = e->p.w[i].je;
	for (size_t k = 0; k < e->npf; k++)
		j.e[e->p.nw + k] = *engine_file_entry(&e->pf[k]);
	rc = journal_begin(&e->root->s, &j);
	free(j.e);
	return rc;
}

/* The files after the attributes, each in the journal; a failure takes both back. */
static int write_files(struct engine *e, bool journaled, long kill_n)
{
	struct sysfs *s = &e->root->s;
	int rc = 0;

	for (size_t k = 0; !rc && k < e->npf; k++) {
		if (journaled && (rc = journal_mark(s, e->p.nw + k)) != 0)
			errmsg("cannot write the journal %s/%s: %s", s->root, JOURNAL_FILE,
			       strerror(-rc));
		else
			rc = engine_write_file(e, k);
		if (kill_n && (long)(e->p.nw + k) + 1 == kill_n)
			raise(SIGKILL);
		if (rc) {
			/* file k too: it may be in place, its directory not flushed */
			e->undo_failed |= engine_restore_files(e, k + 1) != 0;
			undo_before(e, e->p.nw);
		}
	}
	return rc;
}

/*
 * Writes i .. i+n-1: one write, or removals that wait for their guests, made
 * at once. 0; -ETIMEDOUT when removals still wait; or the failure, said,
 * with what was written before it undone.
 */
static int write_step(struct engine *e, size_t i, size_t n, bool journaled, long kill_n)
{
	struct sysfs *s = &e->root->s;
	struct waiting *r = NULL;
	int rc = 0;

	for (size_t k = 0; journaled && !rc && k < n; k++)
		rc = journal_mark(s, i + k);
	if (rc) {
		errmsg("cannot write the journal %s/%s: %s", s->root, JOURNAL_FILE, strerror(-rc));
		undo_before(e, i);
		return rc;
	}
	if (e->p.w[i].predicted != -EINPROGRESS) {
		rc = write_one(s, &e->p.w[i]);
	} else if (!(r = calloc(n, sizeof(*r)))) {
		rc = -ENOMEM;
	} else {
		for (size_t k = 0; k < n; k++)
			r[k].w = i + k;
		rc = make_removals(e, r, n);
		for (size_t k = 0; !rc && k < n; k++)
			if (r[k].rc)
				rc = r[k].rc;
		free(r);
	}
	if (kill_n && (long)(i + n) >= kill_n)
		raise(SIGKILL);
	if (rc && rc != -ETIMEDOUT) {
		e->failed = i;
		e->answer = rc;
		report_failure(e, i, rc);
		undo_before(e, n > 1 ? i + n : i);
	}
	return rc;
}

/* The removals still waiting, said: the change stands, or what was before them is undone. */
static void say_timeout(struct engine *e, size_t i, bool tail)
{
	const struct strlist *l = &e->pending_removals;

	for (size_t k = 0; k < l->n; k++)
		errmsg("timed out after %u s waiting for the guest to let go of mdev %s",
		       e->o.wait ? e->o.wait_s : 0, l->v[k]);
	if (tail)
		return;
	errmsg("the writes after it need what it frees: they were not made, and the %zu made "
	       "before it are undone; the kernel still removes the mdev when its guest lets go", i);
	undo_before(e, i);
}

/* The writes in order; EXIT_OK, or the exit code after the message. */
static int write_all(struct engine *e)
{
	struct sysfs *s = &e->root->s;
	long kill_n = kill_after_write(e);
	bool journaled = e->p.nw + e->npf > 1, timed_out = false;
	size_t tail = e->p.nw;
	int rc = journal_plan(e);

	if (rc) {
		errmsg("cannot write the journal %s/%s: %s; nothing was written",
			s->root, JOURNAL_FILE, strerror(-rc));
		return EXIT_RUNTIME;
	}
	/* the removals that wait, at the end, are made at once */
	while (tail > 0 && e->p.w[tail - 1].predicted == -EINPROGRESS)
		tail--;
	for (size_t i = 0, n; !rc && i < e->p.nw; i += n) {
		n = i >= tail ? e->p.nw - i : 1;
		rc = write_step(e, i, n, journaled, kill_n);
		if (rc == -ETIMEDOUT) {
			say_timeout(e, i, i >= tail);
			timed_out = true;
			rc = i >= tail ? 0 : rc;
		}
	}
	if (!rc)
		rc = write_files(e, journaled, kill_n);
	if (journaled && e->undo_failed)
		errmsg("the journal %s/%s stays: the next change undoes what is left, once the "
		       "cause is mended", s->root, JOURNAL_FILE);
	else if (journaled)
		journal_end(s);
	e->written = !rc;
	return timed_out ? EXIT_TIMEOUT : rc ? EXIT_RUNTIME : EXIT_OK;
}

/* Reads the masks back and warns where they differ from what was written. */
static void verify_masks(struct engine *e)
{
	static const char *const names[] = { "apmask", "aqmask" };
	const struct idset *want[] = { &e->p.apmask, &e->p.aqmask };

	for (int i = 0; i < 2; i++) {
		char rel[32], buf[128] = "", hex[IDSET_HEX_LEN];
		struct idset got;
		ssize_t n;

		snprintf(rel, sizeof(rel), "sys/bus/ap/%s", names[i]);
		n = sysfs_read(&e->root->s, rel, buf, sizeof(buf));
		if (n < 0) {
			errmsg("warning: %s cannot be read after the write: %s", names[i],
			       strerror((int)-n));
			continue;
		}
		buf[(size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1] = '\0';
		if (!kernel_hex2bitmap(buf, &got) && idset_equal(&got, want[i]))
			continue;
		idset_to_hex(want[i], hex);
		errmsg("warning: %s reads '%.*s' after the write, not %s: did another "
			"tool change it meanwhile?", names[i], (int)strcspn(buf, "\n"), buf, hex);
	}
}

/* The queues whose driver the writes change: what the AP bus is waited for. */
static void expected_bindings(const struct engine *e, struct apqnset *vfio, struct apqnset *dflt)
{
	const struct ap_state *st = e->st, *sim = e->p.sim;

	apqnset_clear(vfio);
	apqnset_clear(dflt);
	for (unsigned a = 0; a < IDSET_BITS; a++) {
		idset_foreach(d, &st->queues.dom[a]) {
			enum queue_driver now = state_queue_driver(st, a, (unsigned)d);
			enum queue_driver then = state_queue_driver(sim, a, (unsigned)d);

			if (now == then)
				continue;
			if (then == QDRV_VFIO)
				apqnset_add(vfio, a, (unsigned)d);
			else if (then == QDRV_DEFAULT)
				apqnset_add(dflt, a, (unsigned)d);
		}
	}
}

static bool has_mask_writes(const struct engine *e)
{
	for (size_t i = 0; i < e->p.nw; i++)
		if (e->p.w[i].what.kind == KS_MASK)
			return true;
	return false;
}

/* After mask writes: until the AP bus has bound what moved (or one look with --no-wait). */
static int wait_bus(struct engine *e, struct waiter *w, struct apqnset *want)
{
	int rc;

	expected_bindings(e, &want[0], &want[1]);
	rc = waiter_finish(w, &want[0], &want[1], e->o.wait ? e->o.wait_s : 0, e->pending);
	if (rc && rc != -ETIMEDOUT) {
		errmsg("cannot read which queues the AP bus has bound: %s; the change is made, and "
		       "whether the bus has bound its queues is not known", strerror(-rc));
		return EXIT_RUNTIME;
	}
	if (!rc || !e->o.wait)
		return EXIT_OK;
	errmsg("timed out after %u s waiting for the AP bus to bind these queues:", e->o.wait_s);
	fputs("  ", stderr);
	text_apqnset(stderr, e->pending, "  ");
	return EXIT_TIMEOUT;
}

/*
 * What the kernel shows after the change, for the verdict: all of it after
 * mask writes (of a change read as far as it reaches, that far: it changed
 * nothing beyond); else the mdevs, which alone changed. NULL when it cannot be
 * read.
 */
static struct ap_state *read_after(struct engine *e, bool masks)
{
	struct ap_state *after = NULL;
	struct diag d;

	if (masks && !e->st->scope)
		return root_state(e->root, STATE_GUESTS, &after, &d) ? NULL : after;
	after = state_dup(e->st);
	if (after && root_reread(e->root, after, !masks)) {
		state_free(after);
		after = NULL;
	}
	return after;
}

int engine_run(struct engine *e)
{
	bool masks = has_mask_writes(e);
	struct waiter *w = NULL;
	struct apqnset *want = NULL;
	int rc;

	e->pending = calloc(1, sizeof(*e->pending));
	want = masks ? calloc(2, sizeof(*want)) : NULL;
	if (!e->pending || (masks && !want)) {
		free(want);
		return EXIT_RUNTIME;
	}
	/* listening starts before the writes, so that no event is missed */
	if (masks)
		w = waiter_start(&e->root->s, e->o.wait && e->root->live, e->st);
	rc = write_all(e);
	if (e->written && masks)
		verify_masks(e);
	if (w)
		rc = e->written ? wait_bus(e, w, want) :
				  (waiter_finish(w, e->pending, e->pending, 0, e->pending), rc);
	free(want);
	if (e->written)
		e->after = read_after(e, masks);
	return rc;
}
