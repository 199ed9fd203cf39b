/* SPDX-License-Identifier: MIT */
/*
 * A whole configuration as one change: the ops that take the running and
 * the persistent configuration from what they are to what the file says.
 * Only what differs becomes an op; the engine then orders them (free before
 * take), predicts each write and checks the next boot.
 */
#include <errno.h>
#include <string.h>

#include "conffile.h"
#include "engine.h"
#include "rules.h"

static int add(struct engine *e, struct change_op op)
{
	return engine_add(e, &op);
}

/* The masks: those that run, and the rule's (set, or taken out). */
static int config_masks(struct engine *e, const struct config *c)
{
	const struct idset *want[] = { &c->apmask, &c->aqmask };
	const struct ap_rule *r = &e->pers->rule;
	struct idset all;
	int rc = 0;

	idset_fill(&all);
	for (int k = 0; !rc && k < 2; k++) {
		bool has = k ? r->has_aqmask : r->has_apmask;
		const struct idset *boot = k ? &r->aqmask : &r->apmask;
		struct change_op op = { .kind = OP_MASK, .is_apmask = !k, .mask = *want[k],
					.scope = SCOPE_RUNNING };

		rc = add(e, op);
		op.kind = OP_PMASK;
		op.scope = SCOPE_PERSISTENT;
		if (!rc && c->persistent && (!has || !idset_equal(boot, want[k])))
			rc = add(e, op);
		op.mask = all;
		op.unset = true;
		if (!rc && !c->persistent && has)
			rc = add(e, op);
	}
	return rc;
}

/* One mdev of the file: where it runs, and its definition. */
static int config_mdev(struct engine *e, const struct config_mdev *m)
{
	const struct mdev_def *def = persist_find(e->pers, m->uuid);
	int i = state_find_mdev(e->st, m->uuid), rc = 0;
	struct change_op op = { .kind = OP_CREATE, .ids = m->ids, .scope = SCOPE_RUNNING };

	memcpy(op.uuid, m->uuid, sizeof(op.uuid));
	if (i < 0) {
		rc = add(e, op);
	} else {
		/* what goes (what runs but the file has not), then what comes */
		struct ap_matrix want = m->ids, cur = e->st->mdevs[i].matrix;

		matrix_edit(&want, &e->st->mdevs[i].matrix, true, &op.ids);
		op.kind = OP_UNASSIGN;
		if (!matrix_empty(&op.ids))
			rc = add(e, op);
		matrix_edit(&cur, &m->ids, true, &op.ids);
		op.kind = OP_ASSIGN;
		if (!rc && !matrix_empty(&op.ids))
			rc = add(e, op);
	}
	op.scope = SCOPE_PERSISTENT;
	op.ids = m->ids;
	op.start = m->autostart ? 1 : -1;
	op.kind = OP_DEFINE;
	if (!rc && m->persistent &&
	    (!def || def->bad[0] || def->autostart != m->autostart ||
	     !matrix_equal(&def->ids, &m->ids)))
		rc = add(e, op);
	op.kind = OP_REMOVE;
	if (!rc && !m->persistent && def)
		rc = add(e, op);
	return rc;
}

static bool named(const struct config *c, const char *uuid)
{
	for (size_t i = 0; i < c->nmdevs; i++)
		if (!strcmp(c->mdevs[i].uuid, uuid))
			return true;
	return false;
}

/* --prune: the mdevs and the definitions the file does not name go. */
static int prune_others(struct engine *e, const struct config *c)
{
	struct change_op op = { .kind = OP_REMOVE, .scope = SCOPE_RUNNING };
	int rc = 0;

	for (size_t i = 0; !rc && i < e->st->nmdevs; i++) {
		if (named(c, e->st->mdevs[i].uuid))
			continue;
		memcpy(op.uuid, e->st->mdevs[i].uuid, sizeof(op.uuid));
		op.scope = persist_find(e->pers, op.uuid) ? SCOPE_BOTH : SCOPE_RUNNING;
		rc = add(e, op);
	}
	op.scope = SCOPE_PERSISTENT;
	for (size_t i = 0; !rc && i < e->pers->ndefs; i++) {
		if (named(c, e->pers->defs[i].uuid) || state_find_mdev(e->st, e->pers->defs[i].uuid) >= 0)
			continue;
		memcpy(op.uuid, e->pers->defs[i].uuid, sizeof(op.uuid));
		rc = add(e, op);
	}
	return rc;
}

int engine_add_config(struct engine *e, const struct config *c, bool prune)
{
	int rc = 0;

	if (!e->pers)
		return -EINVAL;
	if (c->has_masks)
		rc = config_masks(e, c);
	for (size_t i = 0; !rc && i < c->nmdevs; i++)
		rc = config_mdev(e, &c->mdevs[i]);
	if (!rc && prune)
		rc = prune_others(e, c);
	return rc;
}
