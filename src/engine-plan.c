/* SPDX-License-Identifier: MIT */
/*
 * Planning: each operation becomes attribute writes, each played on the copy
 * of the state through kmodel, so that its predicted answer is the kernel's
 * and the next write is planned against what the kernel will have then. A
 * change of an mdev's matrix is one ap_config write where the kernel has it;
 * otherwise assign_* writes, adapters and control domains first and domains
 * last, so that every domain is checked once against all the adapters.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "grow.h"
#include "masksyntax.h"
#include "paths.h"

static char *dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *dupf(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/*
 * A new write of the plan, or NULL when out of memory: attr and value (both
 * taken over), and what they mean on the state the plan has reached.
 */
static struct pwrite *add_write(struct plan *p, size_t op, char *attr, char *value)
{
	struct pwrite *w, *more = grow(p->w, &p->capw, p->nw, sizeof(*more));

	if (!more)
		goto fail;
	p->w = more;
	if (!attr || !value)
		goto fail;
	w = memset(&p->w[p->nw++], 0, sizeof(*w));
	w->op = op;
	w->je.w.attr = attr;
	w->je.w.value = value;
	kstore_what(p->sim, attr, value, &w->what);
	return w;
fail:
	free(attr);
	free(value);
	return NULL;
}

/*
 * Plays write wi on the copy with the kernel's store, from its very attribute
 * and bytes: the answer, and its conflicts (every mdev's).
 */
static void predict(struct plan *p, size_t wi)
{
	struct pwrite *w = &p->w[wi];
	struct khits hits = { 0 };

	w->predicted = kstore_answer(p->sim, w->je.w.attr, w->je.w.value, &hits);
	if (w->predicted && w->predicted != -EINPROGRESS)
		plan_conflicts(p, wi, w->predicted, &hits, p->sim);
	khits_free(&hits);
}

/* Appends an undo write (attribute, bytes) to w: 0 or -ENOMEM. */
static int add_undo(struct pwrite *w, char *attr, char *value)
{
	struct jwrite *more = realloc(w->je.undo, (w->je.nundo + 1) * sizeof(*more));

	if (!more || !attr || !value) {
		free(attr);
		free(value);
		if (more)
			w->je.undo = more;
		return -ENOMEM;
	}
	w->je.undo = more;
	more[w->je.nundo++] = (struct jwrite){ attr, value, false };
	return 0;
}

static char *mdev_attr(const char *uuid, const char *attr)
{
	return dupf(MATRIX_DEV "/%s/%s", uuid, attr);
}

void plan_conflicts(struct plan *p, size_t w, int err, const struct khits *hits,
		    const struct ap_state *st)
{
	size_t n = hits && hits->n ? hits->n : 1;

	p->refused = true;
	if (err && !p->err)
		p->err = err;
	if (p->nc + n > p->capc) {
		size_t cap = 2 * (p->nc + n);
		struct conflict *more = realloc(p->c, cap * sizeof(*more));

		if (!more)
			return;
		p->c = more;
		p->capc = cap;
	}
	for (size_t h = 0; h < n; h++) {
		struct conflict *c = memset(&p->c[p->nc++], 0, sizeof(*c));
		const struct khit *k = hits && hits->n ? &hits->v[h] : NULL;

		c->w = w;
		c->err = err;
		if (!k)
			continue;
		c->has_apqn = true;
		c->a = k->a;
		c->d = k->d;
		if (k->mdev >= 0) {
			snprintf(c->holder, sizeof(c->holder), "%s", st->mdevs[k->mdev].uuid);
			c->holder_in_use = st->mdevs[k->mdev].in_use == 1;
		}
	}
}

/*
 * Before 6.0 the kernel lets the host take a guest's queues; apctl refuses
 * all the same: the APQNs held by mdevs that the write gives to the host.
 */
