/* SPDX-License-Identifier: MIT */
/*
 * What a plan allows but may surprise: IDs assigned before the host has them,
 * IDs that already are (or are not) assigned, and for mask edits the APQNs
 * that move and what the host loses with them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "masksyntax.h"
#include "output.h"
#include "paths.h"

static const enum assign_kind kinds[3] = { ASSIGN_ADAPTER, ASSIGN_DOMAIN, ASSIGN_CONTROL_DOMAIN };

/* "adapter 7 is", "adapters 7,8 are" */
static void ids_phrase(enum assign_kind kind, const struct idset *ids, char *buf, size_t size)
{
	char list[IDLIST_MAX];
	bool one = idset_count(ids) == 1;

	snprintf(buf, size, "%s%s %s %s", assign_kind_name(kind), one ? "" : "s",
		 text_ids(ids, "", list, sizeof(list)), one ? "is" : "are");
}

static void overprovisioning_notes(struct engine *e, const struct change_op *o)
{
	const struct ap_state *st = e->st;

	if (!st->qci)
		return;
	for (int i = 0; i < 3; i++) {
		/* above the maximum the kernel refuses them: no note */
		struct idset upto = idset_upto(i ? st->max_domain : st->max_adapter);
		struct idset asked = idset_and(matrix_ids(&o->ids, kinds[i]), &upto);
		struct idset out = idset_minus(&asked, matrix_ids(&st->host, kinds[i]));
		char ids[IDLIST_MAX + 64];
		bool one = idset_count(&out) == 1;

		char list[IDLIST_MAX];
		struct idset off = { { 0 } };

		if (idset_empty(&out))
			continue;
		/* adapters configured off are said apart: they come when configured on */
		if (kinds[i] == ASSIGN_ADAPTER)
			idset_foreach(a, &out)
				if (idset_has(&st->cards, (unsigned)a) && st->card[a].config == 0)
					idset_add(&off, (unsigned)a);
		out = idset_minus(&out, &off);
		if (!idset_empty(&off))
			strlist_addf(&e->p.notes, "adapter%s %s %s", idset_count(&off) == 1 ? "" : "s",
				     text_ids(&off, "", list, sizeof(list)),
				     state_adapter_absence(st, (unsigned)idset_first(&off),
							   idset_count(&off) == 1));
		if (idset_empty(&out))
			continue;
		one = idset_count(&out) == 1;
		ids_phrase(kinds[i], &out, ids, sizeof(ids));
		strlist_addf(&e->p.notes, "%s not in the host's AP configuration: %s the guest only "
			     "when %s", ids, one ? "it reaches" : "they reach",
			     one ? "it appears" : "they appear");
	}
}

static void unchanged_notes(struct engine *e, const struct change_op *o)
{
	int i = state_find_mdev(e->st, o->uuid);

	for (int k = 0; i >= 0 && k < 3; k++) {
		const struct idset *have = matrix_ids(&e->st->mdevs[i].matrix, kinds[k]);
		const struct idset *asked = matrix_ids(&o->ids, kinds[k]);
		struct idset same = o->kind == OP_ASSIGN ? idset_and(asked, have) :
							   idset_minus(asked, have);
		char ids[IDLIST_MAX + 64];

		if (idset_empty(&same))
			continue;
		ids_phrase(kinds[k], &same, ids, sizeof(ids));
		strlist_addf(&e->p.notes, "%s %s assigned", ids,
			     o->kind == OP_ASSIGN ? "already" : "not");
	}
}

/* The APQNs of the scope whose owner the masks change. */
static int find_moves(struct engine *e)
{
	const struct ap_state *st = e->st;
	struct plan *p = &e->p;
	struct idset sa, sd;

	p->to_vfio = calloc(1, sizeof(*p->to_vfio));
	p->to_host = calloc(1, sizeof(*p->to_host));
	if (!p->to_vfio || !p->to_host)
		return -1;
	state_mask_scope(st, &sa, &sd);
	idset_foreach(a, &sa) {
		idset_foreach(d, &sd) {
			bool was = rules_default_owned(&st->apmask, &st->aqmask, (unsigned)a,
						       (unsigned)d);
			bool is = rules_default_owned(&e->p.apmask, &e->p.aqmask, (unsigned)a,
						      (unsigned)d);

			if (was && !is)
				apqnset_add(p->to_vfio, (unsigned)a, (unsigned)d);
			else if (!was && is)
				apqnset_add(p->to_host, (unsigned)a, (unsigned)d);
		}
	}
	return 0;
}

/* The queues leaving the host that are online: only theirs is read. */
static void online_warning(struct engine *e)
{
	const struct ap_state *st = e->st;
	struct apqnset *online = calloc(1, sizeof(*online));
	unsigned n = 0;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	for (unsigned a = 0; online && a < IDSET_BITS; a++) {
		idset_foreach(d, &e->p.to_vfio->dom[a]) {
			char rel[128];
			long v;

			if (state_queue_driver(st, a, (unsigned)d) != QDRV_DEFAULT)
				continue;
			snprintf(rel, sizeof(rel), AP_DEVICES "/card%02x/%02x.%04x/online", a, a, d);
			if (sysfs_read_long(&e->root->s, rel, &v) == 0 && v == 1) {
				apqnset_add(online, a, (unsigned)d);
				n++;
			}
		}
	}
	f = n ? open_memstream(&text, &len) : NULL;
	if (f) {
		text_apqnset(f, online, "  ");
		fclose(f);
		if (len && text[len - 1] == '\n')
			text[len - 1] = '\0';
		strlist_addf(&e->p.warnings, "%u online queue%s leave%s the host's default drivers: "
			     "%s", n, n == 1 ? "" : "s", n == 1 ? "s" : "",
			     strchr(text, ':') ? strchr(text, ':') + 2 : text);
	}
	free(text);
	free(online);
}

