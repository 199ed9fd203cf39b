/* SPDX-License-Identifier: MIT */
/*
 * A whole configuration as one change: the ops that take the running and
 * the persistent configuration from what they are to what the file says.
 * What the file leaves out stays as it is; only what differs becomes a write
 * (the engine skips what is already so); the engine then orders the ops
 * (free before take), predicts each write and checks the next boot.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conffile.h"
#include "engine.h"
#include "rules.h"

static int add(struct engine *e, struct change_op op)
{
	return engine_add(e, &op);
}

/* The masks that run, and the rule's: set, or taken out. */
static int config_masks(struct engine *e, const struct config *c)
{
	const struct ap_rule *r = &e->pers->rule;
	const struct idset *run[] = { &e->st->apmask, &e->st->aqmask };
	const struct idset *boot[] = { &r->apmask, &r->aqmask };
	bool has[] = { r->has_apmask, r->has_aqmask };
	int rc = 0;

	for (int k = 0; !rc && k < 2; k++) {
		struct change_op op = { .kind = OP_MASK, .is_apmask = !k, .scope = SCOPE_RUNNING };
		enum config_say say = c->persistent;

		op.mask = c->run[k].say == SAY_YES ? c->run[k].mask : *run[k];
		if (c->run[k].say == SAY_YES)
			rc = add(e, op);
		/* the rule: as the running masks (true), none (false), or as the file's */
		if (c->rule_object) {
			say = c->rule[k].say;
			op.mask = c->rule[k].mask;
		}
		op.kind = OP_PMASK;
		op.scope = SCOPE_PERSISTENT;
		op.unset = say == SAY_NO;
		if (rc || say == SAY_KEEP || (op.unset && !has[k]) ||
		    (!op.unset && has[k] && idset_equal(boot[k], &op.mask)))
			continue;
		rc = add(e, op);
	}
	return rc;
}

/* The IDs the mdev of m is to have where it runs: as it is, but what m names. */
static struct ap_matrix running_ids(const struct engine *e, const struct config_mdev *m)
{
	int i = state_find_mdev(e->st, m->uuid);
	const struct mdev_def *def = persist_find(e->pers, m->uuid);
	struct ap_matrix want = i >= 0 ? e->st->mdevs[i].matrix :
				def && !def->bad[0] ? def->ids : (struct ap_matrix){ 0 };

	for (int k = 0; k < 3; k++)
		if (m->given[k])
			*matrix_ids(&want, (enum assign_kind)k) = *matrix_ids(&m->ids,
									  (enum assign_kind)k);
	return want;
}

int engine_set_running(struct engine *e, const char *uuid, const struct ap_matrix *want)
{
	int i = state_find_mdev(e->st, uuid), rc = 0;
	struct change_op op = { .kind = OP_CREATE, .ids = *want, .scope = SCOPE_RUNNING };
	struct ap_matrix cur;

	snprintf(op.uuid, sizeof(op.uuid), "%s", uuid);
	if (i < 0)
		return add(e, op);
	/* what goes (what runs but want has not): what adding what runs adds to want */
	cur = *want;
	matrix_edit(&cur, &e->st->mdevs[i].matrix, true, &op.ids);
	op.kind = OP_UNASSIGN;
	if (!matrix_empty(&op.ids))
		rc = add(e, op);
	/* then what comes: what adding want adds to what runs */
	cur = e->st->mdevs[i].matrix;
	matrix_edit(&cur, want, true, &op.ids);
	op.kind = OP_ASSIGN;
	if (!rc && !matrix_empty(&op.ids))
		rc = add(e, op);
	return rc;
}

/* Where the mdev of m runs: made, changed or removed. */
static int config_running(struct engine *e, const struct config_mdev *m,
			  const struct ap_matrix *want)
{
	struct change_op op = { .kind = OP_REMOVE, .scope = SCOPE_RUNNING };

	if (m->running)
		return engine_set_running(e, m->uuid, want);
	memcpy(op.uuid, m->uuid, sizeof(op.uuid));
	return state_find_mdev(e->st, m->uuid) >= 0 ? add(e, op) : 0;
}

/*
 * The definition m asks for, into m->def where the file gave no attrs: the
 * IDs it names (or the ones that run), the type it names (or the one it has).
 */