static void own_mask_check(struct plan *p, size_t wi, const struct pwrite *w)
{
	const struct ap_state *st = p->sim;
	struct kview_store *ks = state_kview(st);
	struct khits hits = { 0 };
	struct idset ra, rq;

	if (!ks)
		return;
	rules_mask_inuse_region(st->kernel, w->what.is_apmask, &w->what.old_mask, &w->what.new_mask,
				w->what.is_apmask ? &st->aqmask : &st->apmask, &ra, &rq);
	if (rules_shared(&ks->k, RULES_NO_MDEV, &ra, &rq, &hits, true))
		plan_conflicts(p, wi, 0, &hits, st);
	khits_free(&hits);
	state_kview_free(ks);
}

/* Whether the APQNs of the conflicts of write wi really go to the host. */
static void mark_moves(struct plan *p, size_t wi, const struct idset *other)
{
	const struct pwrite *w = &p->w[wi];

	for (size_t i = 0; i < p->nc; i++) {
		struct conflict *c = &p->c[i];

		if (c->w == wi)
			c->moves = idset_has(w->what.is_apmask ? &w->what.new_mask : other, c->a) &&
				   idset_has(w->what.is_apmask ? other : &w->what.new_mask, c->d);
	}
}

static int plan_mask(struct engine *e, size_t op)
{
	const struct change_op *o = &e->ops[op];
	struct plan *p = &e->p;
	struct ap_state *st = p->sim;
	const struct idset *cur = o->is_apmask ? &st->apmask : &st->aqmask;
	struct idset other = o->is_apmask ? st->aqmask : st->apmask;
	const char *attr = o->is_apmask ? AP_BUS "/apmask" : AP_BUS "/aqmask";
	char edit[MASK_EDIT_MAX], undo[MASK_EDIT_MAX];
	struct pwrite *w;
	size_t wi = p->nw;

	if (idset_equal(cur, &o->mask))
		return 0;
	/* relative edits: a concurrent edit of other bits by another tool is kept */
	mask_edit_format(cur, &o->mask, MASK_EDIT_ALL, edit, sizeof(edit));
	mask_edit_format(&o->mask, cur, MASK_EDIT_ALL, undo, sizeof(undo));
	w = add_write(p, op, strdup(attr), dupf("%s\n", edit));
	if (!w || add_undo(w, strdup(attr), dupf("%s\n", undo)))
		return -ENOMEM;
	if (!rules_mask_inuse_checked(st->kernel))
		own_mask_check(p, wi, w);
	predict(p, wi);
	mark_moves(p, wi, &other);
	return 0;
}

static int config_write(struct engine *e, size_t op, size_t mdev, const struct ap_matrix *want)
{
	struct plan *p = &e->p;
	const struct ap_mdev *m = &p->sim->mdevs[mdev];
	char now[AP_CONFIG_STR_MAX], config[AP_CONFIG_STR_MAX];
	struct pwrite *w;

	ap_config_render(&m->matrix, now);
	ap_config_render(want, config);
	w = add_write(p, op, mdev_attr(m->uuid, "ap_config"), strdup(config));
	if (!w || add_undo(w, mdev_attr(m->uuid, "ap_config"), strdup(now)))
		return -ENOMEM;
	predict(p, p->nw - 1);
	return 0;
}

static int assign_write(struct engine *e, size_t op, size_t mdev, enum assign_kind kind,
			unsigned id, bool assign)
{
	struct plan *p = &e->p;
	const char *uuid = p->sim->mdevs[mdev].uuid;
	char idstr[ID_STR_MAX];
	struct pwrite *w;

	id_format(id, idstr);
	w = add_write(p, op, mdev_attr(uuid, assign_attr_name(kind, assign)), dupf("%s\n", idstr));
	if (!w || add_undo(w, mdev_attr(uuid, assign_attr_name(kind, !assign)),
			   dupf("%s\n", idstr)))
		return -ENOMEM;
	predict(p, p->nw - 1);
	return 0;
}