void note_default_domain(struct engine *e, const struct idset *was_apm,
			 const struct idset *was_aqm, const struct idset *apm, const struct idset *aqm,
			 const char *when)
{
	const struct ap_state *st = e->st;
	struct idset lost = { { 0 } };
	char ids[IDLIST_MAX], m[ID_STR_MAX];
	unsigned dd;

	if (st->ap_domain < 0)
		return;
	dd = (unsigned)st->ap_domain;
	idset_foreach(a, &st->cards)
		if (rules_default_owned(was_apm, was_aqm, (unsigned)a, dd) &&
		    !rules_default_owned(apm, aqm, (unsigned)a, dd))
			idset_add(&lost, (unsigned)a);
	if (idset_has(was_aqm, dd) && !idset_has(aqm, dd))
		strlist_addf(&e->p.warnings, "%sthe AP bus's default domain %s (ap_domain) leaves the "
			     "host's default drivers on every adapter", when, id_format(dd, m));
	else if (!idset_empty(&lost))
		strlist_addf(&e->p.warnings, "%sthe AP bus's default domain %s (ap_domain) loses its "
			     "queues on adapter%s %s", when, id_format(dd, m),
			     idset_count(&lost) == 1 ? "" : "s", text_ids(&lost, "", ids, sizeof(ids)));
}

static void mask_notes(struct engine *e)
{
	const struct ap_state *st = e->st;

	if (find_moves(e))
		return;
	online_warning(e);
	note_default_domain(e, &st->apmask, &st->aqmask, &e->p.apmask, &e->p.aqmask, "");
	if (e->p.refused && !rules_mask_inuse_checked(st->kernel) && e->o.force)
		strlist_addf(&e->p.warnings, "kernel %u.%u checks nothing: these queues are taken "
			     "from their mdevs and from the guests using them, whose keys the host "
			     "can then reach", st->kernel.major, st->kernel.minor);
}

/* The APQNs of a guest_matrix. */
static void guest_apqns(const struct ap_mdev *m, struct apqnset *out)
{
	apqnset_clear(out);
	idset_foreach(a, &m->guest.apm)
		idset_foreach(d, &m->guest.aqm)
			apqnset_add(out, (unsigned)a, (unsigned)d);
}

/*
 * Each guest that loses queues now (hot unplug, 6.0 and later): a warning
 * that names it and them, and the APQNs in p->guest_lost for the verdict.
 * An mdev that goes waits for its guest, which loses nothing before it lets go.
 */
static void guest_warnings(struct engine *e)
{
	const struct ap_state *st = e->st;
	struct apqnset *now = malloc(sizeof(*now));

	e->p.guest_lost = now ? calloc(st->nmdevs + 1, sizeof(*e->p.guest_lost)) : NULL;
	e->p.nguest_lost = e->p.guest_lost ? st->nmdevs : 0;
	for (size_t i = 0; i < e->p.nguest_lost; i++) {
		const struct ap_mdev *m = &st->mdevs[i];
		int k = state_find_mdev(e->p.sim, m->uuid);
		struct apqnset *lost;
		char who[96];
		char *list = NULL;
		size_t len = 0;
		FILE *f;

		if (m->in_use != 1 || !m->has_guest || k < 0)
			continue;
		lost = malloc(sizeof(*lost));
		if (!lost)
			break;
		guest_apqns(m, lost);
		guest_apqns(&e->p.sim->mdevs[k], now);
		apqnset_minus(lost, lost, now);
		if (apqnset_empty(lost)) {
			free(lost);
			continue;
		}
		e->p.guest_lost[i] = lost;
		snprintf(who, sizeof(who), m->guest_name[0] ? "guest %s" : "the guest", m->guest_name);
		f = open_memstream(&list, &len);
		if (!f)
			continue;
		text_apqnset(f, lost, "  ");
		fclose(f);
		if (len && list[len - 1] == '\n')
			list[len - 1] = '\0';
		strlist_addf(&e->p.warnings, "%s of mdev %s now loses %s", who, m->uuid,
			     list ? list : "queues");
		free(list);
	}
	free(now);
}

void plan_notes(struct engine *e)
{
	bool masks = false;

	for (size_t i = 0; i < e->nops; i++) {
		const struct change_op *o = &e->ops[i];

		if (o->kind == OP_CREATE || o->kind == OP_ASSIGN)
			overprovisioning_notes(e, o);
		if (o->kind == OP_ASSIGN || o->kind == OP_UNASSIGN)
			unchanged_notes(e, o);
		masks |= o->kind == OP_MASK;
	}
	if (masks)
		mask_notes(e);
	if (!e->p.refused || e->o.force)
		guest_warnings(e);
	for (size_t i = 0; i < e->given_notes.n; i++)
		strlist_addf(&e->p.notes, "%s", e->given_notes.v[i]);
}