static int wanted_def(const struct engine *e, struct config_mdev *m, const struct ap_matrix *run)
{
	const struct mdev_def *old = persist_find(e->pers, m->uuid);
	struct ap_matrix ids = *run;
	int rc;

	if (m->def)
		return 0;
	for (int k = 0; k < 3; k++)
		if (m->def_ids_given[k])
			*matrix_ids(&ids, (enum assign_kind)k) = *matrix_ids(&m->def_ids,
									 (enum assign_kind)k);
	m->def = calloc(1, sizeof(*m->def));
	if (!m->def)
		return -ENOMEM;
	rc = def_from_matrix(m->def, m->uuid, &ids, false);
	if (!rc && (m->def_type[0] || old))
		snprintf(m->def->type, sizeof(m->def->type), "%s", m->def_type[0] ? m->def_type :
									 old->type);
	return rc;
}

/* One mdev of the file: where it runs, its definition, its name. */
static int config_mdev(struct engine *e, struct config_mdev *m, size_t idx, struct diag *d)
{
	const struct mdev_def *def = persist_find(e->pers, m->uuid);
	struct ap_matrix want = running_ids(e, m);
	struct change_op op = { .kind = OP_DEFINE, .scope = SCOPE_PERSISTENT };
	int rc = config_running(e, m, &want);

	memcpy(op.uuid, m->uuid, sizeof(op.uuid));
	op.start = m->autostart == SAY_YES ? 1 : m->autostart == SAY_NO ? -1 : 0;
	if (!rc && m->persistent == SAY_KEEP && m->autostart != SAY_KEEP) {
		/* the start mode alone: of the definition as it is */
		if (!def) {
			diag_set(d, "mdevs[%zu].autostart: mdevctl does not define %s; say "
				 "\"persistent\": true too", idx, m->uuid);
			return -EINVAL;
		}
		op.def = def;
		rc = add(e, op);
	}
	if (!rc && m->persistent == SAY_YES && !(rc = wanted_def(e, m, &want))) {
		op.def = m->def;
		rc = add(e, op);
	}
	op.kind = OP_REMOVE;
	if (!rc && m->persistent == SAY_NO && def)
		rc = add(e, op);
	op.kind = OP_NAME;
	op.name = m->name == SAY_YES ? m->name_text : "";
	if (!rc && m->name != SAY_KEEP)
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

/*
 * --prune: what the file covers and does not name goes: the mdevs that run
 * where it lists mdevs, the definitions where it speaks of the persistent
 * configuration. A definition apctl cannot read stays.
 */
static int prune_others(struct engine *e, const struct config *c)
{
	struct change_op op = { .kind = OP_REMOVE, .scope = SCOPE_RUNNING };
	int rc = 0;

	for (size_t i = 0; !rc && c->has_mdevs && i < e->st->nmdevs; i++) {
		if (named(c, e->st->mdevs[i].uuid))
			continue;
		memcpy(op.uuid, e->st->mdevs[i].uuid, sizeof(op.uuid));
		rc = add(e, op);
	}
	op.scope = SCOPE_PERSISTENT;
	for (size_t i = 0; !rc && c->covers_persistent && i < e->pers->ndefs; i++) {
		if (named(c, e->pers->defs[i].uuid))
			continue;
		if (e->pers->defs[i].bad[0]) {
			strlist_addf(&e->given_notes, "--prune leaves the definition of %s, which apctl "
				     "cannot read (%s)", e->pers->defs[i].uuid, e->pers->defs[i].bad);
			continue;
		}
		memcpy(op.uuid, e->pers->defs[i].uuid, sizeof(op.uuid));
		rc = add(e, op);
	}
	return rc;
}

int engine_add_config(struct engine *e, struct config *c, bool prune, struct diag *d)
{
	int rc;

	if (!e->pers)
		return -EINVAL;
	e->from_file = true;
	/* a configuration of mdevs moved from another host: its cards must be theirs */
	config_cards_differ(c, e->st, &e->host_differs);
	rc = config_masks(e, c);
	for (size_t i = 0; !rc && i < c->nmdevs; i++)
		rc = config_mdev(e, &c->mdevs[i], i, d);
	if (!rc && prune)
		rc = prune_others(e, c);
	return rc;
}
