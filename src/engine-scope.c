/* SPDX-License-Identifier: MIT */
/*
 * What a change reads of the state: the masks and the mdevs' matrices at
 * first (STATE_LAZY), then the queues, cards and guests its ops reach. A
 * plan that is refused reads the rest, since its conflicts, fixes and notes
 * may reach anywhere.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "output.h"

/* The queues of the matrix ids, merged with mdev i's (or none), and their cards. */
static void add_matrix(struct state_scope *want, const struct ap_state *st, int i,
		       const struct ap_matrix *ids)
{
	struct idset apm = ids->apm, aqm = ids->aqm;

	if (i >= 0) {
		apm = idset_or(&apm, &st->mdevs[i].matrix.apm);
		aqm = idset_or(&aqm, &st->mdevs[i].matrix.aqm);
	}
	apqnset_add_product(&want->apqns, &apm, &aqm);
	want->cards = idset_or(&want->cards, &apm);
	/* an mdev without queues has its guest read too */
	want->guests = true;
}

/* What op reaches, added to want: false when a scope cannot say. */
static bool op_scope(const struct engine *e, const struct change_op *op, struct state_scope *want)
{
	const struct ap_state *st = e->st;
	/* the AP bus makes no queue above the maxima */
	struct idset adapters = idset_upto(st->max_adapter), domains = idset_upto(st->max_domain);
	struct idset moved, was;
	const struct ap_matrix none = { 0 };

	switch (op->kind) {
	case OP_MASK:
		was = op->is_apmask ? st->apmask : st->aqmask;
		moved = idset_minus(&op->mask, &was);
		was = idset_minus(&was, &op->mask);
		moved = idset_or(&moved, &was);
		apqnset_add_product(&want->apqns, op->is_apmask ? &moved : &adapters,
				    op->is_apmask ? &domains : &moved);
		return true;
	case OP_CREATE:
		add_matrix(want, st, -1, &op->ids);
		/* a new mdev's VFIO group is the lowest free one (a sandbox numbers its own) */
		want->groups = !e->root->sandbox;
		return true;
	case OP_ASSIGN:
	case OP_UNASSIGN:
		add_matrix(want, st, state_find_mdev(st, op->uuid), &op->ids);
		return true;
	case OP_REMOVE:
		add_matrix(want, st, state_find_mdev(st, op->uuid), &none);
		return true;
	default:
		return false;
	}
}

int engine_fill(struct engine *e, bool all)
{
	struct state_scope *want;
	bool some = !all && e->o.scope == SCOPE_RUNNING && !getenv("APCTL_READ_ALL");
	int rc;

	if (!e->st->scope)
		return 0;
	want = some ? calloc(1, sizeof(*want)) : NULL;
	if (some && !want)
		return -ENOMEM;
	for (size_t i = 0; want && i < e->nops; i++) {
		if (op_scope(e, &e->ops[i], want))
			continue;
		free(want);
		want = NULL;
	}
	rc = root_fill(e->root, e->st, want);
	free(want);
	if (rc && rc != -ENOMEM)
		errmsg("%s: cannot read the AP devices under %s: %s", e->command, e->root->s.root,
		       strerror(-rc));
	return rc;
}
