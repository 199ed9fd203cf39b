/* SPDX-License-Identifier: MIT */
/*
 * The fixes of a refused plan: for each group of conflicts with one cause,
 * one command that removes the cause for all of them, as it can be pasted.
 * Run as printed, a fix makes the refused change go through, or leads to
 * another, named refusal: it covers every APQN that shares it, works on
 * whole adapters or domains rather than on single APQNs, and says what else
 * it does where that matters (the host's default domain).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "engine.h"
#include "grow.h"
#include "masksyntax.h"
#include "output.h"

int plan_add_fix(struct engine *e, const char *note, const char *fmt, ...)
{
	struct plan *p = &e->p;
	struct fix *more, f = { 0 };
	char cmd[sizeof(f.cmd) - PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	engine_fix(e, f.cmd, sizeof(f.cmd), "%s", cmd);
	snprintf(f.note, sizeof(f.note), "%s", note ? note : "");
	for (size_t i = 0; i < p->nfixes; i++)
		if (!strcmp(p->fixes[i].cmd, f.cmd))
			return (int)i;
	more = grow(p->fixes, &p->capfixes, p->nfixes, sizeof(*more));
	if (!more)
		return -1;
	p->fixes = more;
	p->fixes[p->nfixes] = f;
	return (int)p->nfixes++;
}

void fix_default_domain_note(const struct ap_state *st, const struct idset *adapters,
			     const struct idset *domains, char *buf, size_t size)
{
	char d[ID_STR_MAX], list[IDLIST_MAX];
	struct idset hit;

	buf[0] = '\0';
	if (st->ap_domain < 0)
		return;
	id_format((unsigned)st->ap_domain, d);
	if (domains && idset_has(domains, (unsigned)st->ap_domain)) {
		snprintf(buf, size, "it takes the AP bus's default domain %s (ap_domain) from the "
			 "host's default drivers on every adapter", d);
		return;
	}
	hit = adapters ? idset_and(adapters, &st->cards) : (struct idset){ { 0 } };
	if (!idset_empty(&hit))
		snprintf(buf, size, "it takes the AP bus's default domain %s (ap_domain) from the "
			 "host's default drivers on adapter%s %s", d, idset_count(&hit) == 1 ? "" : "s",
			 text_ids(&hit, "", list, sizeof(list)));
}

/* Whether the change refused assigns domains alone: then its fixes work on domains. */
static bool by_domain(const struct engine *e, const struct conflict *c)
{
	const struct change_op *o = &e->ops[e->p.w[c->w].op];

	return o->kind == OP_ASSIGN && idset_empty(&o->ids.apm) && !idset_empty(&o->ids.aqm);
}

/* Whether the refused write assigns a domain. */
static bool assigns_domains(const struct engine *e, const struct conflict *c)
{
	const struct pwrite *w = &e->p.w[c->w];

	return w->what.kind != KS_ASSIGN || w->what.akind != ASSIGN_ADAPTER;
}

/* A mask write that would take what an mdev holds: its IDs unassigned, or the mdev removed. */
static int holder_fix(struct engine *e, const struct conflict *c)
{
	const struct pwrite *w = &e->p.w[c->w];
	int i = state_find_mdev(e->st, c->holder);
	struct idset ids = { { 0 } };
	char list[IDLIST_MAX];

	for (size_t k = 0; k < e->p.nc; k++) {
		const struct conflict *g = &e->p.c[k];

		if (g->w == c->w && g->has_apqn && !strcmp(g->holder, c->holder))
			idset_add(&ids, w->what.is_apmask ? g->a : g->d);
	}
	if (i < 0 || idset_subset(w->what.is_apmask ? &e->st->mdevs[i].matrix.apm :
				  &e->st->mdevs[i].matrix.aqm, &ids))
		return plan_add_fix(e, NULL, "mdev remove %s", c->holder);
	return plan_add_fix(e, NULL, "mdev unassign %s --%s %s", c->holder,
			    w->what.is_apmask ? "adapters" : "domains", text_ids(&ids, "", list, sizeof(list)));
}

/*
 * APQNs that another mdev holds: the adapters or the domains they share
 * unassigned from it, whichever it loses fewer APQNs by.
 */