/* The writes that take mdev's matrix from what it is to want. */
static int matrix_writes(struct engine *e, size_t op, size_t mdev, const struct ap_matrix *ids,
			 bool assign, bool created)
{
	static const enum assign_kind order[3] = { ASSIGN_ADAPTER, ASSIGN_CONTROL_DOMAIN,
						   ASSIGN_DOMAIN };
	struct ap_matrix want = e->p.sim->mdevs[mdev].matrix, delta;
	unsigned changing = 0;
	int rc = 0;

	matrix_edit(&want, ids, assign, &delta);
	for (int k = 0; k < 3; k++)
		changing += idset_count(matrix_ids(&delta, order[k]));
	if (!changing)
		return 0;
	if (kgen_has(e->p.sim->kernel, KF_AP_CONFIG) && (changing > 1 || created))
		return config_write(e, op, mdev, &want);
	for (int k = 0; !rc && k < 3; k++)
		idset_foreach(id, matrix_ids(&delta, order[k]))
			if (!rc)
				rc = assign_write(e, op, mdev, order[k], (unsigned)id, assign);
	return rc;
}

static int plan_create(struct engine *e, size_t op)
{
	const struct change_op *o = &e->ops[op];
	struct plan *p = &e->p;
	struct pwrite *w = add_write(p, op, strdup(MDEV_TYPE "/create"), dupf("%s\n", o->uuid));

	if (!w || add_undo(w, mdev_attr(o->uuid, "remove"), strdup("1\n")))
		return -ENOMEM;
	predict(p, p->nw - 1);
	/* refused: no mdev to write to */
	if (w->predicted)
		return 0;
	return matrix_writes(e, op, p->sim->nmdevs - 1, &o->ids, true, true);
}

/* The undo of a removal: the mdev made again with its matrix. */
static int undo_removal(struct pwrite *w, const struct ap_state *st, const struct ap_mdev *m)
{
	static const enum assign_kind order[3] = { ASSIGN_ADAPTER, ASSIGN_CONTROL_DOMAIN,
						   ASSIGN_DOMAIN };
	char config[AP_CONFIG_STR_MAX], id[ID_STR_MAX];
	int rc = add_undo(w, strdup(MDEV_TYPE "/create"), dupf("%s\n", m->uuid));

	if (!rc && kgen_has(st->kernel, KF_AP_CONFIG)) {
		ap_config_render(&m->matrix, config);
		return add_undo(w, mdev_attr(m->uuid, "ap_config"), strdup(config));
	}
	for (int k = 0; !rc && k < 3; k++)
		idset_foreach(x, matrix_ids(&m->matrix, order[k]))
			if (!rc)
				rc = add_undo(w, mdev_attr(m->uuid, assign_attr_name(order[k], true)),
					      dupf("%s\n", id_format((unsigned)x, id)));
	return rc;
}

static int plan_remove(struct engine *e, size_t op, int i)
{
	struct plan *p = &e->p;
	const struct ap_mdev *m = &p->sim->mdevs[i];
	struct pwrite *w = add_write(p, op, mdev_attr(m->uuid, "remove"), strdup("1\n"));

	if (!w || undo_removal(w, p->sim, m))
		return -ENOMEM;
	predict(p, p->nw - 1);
	/*
	 * the kernel refuses with EBUSY; a remove that would wait for the guest
	 * is apctl's own refusal (--force makes it and waits)
	 */
	if (w->predicted == -EINPROGRESS)
		plan_conflicts(p, p->nw - 1, 0, NULL, p->sim);
	return 0;
}

int plan_op(struct engine *e, size_t op)
{
	const struct change_op *o = &e->ops[op];
	int i;

	/* the persistent side is planned apart (plan_persist()) */
	if (o->kind == OP_PMASK || o->scope == SCOPE_PERSISTENT)
		return 0;
	if (o->kind == OP_MASK)
		return plan_mask(e, op);
	if (o->kind == OP_CREATE)
		return plan_create(e, op);
	i = state_find_mdev(e->p.sim, o->uuid);
	if (i < 0)
		return 0; /* the command makes sure it exists */
	if (o->kind == OP_REMOVE)
		return plan_remove(e, op, i);
	return matrix_writes(e, op, (size_t)i, &o->ids, o->kind == OP_ASSIGN, false);
}
