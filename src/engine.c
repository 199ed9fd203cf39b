/* SPDX-License-Identifier: MIT */
/* The change engine's frame: opening a change, the operations, the plan's order. */
#include "engine.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "grow.h"
#include "kmodel.h"
#include "lock.h"
#include "output.h"
#include "paths.h"

static int take_lock(struct engine *e)
{
	struct sysfs *s = &e->root->s;
	char path[PATH_MAX];
	pid_t holder;
	int rc = aplock_take(s, e->o.lock_timeout_s, &holder);

	sysfs_path(s, AP_LOCK_FILE, path, sizeof(path));
	if (rc == -EBUSY && holder > 0) {
		errmsg("%s: the AP configuration lock %s is held by process %d, still after %u s; "
		    "another tool (chzdev, mdevctl, apctl) is changing the AP configuration: try "
		    "again, or wait longer with --lock-timeout", e->command, path, (int)holder,
		    e->o.lock_timeout_s);
	} else if (rc == -EBUSY) {
		errmsg("%s: the AP configuration lock %s is held, still after %u s, and names no "
		    "process; if no tool is changing the AP configuration, remove it", e->command,
		    path, e->o.lock_timeout_s);
	} else if (rc == -EISDIR) {
		errmsg("%s: cannot take the AP configuration lock: %s is not a lock file but a "
		       "directory or another file; remove it if no tool of yours made it",
		       e->command, path);
	} else if (rc) {
		errmsg("%s: cannot take the AP configuration lock %s: %s", e->command, path,
		    strerror(-rc));
	}
	e->locked = !rc;
	return rc ? EXIT_RUNTIME : EXIT_OK;
}

/*
 * With the lock: the temporaries of killed changes in the directories changes
 * write. Before the journal is recovered, since a directory that the change
 * made is taken away only when nothing is left in it.
 */
static void clean_temps(struct sysfs *s)
{
	static const char *const dirs[] = { JOURNAL_DIR, UDEV_RULES_DIR, RUN_UDEV_RULES_DIR,
					    MATRIX_DEFS_DIR, NAMES_DIR };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		sysfs_clean_temps(s, dirs[i]);
}

int engine_begin(struct engine *e, struct root *r, const char *command,
		 const struct change_opts *o, unsigned state_flags)
{
	struct diag d = { "" };
	int rc;

	memset(e, 0, sizeof(*e));
	e->root = r;
	e->command = command;
	e->o = *o;
	if (!o->dry_run) {
		rc = take_lock(e);
		if (rc)
			return rc;
		clean_temps(&r->s);
		/* a change a killed apctl left half made is undone first, or nothing is done */
		if (journal_recover(&r->s, stderr))
			return EXIT_RUNTIME;
	}
	rc = root_state(r, state_flags | STATE_GUESTS, &e->st, &d);
	if (rc) {
		errmsg("%s", d.msg);
		return rc == -ENOENT ? EXIT_NOTFOUND : EXIT_RUNTIME;
	}
	return engine_load_persist(e);
}

int engine_recover(struct root *r, const char *command, const struct change_opts *o, FILE *msg)
{
	struct engine e = { .root = r, .command = command, .o = *o };
	int rc = take_lock(&e);

	if (rc)
		return rc;
	clean_temps(&r->s);
	rc = journal_recover(&r->s, msg) ? EXIT_RUNTIME : EXIT_OK;
	aplock_release(&r->s);
	return rc;
}

static void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->nw; i++) {
		struct journal_entry *je = &p->w[i].je;

		free(je->w.attr);
		free(je->w.value);
		for (size_t u = 0; u < je->nundo; u++) {
			free(je->undo[u].attr);
			free(je->undo[u].value);
		}
		free(je->undo);
	}
	free(p->w);
	free(p->c);
	free(p->fixes);
	strlist_free(&p->notes);
	strlist_free(&p->warnings);
	strlist_free(&p->boot_conflicts);
	strlist_free(&p->host_differs);
	free(p->to_vfio);
	free(p->to_host);
	for (size_t i = 0; p->guest_lost && i < p->nguest_lost; i++)
		free(p->guest_lost[i]);
	free(p->guest_lost);
	state_free(p->sim);
	memset(p, 0, sizeof(*p));
}

void engine_end(struct engine *e)
{
	plan_free(&e->p);
	engine_free_files(e);
	engine_free_persist(e);
	state_free(e->st);
	state_free(e->after);
	free(e->pending);
	strlist_free(&e->pending_removals);
	strlist_free(&e->given_notes);
	strlist_free(&e->host_differs);
	free(e->ops);
	if (e->locked)
		aplock_release(&e->root->s);
	e->st = e->after = NULL;
	e->ops = NULL;
	e->pending = NULL;
	e->locked = false;
}