static int sharing_fix(struct engine *e, const struct conflict *c)
{
	int i = state_find_mdev(e->st, c->holder);
	struct idset a = { { 0 } }, d = { { 0 } };
	const struct ap_matrix *m;
	char list[IDLIST_MAX];
	unsigned by_a, by_d;

	for (size_t k = 0; k < e->p.nc; k++) {
		const struct conflict *g = &e->p.c[k];

		if (g->has_apqn && !strcmp(g->holder, c->holder) &&
		    e->p.w[g->w].what.kind != KS_MASK) {
			idset_add(&a, g->a);
			idset_add(&d, g->d);
		}
	}
	if (i < 0)
		return -1;
	m = &e->st->mdevs[i].matrix;
	by_a = idset_count(&a) * idset_count(&m->aqm);
	by_d = idset_count(&d) * idset_count(&m->apm);
	/* a tie: the finer cut, domains, unless the change assigns adapters */
	if (by_a < by_d || (by_a == by_d && !by_domain(e, c) && !assigns_domains(e, c)))
		return plan_add_fix(e, NULL, "mdev unassign %s --adapters %s", c->holder,
				    text_ids(&a, "", list, sizeof(list)));
	return plan_add_fix(e, NULL, "mdev unassign %s --domains %s", c->holder,
			    text_ids(&d, "", list, sizeof(list)));
}

/*
 * Whether the host's default drivers hold APQN (a, d) by the masks, so that a
 * reservation frees it (before 6.0, only a queue that exists, to be bound).
 */
static bool reservable(const struct ap_state *st, unsigned a, unsigned d)
{
	return rules_default_owned(&st->apmask, &st->aqmask, a, d) &&
	       state_find_override(st, a, d) < 0 &&
	       (kgen_has(st->kernel, KF_DYNAMIC) || apqnset_has(&st->queues, a, d));
}

/*
 * APQNs that the host's default drivers hold: the whole adapters reserved
 * (their domains where only domains were being assigned), as one command for
 * all of them. Before 6.0 this binds the queues to vfio_ap, which the kernel
 * wants there.
 */
static int reserve_fix(struct engine *e, bool domains)
{
	const struct ap_state *st = e->st;
	struct idset a = { { 0 } }, d = { { 0 } };
	char list[IDLIST_MAX], note[256];

	for (size_t k = 0; k < e->p.nc; k++) {
		const struct conflict *g = &e->p.c[k];

		if (g->has_apqn && !*g->holder && e->p.w[g->w].what.kind != KS_MASK &&
		    reservable(st, g->a, g->d)) {
			idset_add(&a, g->a);
			idset_add(&d, g->d);
		}
	}
	if (idset_empty(&a))
		return -1;
	fix_default_domain_note(st, domains ? NULL : &a, domains ? &d : NULL, note, sizeof(note));
	return plan_add_fix(e, note, "reserve --%s %s", domains ? "domains" : "adapters",
			    text_ids(domains ? &d : &a, "", list, sizeof(list)));
}

/*
 * Before 6.0, an adapter (domain) assigned to an mdev without domains
 * (adapters) needs one of its queues bound to vfio_ap: its own reservation.
 */
static int bind_fix(struct engine *e, const struct conflict *c)
{
	const struct pwrite *w = &e->p.w[c->w];
	const struct ap_state *st = e->st;
	bool adapter = w->what.akind == ASSIGN_ADAPTER;
	struct idset one = { { 0 } };
	char note[256], id[ID_STR_MAX];
	bool any = false;

	for (unsigned x = 0; x < IDSET_BITS && !any; x++)
		any = adapter ? idset_has(&st->queues.dom[w->what.id], x) && reservable(st, w->what.id, x) :
				idset_has(&st->queues.dom[x], w->what.id) && reservable(st, x, w->what.id);
	if (!any)
		return -1;
	idset_add(&one, w->what.id);
	fix_default_domain_note(st, adapter ? &one : NULL, adapter ? NULL : &one, note,
				sizeof(note));
	return plan_add_fix(e, note, "reserve --%s %s", adapter ? "adapters" : "domains",
			    id_format(w->what.id, id));
}

/* The rule's mask k at boot: all ones where it sets none. */
static const struct idset *boot_mask(const struct ap_rule *r, bool apmask, struct idset *all)
{
	idset_fill(all);
	return apmask ? (r->has_apmask ? &r->apmask : all) : (r->has_aqmask ? &r->aqmask : all);
}

/* A sentence of a fix for a boot conflict: "run: CMD (note)", in buf. */
static void boot_fix_words(const struct engine *e, const char *note, char *buf, size_t size,
			   const char *cmd)
{
	int n = snprintf(buf, size, "run: ");

	if (n < 0 || (size_t)n >= size)
		return;
	engine_fix(e, buf + n, size - (size_t)n, "%s", cmd);
	n = (int)strlen(buf);
	if (note && *note)
		snprintf(buf + n, size - (size_t)n, " (%s)", note);
}

/* Whether the rule of next (before: of what persists now) gives APQN (a, d) to the host at boot. */
static void boot_owned(const struct engine *e, const struct persist *next, unsigned a, unsigned d,
		       bool *now, bool *before)
{
	struct idset all1, all2, all3, all4;

	*now = rules_default_owned(boot_mask(&next->rule, true, &all1),
				   boot_mask(&next->rule, false, &all2), a, d);
	*before = rules_default_owned(boot_mask(&e->pers->rule, true, &all3),
				      boot_mask(&e->pers->rule, false, &all4), a, d);
}

void boot_fix_hosted(const struct engine *e, const struct persist *next,
		     const struct mdev_def *def, const struct boot_write *w, char *buf, size_t size)
{
	struct idset a = { { 0 } }, d = { { 0 } }, own = { { 0 } };
	const struct ap_state *st = e->st;
	char cmd[2 * IDLIST_MAX + 128], note[256], la[IDLIST_MAX], ld[IDLIST_MAX];
	bool released = false, runs = true, now, before;
	struct apqnset *need = calloc(1, sizeof(*need));

	buf[0] = '\0';
	if (!need)
		return;
	/* its APQNs, and the queue a write before 6.0 needs bound */
	apqnset_add_product(need, &def->ids.apm, &def->ids.aqm);
	if (w && w->has_apqn)
		apqnset_add(need, w->a, w->d);
	for (unsigned x = 0; x < IDSET_BITS; x++)
		idset_foreach(y, &need->dom[x]) {
			boot_owned(e, next, x, (unsigned)y, &now, &before);
			/* before 6.0, only a queue that exists can be bound to vfio_ap */
			if (!now || (!kgen_has(st->kernel, KF_DYNAMIC) &&
				     !apqnset_has(&st->queues, x, (unsigned)y)))
				continue;
			idset_add(&own, x);
			released |= !before;
			runs &= !rules_default_owned(&st->apmask, &st->aqmask, x, (unsigned)y);
			/* as what runs keeps it from the host: its adapter, else its domain */
			idset_add(idset_has(&st->apmask, x) ? &d : &a,
				  idset_has(&st->apmask, x) ? (unsigned)y : x);
		}
	free(need);
	if (idset_empty(&own))
		return;
	if (released) {
		/* the change gives them to the host at boot: the definition is what must change */
		snprintf(cmd, sizeof(cmd), "mdev unassign %s --adapters %s --persistent-only",
			 def->uuid, text_ids(&own, "", la, sizeof(la)));
		if (idset_subset(&def->ids.apm, &own))
			snprintf(cmd, sizeof(cmd), "mdev remove %s --persistent-only", def->uuid);
		boot_fix_words(e, NULL, buf, size, cmd);
		return;
	}
	if (!runs) {
		a = own;
		idset_clear(&d);
	}
	snprintf(cmd, sizeof(cmd), "reserve%s%s%s%s --persistent-only", idset_empty(&a) ? "" :
		 " --adapters ", text_ids(&a, "", la, sizeof(la)), idset_empty(&d) ? "" :
		 " --domains ", text_ids(&d, "", ld, sizeof(ld)));
	fix_default_domain_note(st, &a, &d, note, sizeof(note));
	if (runs) {
		size_t n = strlen(note);

		snprintf(note + n, sizeof(note) - n, "%sas the masks that run keep them", n ? "; " : "");
	}
	boot_fix_words(e, note, buf, size, cmd);
}

void boot_fix_sharing(const struct engine *e, const struct mdev_def *o,
		      const struct ap_matrix *shared, char *buf, size_t size)
{
	char cmd[IDLIST_MAX + 128], list[IDLIST_MAX];
	unsigned by_a = idset_count(&shared->apm) * idset_count(&o->ids.aqm);
	unsigned by_d = idset_count(&shared->aqm) * idset_count(&o->ids.apm);
	bool adapters = by_a < by_d;

	snprintf(cmd, sizeof(cmd), "mdev unassign %s --%s %s --persistent-only", o->uuid,
		 adapters ? "adapters" : "domains",
		 text_ids(adapters ? &shared->apm : &shared->aqm, "", list, sizeof(list)));
	boot_fix_words(e, NULL, buf, size, cmd);
}

void plan_fixes(struct engine *e)
{
	for (size_t k = 0; k < e->p.nc; k++) {
		struct conflict *c = &e->p.c[k];
		const struct pwrite *w = &e->p.w[c->w];

		c->fix = -1;
		if (!c->has_apqn && w->what.kind == KS_ASSIGN && c->err == -EADDRNOTAVAIL)
			c->fix = bind_fix(e, c);
		else if (!c->has_apqn)
			continue;
		else if (w->what.kind == KS_MASK && *c->holder)
			c->fix = holder_fix(e, c);
		else if (*c->holder)
			c->fix = sharing_fix(e, c);
		else if (reservable(e->st, c->a, c->d))
			c->fix = reserve_fix(e, by_domain(e, c));
	}
}