int engine_add(struct engine *e, const struct change_op *op)
{
	struct change_op *more = grow(e->ops, &e->capops, e->nops, sizeof(*more));

	if (!more)
		return -ENOMEM;
	e->ops = more;
	e->ops[e->nops] = *op;
	e->ops[e->nops].seq = e->nops;
	if (op->scope == SCOPE_DEFAULT)
		e->ops[e->nops].scope = e->o.scope;
	e->nops++;
	return 0;
}

/* Whether removing mdev uuid waits for its guest. */
static bool waits(const struct ap_state *st, const char *uuid)
{
	int i = state_find_mdev(st, uuid);

	return i >= 0 && st->mdevs[i].in_use == 1;
}

/*
 * Free before take: what leaves mdevs first (removals, unassignments), then
 * mask edits that only give APQNs to vfio_ap (the kernel never refuses those),
 * then those that give APQNs back to the host, then what takes APQNs for
 * mdevs. Removals that wait for a guest come last of all, or, when writes
 * need what they free, last of the removals.
 */
static int phase(const struct engine *e, const struct change_op *op)
{
	const struct ap_state *st = e->st;

	switch (op->kind) {
	case OP_REMOVE:
		return !waits(st, op->uuid) ? 0 : e->removals_early ? 1 : 6;
	case OP_UNASSIGN:
		return 2;
	case OP_MASK: {
		struct idset set = idset_minus(&op->mask, op->is_apmask ? &st->apmask : &st->aqmask);

		return idset_empty(&set) ? 3 : 4;
	}
	default:
		return 5;
	}
}

static int by_phase(const void *x, const void *y, void *arg)
{
	const struct change_op *a = x, *b = y;
	int pa = phase(arg, a), pb = phase(arg, b);

	/* the same phase keeps the order given */
	return pa != pb ? pa - pb : (a->seq < b->seq ? -1 : a->seq > b->seq);
}

/* Whether a write is refused for what a removal that waits for a guest would free. */
static bool needs_removal(const struct engine *e)
{
	for (size_t c = 0; c < e->p.nc; c++)
		for (size_t i = 0; *e->p.c[c].holder && i < e->nops; i++)
			if (e->ops[i].kind == OP_REMOVE && e->ops[i].scope != SCOPE_PERSISTENT &&
			    !strcmp(e->ops[i].uuid, e->p.c[c].holder) && waits(e->st, e->ops[i].uuid))
				return true;
	return false;
}

static int conflict_order(const void *x, const void *y)
{
	const struct conflict *a = x, *b = y;

	if (a->w != b->w)
		return a->w < b->w ? -1 : 1;
	return apqn_cmp(a->a, a->d, b->a, b->d);
}

int engine_plan(struct engine *e)
{
	struct plan *p = &e->p;
	int rc = 0;

	plan_free(p);
	rc = engine_fill(e, false);
	if (rc)
		return rc;
	if (e->nops)
		qsort_r(e->ops, e->nops, sizeof(*e->ops), by_phase, e);
	p->sim = state_dup(e->st);
	if (!p->sim)
		return -ENOMEM;
	/* rebinding a sandbox's AP bus has not made yet is planned on as made */
	kmodel_rebind(p->sim);
	p->apmask = e->st->apmask;
	p->aqmask = e->st->aqmask;
	for (size_t i = 0; i < e->nops; i++)
		if (e->ops[i].kind == OP_MASK)
			*(e->ops[i].is_apmask ? &p->apmask : &p->aqmask) = e->ops[i].mask;
	for (size_t i = 0; !rc && i < e->nops; i++)
		rc = plan_op(e, i);
	if (rc)
		return rc;
	plan_notes(e);
	for (size_t i = 0; i < e->host_differs.n; i++)
		strlist_addf(&p->host_differs, "%s", e->host_differs.v[i]);
	p->refused |= e->host_differs.n > 0;
	rc = plan_persist(e);
	if (rc)
		return rc;
	if (p->nc)
		qsort(p->c, p->nc, sizeof(*p->c), conflict_order);
	plan_fixes(e);
	/* a refusal's conflicts, fixes and notes may reach beyond the change */
	if (e->st->scope && (p->refused || p->nc)) {
		rc = engine_fill(e, true);
		return rc ? rc : engine_plan(e);
	}
	if (!e->removals_early && needs_removal(e)) {
		e->removals_early = true;
		return engine_plan(e);
	}
	return 0;
}

const struct ap_mdev *engine_mdev(const struct engine *e, const char *uuid)
{
	const struct ap_state *st = e->after ? e->after : e->p.sim;
	int i = st ? state_find_mdev(st, uuid) : -1;

	return i >= 0 ? &st->mdevs[i] : NULL;
}

const char *engine_fix(const struct engine *e, char *buf, size_t size, const char *fmt, ...)
{
	int n = snprintf(buf, size, "%s ", e->root->prefix);
	va_list ap;

	if (n < 0 || (size_t)n >= size)
		return buf;
	va_start(ap, fmt);
	vsnprintf(buf + n, size - (size_t)n, fmt, ap);
	va_end(ap);
	return buf;
}
