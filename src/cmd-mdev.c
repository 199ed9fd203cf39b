/* SPDX-License-Identifier: MIT */
/*
 * apctl mdev: create, assign, unassign, remove and list vfio_ap mediated
 * devices. Every change is first played on a copy of the state with the
 * kernel's rules (kmodel.c), so a refusal is predicted, explained APQN by
 * APQN and nothing is written; a change is made in one ap_config write where
 * the kernel has it, otherwise in assign_* writes in an order that cannot
 * fail half way for a foreseeable reason, undone if one fails all the same.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "apctl.h"
#include "change.h"
#include "kmodel.h"
#include "masksyntax.h"
#include "output.h"
#include "paths.h"
#include "reserve.h"
#include "rules.h"
#include "state.h"

enum {
	OPT_ADAPTERS = 0x100,
	OPT_DOMAINS,
	OPT_CDOMS,
};

static const enum assign_kind kinds[3] = { ASSIGN_ADAPTER, ASSIGN_DOMAIN, ASSIGN_CONTROL_DOMAIN };
static const char *const list_opts[3] = { "--adapters", "--domains", "--control-domains" };

struct request {
	const char *cmd; /* "mdev create", ... */
	bool create;
	bool assign;     /* assign (or create) rather than unassign */
	const char *uuid;
	const char *lists[3];
	struct ap_matrix ids;
	struct change_opts change;
};

enum write_kind {
	W_CREATE,
	W_AP_CONFIG,
	W_ASSIGN,
};

/* One sysfs write of the change. */
struct mwrite {
	enum write_kind what;
	enum assign_kind kind; /* W_ASSIGN */
	unsigned id;
	bool assign;
	struct ap_matrix config; /* W_AP_CONFIG */
	char attr[192];
	char value[AP_CONFIG_STR_MAX];
};

/* An APQN or an ID that makes the kernel refuse a write. */
struct conflict {
	int err;
	const struct mwrite *w;
	bool has_apqn;
	unsigned a, d;
	int mdev;              /* the other mdev holding the APQN, or -1 */
};

struct plan {
	struct ap_state *sim;  /* the state once the writes that would succeed are made */
	size_t self;
	struct mwrite w[3 * IDSET_BITS + 2];
	size_t nw;
	int err;               /* the kernel's answer to the first write that fails */
	struct conflict *c;
	size_t nc;
	struct strlist notes;
};

static void plan_free(struct plan *p)
{
	strlist_free(&p->notes);
	free(p->c);
	state_free(p->sim);
}

static void add_conflict(struct plan *p, struct conflict c)
{
	struct conflict *more = realloc(p->c, (p->nc + 1) * sizeof(*more));

	if (!more)
		return;
	p->c = more;
	p->c[p->nc++] = c;
}

static const char *mdev_rel(const char *uuid, const char *attr, char *buf, size_t size)
{
	snprintf(buf, size, MATRIX_DEV "/%s/%s", uuid, attr);
	return buf;
}

static void add_write(struct plan *p, const struct mwrite *w)
{
	p->w[p->nw++] = *w;
}

static void assign_write(struct plan *p, const char *uuid, enum assign_kind kind, unsigned id,
			 bool assign)
{
	struct mwrite w = { .what = W_ASSIGN, .kind = kind, .id = id, .assign = assign };

	mdev_rel(uuid, assign_attr_name(kind, assign), w.attr, sizeof(w.attr));
	id_format(id, w.value);
	add_write(p, &w);
}

/*
 * The writes of the change: one ap_config write where the kernel has it and
 * more than one ID changes (or an mdev is created); else one assign_* or
 * unassign_* write per ID: adapters and control domains first, domains last,
 * so that a new mdev gets its ownership and sharing checks once per domain,
 * against all its adapters, and nothing can fail half way that the
 * validation did not foresee.
 */
static void plan_writes(struct plan *p, const struct request *r, const struct ap_mdev *m)
{
	struct ap_matrix want = m ? m->matrix : (struct ap_matrix){ { { 0 } }, { { 0 } }, { { 0 } } };
	struct ap_matrix delta;
	unsigned changing = 0;
	static const enum assign_kind order[3] = { ASSIGN_ADAPTER, ASSIGN_CONTROL_DOMAIN,
						   ASSIGN_DOMAIN };

	matrix_edit(&want, &r->ids, r->assign, &delta);
	for (int k = 0; k < 3; k++)
		changing += idset_count(matrix_ids(&delta, order[k]));
	if (r->create) {
		struct mwrite w = { .what = W_CREATE };

		snprintf(w.attr, sizeof(w.attr), MDEV_TYPE "/create");
		snprintf(w.value, sizeof(w.value), "%s", r->uuid);
		add_write(p, &w);
	}
	if (!changing)
		return;
	if (kgen_has(p->sim->kernel, KF_AP_CONFIG) && (changing > 1 || r->create)) {
		struct mwrite w = { .what = W_AP_CONFIG, .config = want };

		mdev_rel(r->uuid, "ap_config", w.attr, sizeof(w.attr));
		ap_config_render(&want, w.value);
		w.value[strcspn(w.value, "\n")] = '\0';
		add_write(p, &w);
		return;
	}
	for (int k = 0; k < 3; k++)
		idset_foreach(id, matrix_ids(&delta, order[k]))
			assign_write(p, r->uuid, order[k], (unsigned)id, r->assign);
}

/* Conflicts by write, then by APQN. */
static int by_apqn(const void *x, const void *y)
{
	const struct conflict *a = x, *b = y;

	if (a->w != b->w)
		return a->w < b->w ? -1 : 1;
	return apqn_cmp(a->a, a->d, b->a, b->d);
}

/* Plays the writes on the copy; the first error is the kernel's answer, the rest are listed too. */
static void simulate(struct plan *p)
{
	for (size_t k = 0; k < p->nw; k++) {
		struct mwrite *w = &p->w[k];
		struct khits hits = { 0 };
		int rc;

		switch (w->what) {
		case W_CREATE:
			rc = kmodel_create(p->sim, w->value);
			p->self = p->sim->nmdevs - 1;
			break;
		case W_AP_CONFIG:
			rc = kmodel_ap_config(p->sim, p->self, &w->config, &hits, true);
			break;
		default:
			rc = kmodel_assign(p->sim, p->self, w->kind, w->id, w->assign, &hits, true);
			break;
		}
		if (rc && !p->err)
			p->err = rc;
		if (rc && !hits.n)
			add_conflict(p, (struct conflict){ .err = rc, .w = w, .mdev = -1 });
		for (size_t h = 0; h < hits.n; h++)
			add_conflict(p, (struct conflict){ rc, w, true, hits.v[h].a, hits.v[h].d,
							   hits.v[h].mdev });
		khits_free(&hits);
		if (rc == -EEXIST || rc == -EUSERS || rc == -EPERM)
			break; /* no mdev to write to */
	}
	if (p->nc)
		qsort(p->c, p->nc, sizeof(*p->c), by_apqn);
}

/* ---- explaining a refusal ---- */

static const char *write_what(const struct mwrite *w, char *buf, size_t size)
{
	char id[ID_STR_MAX];

	if (w->what == W_ASSIGN)
		snprintf(buf, size, "%s %s %s", w->assign ? "assigning" : "unassigning",
			 assign_kind_name(w->kind), id_format(w->id, id));
	else if (w->what == W_AP_CONFIG)
		snprintf(buf, size, "writing ap_config");
	else
		snprintf(buf, size, "creating the mdev");
	return buf;
}

static void conflict_reason(const struct plan *p, const struct conflict *c, char *buf, size_t size)
{
	const struct ap_state *st = p->sim;
	char a[ID_STR_MAX], d[ID_STR_MAX], m[ID_STR_MAX];
	const struct mwrite *w = c->w;

	if (c->has_apqn && c->mdev >= 0) {
		snprintf(buf, size, "assigned to mdev %s%s, and an APQN belongs to one mdev at most",
			 st->mdevs[c->mdev].uuid,
			 st->mdevs[c->mdev].in_use == 1 ? " (in use by a guest)" : "");
	} else if (c->has_apqn && !kgen_has(st->kernel, KF_DYNAMIC)) {
		snprintf(buf, size, "%s; kernel %u.%u assigns only queues bound to vfio_ap",
			 apqnset_has(&st->queues, c->a, c->d) ? "not bound to vfio_ap" :
								 "no queue device",
			 st->kernel.major, st->kernel.minor);
	} else if (c->has_apqn) {
		snprintf(buf, size, "reserved for the host's default drivers (apmask bit %s and "
			 "aqmask bit %s are set)", id_format(c->a, a), id_format(c->d, d));
	} else if (c->err == -EADDRNOTAVAIL && w->what == W_ASSIGN) {
		snprintf(buf, size, "kernel %u.%u assigns %s %s only if one of its queues at least "
			 "is bound to vfio_ap, and none is", st->kernel.major, st->kernel.minor,
			 assign_kind_name(w->kind), id_format(w->id, a));
	} else if (c->err == -ENODEV && w->what == W_ASSIGN) {
		snprintf(buf, size, "%s %s is above the maximum %s ID %s of this system",
			 assign_kind_name(w->kind), id_format(w->id, a),
			 w->kind == ASSIGN_ADAPTER ? "adapter" : "domain",
			 id_format(w->kind == ASSIGN_ADAPTER ? st->max_adapter : st->max_domain, m));
	} else if (c->err == -ENODEV) {
		snprintf(buf, size, "an ID is above the maximum adapter ID %s or domain ID %s of "
			 "this system", id_format(st->max_adapter, a), id_format(st->max_domain, d));
	} else if (c->err == -EBUSY) {
		snprintf(buf, size, "the mdev is in use by a guest, and kernel %u.%u changes no mdev "
			 "in use (hot plug came with 6.0): stop the guest first",
			 st->kernel.major, st->kernel.minor);
	} else if (c->err == -EEXIST) {
		snprintf(buf, size, "an mdev with this UUID exists");
	} else if (c->err == -EUSERS || c->err == -EPERM) {
		snprintf(buf, size, "no mdev instance is left (available_instances is 0)");
	} else {
		snprintf(buf, size, "%s", strerror(-c->err));
	}
}

/* The command that removes a conflict's cause, or "" if there is none. */
static void conflict_fix(const struct plan *p, const struct conflict *c, char *buf, size_t size)
{
	const struct ap_state *st = p->sim;
	char id[ID_STR_MAX];

	buf[0] = '\0';
	if (!c->has_apqn)
		return;
	if (c->mdev >= 0) {
		bool adapter = c->w->what == W_ASSIGN && c->w->kind == ASSIGN_ADAPTER;

		snprintf(buf, size, "apctl mdev unassign %s --%s %s", st->mdevs[c->mdev].uuid,
			 adapter ? "adapters" : "domains", id_format(adapter ? c->a : c->d, id));
	}
}

/*
 * For the APQNs the host's drivers have: the smallest reservation that frees
 * them all, as one command.
 */
static void reserve_fix(const struct plan *p, char *buf, size_t size)
{
	const struct ap_state *st = p->sim;
	struct apqnset *owned = calloc(1, sizeof(*owned));
	struct reserve_plan rp;
	struct idset sa, sd, upa = idset_upto(st->max_adapter), upd = idset_upto(st->max_domain);
	char a[IDLIST_MAX], d[IDLIST_MAX];

	buf[0] = '\0';
	if (!owned)
		return;
	for (size_t i = 0; i < p->nc; i++)
		if (p->c[i].has_apqn && p->c[i].mdev < 0)
			apqnset_add(owned, p->c[i].a, p->c[i].d);
	if (!apqnset_empty(owned)) {
		sa = idset_and(&st->host.apm, &upa);
		sd = idset_and(&st->host.aqm, &upd);
		reserve_smallest(&st->apmask, &st->aqmask, &sa, &sd, owned, &rp);
		idlist_format(&rp.clear_apm, a, sizeof(a));
		idlist_format(&rp.clear_aqm, d, sizeof(d));
		snprintf(buf, size, "apctl reserve%s%s%s%s", *a ? " --adapters " : "", a,
			 *d ? " --domains " : "", d);
	}
	free(owned);
}

static void print_conflicts(FILE *f, const struct plan *p)
{
	char reason[512], fix[2 * IDLIST_MAX + 64], what[64], apqn[APQN_STR_MAX];

	for (size_t i = 0; i < p->nc; i++) {
		const struct conflict *c = &p->c[i];

		conflict_reason(p, c, reason, sizeof(reason));
		conflict_fix(p, c, fix, sizeof(fix));
		if (c->has_apqn)
			fprintf(f, "  %s  %s (%s)%s%s%s\n", apqn_format(c->a, c->d, apqn), reason,
				write_what(c->w, what, sizeof(what)), *fix ? "; run '" : "", fix,
				*fix ? "'" : "");
		else
			fprintf(f, "  %s: %s\n", write_what(c->w, what, sizeof(what)), reason);
	}
	if (kgen_has(p->sim->kernel, KF_DYNAMIC)) {
		reserve_fix(p, fix, sizeof(fix));
		if (*fix)
			fprintf(f, "  To give the host's APQNs to vfio_ap, run '%s'\n", fix);
	}
}

static struct json_object *json_conflicts(const struct plan *p)
{
	struct json_object *arr = json_object_new_array();
	char reason[512], apqn[APQN_STR_MAX];

	for (size_t i = 0; i < p->nc; i++) {
		const struct conflict *c = &p->c[i];
		struct json_object *o = json_object_new_object();

		conflict_reason(p, c, reason, sizeof(reason));
		json_object_object_add(o, "apqn", c->has_apqn ? json_object_new_string(
						   apqn_format(c->a, c->d, apqn)) : NULL);
		json_object_object_add(o, "reason", json_object_new_string(reason));
		json_object_object_add(o, "mdev", c->mdev >= 0 ?
					   json_object_new_string(p->sim->mdevs[c->mdev].uuid) : NULL);
		json_object_array_add(arr, o);
	}
	return arr;
}

/* ---- notes on what is allowed but may surprise ---- */

static void overprovisioning_notes(struct plan *p, const struct request *r)
{
	const struct ap_state *st = p->sim;
	if (!r->assign || !st->qci)
		return;
	for (int i = 0; i < 3; i++) {
		struct idset out = idset_minus(matrix_ids(&r->ids, kinds[i]),
					       matrix_ids(&st->host, kinds[i]));
		char ids[IDLIST_MAX];

		if (idset_empty(&out))
			continue;
		strlist_addf(&p->notes, "%s%s %s %s not in the host's AP configuration: %s the guest only "
		     "when %s", assign_kind_name(kinds[i]), idset_count(&out) == 1 ? "" : "s",
		     text_ids(&out, "", ids, sizeof(ids)), idset_count(&out) == 1 ? "is" : "are",
		     idset_count(&out) == 1 ? "it reaches" : "they reach",
		     idset_count(&out) == 1 ? "it appears" : "they appear");
	}
}

static void unchanged_notes(struct plan *p, const struct request *r, const struct ap_mdev *m)
{
	for (int i = 0; i < 3; i++) {
		const struct idset *have = matrix_ids(&m->matrix, kinds[i]);
		const struct idset *asked = matrix_ids(&r->ids, kinds[i]);
		struct idset same = r->assign ? idset_and(asked, have) : idset_minus(asked, have);
		char ids[IDLIST_MAX];

		if (!idset_empty(&same))
			strlist_addf(&p->notes, "%s%s %s %s %s assigned", assign_kind_name(kinds[i]),
			     idset_count(&same) == 1 ? "" : "s", text_ids(&same, "", ids, sizeof(ids)),
			     idset_count(&same) == 1 ? "is" : "are", r->assign ? "already" : "not");
	}
}

/* ---- output ---- */

static struct json_object *json_result(const struct plan *p, const struct ap_mdev *m,
				       bool dry_run)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();

	if (dry_run) {
		json_object_object_add(o, "ok", json_object_new_boolean(!p->err));
		json_object_object_add(o, "errno",
				       p->err ? json_object_new_string(errno_name(-p->err)) : NULL);
		json_object_object_add(o, "conflicts", json_conflicts(p));
	}
	json_object_object_add(o, "uuid", m ? json_object_new_string(m->uuid) : NULL);
	json_object_object_add(o, "adapters", m ? json_idset(&m->matrix.apm) : NULL);
	json_object_object_add(o, "domains", m ? json_idset(&m->matrix.aqm) : NULL);
	json_object_object_add(o, "control_domains", m ? json_idset(&m->matrix.adm) : NULL);
	json_object_object_add(o, "matrix", m ? json_apqns(&m->matrix.apm, &m->matrix.aqm) : NULL);
	json_object_object_add(o, "guest_matrix", m && m->has_guest ?
				   json_apqns(&m->guest.apm, &m->guest.aqm) : NULL);
	for (size_t i = 0; i < p->nw; i++) {
		struct json_object *w = json_object_new_object();

		json_object_object_add(w, "attribute", json_object_new_string(p->w[i].attr));
		json_object_object_add(w, "value", json_object_new_string(p->w[i].value));
		json_object_array_add(arr, w);
	}
	json_object_object_add(o, "writes", arr);
	json_object_object_add(o, "notes", json_strlist(&p->notes));
	return o;
}

static void print_matrix_lines(const struct ap_mdev *m)
{
	char a[IDLIST_MAX], d[IDLIST_MAX], c[IDLIST_MAX];
	unsigned nm = idset_count(&m->matrix.apm) * idset_count(&m->matrix.aqm);

	printf("mdev %s: adapters %s, domains %s, control domains %s\n", m->uuid,
	       text_ids(&m->matrix.apm, "none", a, sizeof(a)),
	       text_ids(&m->matrix.aqm, "none", d, sizeof(d)),
	       text_ids(&m->matrix.adm, "none", c, sizeof(c)));
	printf("  matrix        %u APQN%s\n", nm, nm == 1 ? "" : "s");
	if (m->has_guest) {
		unsigned ng = idset_count(&m->guest.apm) * idset_count(&m->guest.aqm);
		char ga[IDLIST_MAX], gd[IDLIST_MAX];

		printf("  guest_matrix  %u APQN%s%s%s%s%s\n", ng, ng == 1 ? "" : "s",
		       ng ? ": adapters " : "", ng ? text_ids(&m->guest.apm, "", ga, sizeof(ga)) : "",
		       ng ? " x domains " : "", ng ? text_ids(&m->guest.aqm, "", gd, sizeof(gd)) : "");
	}
}

static void print_dry_run(const struct plan *p, const struct request *r)
{
	const struct ap_mdev *m = p->err ? NULL : &p->sim->mdevs[p->self];

	printf("Dry run of apctl %s %s: nothing is written. The writes:\n", r->cmd, r->uuid);
	for (size_t i = 0; i < p->nw; i++)
		printf("  %s\n      %s\n", p->w[i].attr, p->w[i].value);
	for (size_t i = 0; i < p->notes.n; i++)
		printf("note: %s\n", p->notes.v[i]);
	if (p->err) {
		printf("The kernel would refuse with %s:\n", errno_name(-p->err));
		print_conflicts(stdout, p);
		return;
	}
	printf("The kernel would accept it.\n");
	if (m)
		print_matrix_lines(m);
}

/* ---- writing ---- */

static int do_write(struct sysfs *s, const char *attr, const char *value)
{
	char buf[AP_CONFIG_STR_MAX + 2];

	snprintf(buf, sizeof(buf), "%s\n", value);
	return sysfs_write(s, attr, buf, strlen(buf));
}

/*
 * Makes the writes; a failure undoes the ones made: a new mdev is removed, an
 * assignment unassigned, an unassignment assigned again. EXIT_OK or
 * EXIT_RUNTIME after saying the kernel's answer.
 */
static int make_writes(struct sysfs *s, const struct plan *p, const struct request *r,
		       bool forced)
{
	size_t k;
	int rc = 0;
	char path[256];

	for (k = 0; k < p->nw && !rc; k++)
		rc = do_write(s, p->w[k].attr, p->w[k].value);
	if (!rc)
		return EXIT_OK;
	k--;
	errmsg("writing '%s' to %s failed: %s (%s)%s", p->w[k].value,
	       sysfs_path(s, p->w[k].attr, path, sizeof(path)), errno_name(-rc), strerror(-rc),
	       forced && p->err == rc ? ", as predicted" : "");
	if (rc == -EADDRINUSE)
		errmsg("the kernel's log (dmesg) names the APQNs and the mdev that holds them");
	while (k-- > 0) {
		const struct mwrite *w = &p->w[k];
		char rel[192], id[ID_STR_MAX];
		const char *undo;
		int urc;

		if (w->what == W_CREATE) {
			urc = do_write(s, mdev_rel(r->uuid, "remove", rel, sizeof(rel)), "1");
			if (urc)
				errmsg("removing the new mdev %s failed too: %s; remove it with "
				       "'apctl mdev remove %s'", r->uuid, errno_name(-urc), r->uuid);
			else
				errmsg("removed the new mdev %s again: nothing is left of it", r->uuid);
			continue;
		}
		if (w->what != W_ASSIGN)
			continue;
		undo = assign_attr_name(w->kind, !w->assign);
		urc = do_write(s, mdev_rel(r->uuid, undo, rel, sizeof(rel)), id_format(w->id, id));
		if (urc)
			errmsg("undoing '%s' with %s failed too: %s", w->attr, undo, errno_name(-urc));
	}
	if (!r->create && p->nw > 1 && p->w[0].what == W_ASSIGN)
		errmsg("undid the writes made before: mdev %s is as it was", r->uuid);
	return EXIT_RUNTIME;
}

/* ---- create, assign, unassign ---- */

static int parse_lists(struct request *r)
{
	struct diag d;

	for (int i = 0; i < 3; i++) {
		if (!r->lists[i])
			continue;
		/* the kernel's maxima are checked as the kernel does: ENODEV */
		if (idlist_parse(r->lists[i], IDSET_MAX_ID, assign_kind_name(kinds[i]),
				 matrix_ids(&r->ids, kinds[i]), &d))
			return usage_error(r->cmd, "%s", d.msg);
	}
	return EXIT_OK;
}

static int new_uuid(char out[UUID_STR_MAX])
{
	uint8_t b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -errno;
	uuid_v4(b, out);
	return 0;
}

static int change_mdev(struct ctx *ctx, struct request *r)
{
	char uuid[UUID_STR_MAX];
	struct plan p = { 0 };
	struct change ch;
	const struct ap_mdev *m = NULL;
	int rc, i;

	rc = parse_lists(r);
	if (rc)
		return rc;
	if (!r->create && !r->lists[0] && !r->lists[1] && !r->lists[2])
		return usage_error(r->cmd, "nothing to %s: give --adapters, --domains or "
				   "--control-domains", r->assign ? "assign" : "unassign");
	if (r->uuid && !uuid_valid(r->uuid))
		return usage_error(r->cmd, "'%s' is not a UUID", r->uuid);
	if (r->uuid) {
		uuid_lower(r->uuid, uuid);
	} else if (new_uuid(uuid)) {
		errmsg("cannot make a random UUID: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	r->uuid = uuid;

	rc = change_begin(&ch, ctx, &r->change, r->cmd, STATE_OVERRIDES);
	if (rc)
		return rc;
	if (!ch.st->matrix_present) {
		errmsg("%s: vfio_ap is not loaded (%s does not exist): modprobe vfio_ap", r->cmd,
		       MATRIX_DEV);
		rc = EXIT_NOTFOUND;
		goto out;
	}
	i = state_find_mdev(ch.st, uuid);
	if (!r->create && i < 0) {
		errmsg("%s: no mdev %s under %s", r->cmd, uuid, ctx->root);
		rc = EXIT_NOTFOUND;
		goto out;
	}
	p.sim = state_dup(ch.st);
	if (!p.sim) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	p.self = i >= 0 ? (size_t)i : 0;
	if (i >= 0)
		unchanged_notes(&p, r, &ch.st->mdevs[i]);
	overprovisioning_notes(&p, r);
	plan_writes(&p, r, i >= 0 ? &ch.st->mdevs[i] : NULL);
	simulate(&p);

	if (r->change.dry_run) {
		if (ctx->json)
			json_print(stdout, json_result(&p, p.err ? NULL : &p.sim->mdevs[p.self], true));
		else
			print_dry_run(&p, r);
		rc = finish_output(p.err ? EXIT_REFUSED : EXIT_OK);
		goto out;
	}
	if (p.err && !r->change.force) {
		errmsg("refused: the kernel would refuse %s %s with %s:", r->cmd, uuid,
		       errno_name(-p.err));
		print_conflicts(stderr, &p);
		fprintf(stderr, "Nothing was written. --dry-run shows the writes; --force makes them "
			"anyway.\n");
		rc = EXIT_REFUSED;
		goto out;
	}
	for (size_t n = 0; n < p.notes.n; n++)
		errmsg("note: %s", p.notes.v[n]);
	if (!p.nw) {
		if (!ctx->json)
			printf("Nothing to change: mdev %s reads so already.\n", uuid);
		else
			json_print(stdout, json_result(&p, &ch.st->mdevs[i], false));
		rc = finish_output(EXIT_OK);
		goto out;
	}
	rc = make_writes(ch.s, &p, r, r->change.force);
	if (rc)
		goto out;
	/* what the kernel shows now */
	state_free(ch.st);
	ch.st = NULL;
	{
		struct diag d;

		if (state_read(ch.s, 0, &ch.st, &d) == 0 && (i = state_find_mdev(ch.st, uuid)) >= 0)
			m = &ch.st->mdevs[i];
	}
	if (ctx->json)
		json_print(stdout, json_result(&p, m, false));
	else if (r->create)
		printf("%s\n", uuid);
	else if (m)
		print_matrix_lines(m);
	rc = finish_output(EXIT_OK);
out:
	plan_free(&p);
	change_end(&ch);
	return rc;
}

/* ---- remove ---- */

/*
 * Removes an mdev. Where the kernel blocks the write until the guest lets go,
 * the write is made by a child, waited for up to wait_s; after that it goes
 * on without apctl. 0, -ETIMEDOUT, or the kernel's -errno.
 */
static int remove_mdev(struct sysfs *s, const char *uuid, bool blocks, unsigned wait_s,
		       pid_t *pending)
{
	char rel[192];
	pid_t pid;
	int status;
	long waited = 0;

	mdev_rel(uuid, "remove", rel, sizeof(rel));
	if (!blocks)
		return do_write(s, rel, "1");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* the write may outlive apctl: it must not hold apctl's output open */
		close(STDIN_FILENO);
		close(STDOUT_FILENO);
		close(STDERR_FILENO);
		_exit(-do_write(s, rel, "1") & 0xff);
	}
	for (;;) {
		pid_t got = waitpid(pid, &status, WNOHANG);

		if (got == pid)
			return WIFEXITED(status) ? -WEXITSTATUS(status) : -EINTR;
		if (waited >= (long)wait_s * 1000) {
			*pending = pid;
			return -ETIMEDOUT;
		}
		nanosleep(&(struct timespec){ 0, 50 * 1000000L }, NULL);
		waited += 50;
	}
}

static int cmd_mdev_remove(struct ctx *ctx, struct request *r, char **uuids, int n)
{
	struct change ch;
	struct kview_store *ks = NULL;
	int rc, refused = 0;

	if (!n)
		return usage_error(r->cmd, "give the UUID of an mdev to remove");
	for (int k = 0; k < n; k++)
		if (!uuid_valid(uuids[k]))
			return usage_error(r->cmd, "'%s' is not a UUID", uuids[k]);
	rc = change_begin(&ch, ctx, &r->change, r->cmd, 0);
	if (rc)
		return rc;
	for (int k = 0; k < n; k++) {
		if (state_find_mdev(ch.st, uuids[k]) < 0) {
			errmsg("%s: no mdev %s under %s", r->cmd, uuids[k], ctx->root);
			rc = EXIT_NOTFOUND;
			goto out;
		}
	}
	ks = state_kview(ch.st);
	if (!ks) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	for (int k = 0; k < n; k++) {
		int i = state_find_mdev(ch.st, uuids[k]), pr = rules_remove(&ks->k, (size_t)i);

		if (!pr)
			continue;
		if (r->change.dry_run || !r->change.force) {
			errmsg("%s %s: in use by a guest; %s", r->change.dry_run ? "would refuse" :
			       "refused to remove mdev", ch.st->mdevs[i].uuid,
			       pr == -EBUSY ? "this kernel refuses (EBUSY) until the guest stops" :
					      "the kernel would wait until the guest lets go of it "
					      "(hot unplug it, or stop the guest)");
			refused++;
		}
	}
	if (refused && !r->change.force) {
		if (!r->change.dry_run)
			fprintf(stderr, "Nothing was removed. --force removes anyway%s.\n",
				kgen_has(ch.st->kernel, KF_REMOVE_BLOCKS) ?
					", waiting up to --wait seconds for the guest" :
					", and the kernel answers EBUSY");
		rc = EXIT_REFUSED;
		goto out;
	}
	for (int k = 0; k < n; k++) {
		int i = state_find_mdev(ch.st, uuids[k]);
		char uuid[UUID_STR_MAX], def[192], path[256];
		pid_t pending = 0;
		bool blocks = rules_remove(&ks->k, (size_t)i) == -EINPROGRESS;

		snprintf(uuid, sizeof(uuid), "%s", ch.st->mdevs[i].uuid);
		if (r->change.dry_run) {
			printf("Dry run: would remove mdev %s%s.\n", uuid,
			       blocks ? " once its guest lets go" : "");
			continue;
		}
		rc = remove_mdev(ch.s, uuid, blocks, r->change.wait ? r->change.wait_s : 0, &pending);
		if (rc == -ETIMEDOUT) {
			errmsg("timed out after %u s waiting for the guest to let go of mdev %s; the "
			       "kernel removes it when it does (the write goes on in process %d)",
			       r->change.wait ? r->change.wait_s : 0, uuid, (int)pending);
			rc = EXIT_TIMEOUT;
			goto out;
		}
		if (rc) {
			errmsg("writing 1 to %s failed: %s (%s)",
			       sysfs_path(ch.s, mdev_rel(uuid, "remove", def, sizeof(def)), path,
					  sizeof(path)), errno_name(-rc), strerror(-rc));
			rc = EXIT_RUNTIME;
			goto out;
		}
		snprintf(def, sizeof(def), MDEVCTL_DIR "/matrix/%s", uuid);
		if (!ctx->json)
			printf("Removed mdev %s.\n", uuid);
		if (sysfs_exists(ch.s, def))
			errmsg("note: mdevctl still defines %s (%s): 'mdevctl undefine -u %s' drops "
			       "it", uuid, sysfs_path(ch.s, def, path, sizeof(path)), uuid);
	}
	if (ctx->json) {
		struct json_object *o = json_object_new_object(), *arr = json_object_new_array();

		for (int k = 0; k < n; k++)
			json_object_array_add(arr, json_object_new_string(uuids[k]));
		json_object_object_add(o, r->change.dry_run ? "would_remove" : "removed", arr);
		json_print(stdout, o);
	}
	rc = finish_output(EXIT_OK);
out:
	state_kview_free(ks);
	change_end(&ch);
	return rc;
}

/* ---- list ---- */

static int cmd_mdev_list(struct ctx *ctx)
{
	struct ap_state *st = NULL;
	size_t *order;
	int rc = load_state(ctx, 0, &st);

	if (rc)
		return rc;
	order = state_mdevs_by_uuid(st);
	if (!order) {
		state_free(st);
		errmsg("out of memory");
		return EXIT_RUNTIME;
	}
	if (ctx->json) {
		struct json_object *arr = json_object_new_array();

		for (size_t i = 0; i < st->nmdevs; i++) {
			const struct ap_mdev *m = &st->mdevs[order[i]];
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "uuid", json_object_new_string(m->uuid));
			json_object_object_add(o, "adapters", json_idset(&m->matrix.apm));
			json_object_object_add(o, "domains", json_idset(&m->matrix.aqm));
			json_object_object_add(o, "control_domains", json_idset(&m->matrix.adm));
			json_object_object_add(o, "matrix_apqns", json_object_new_int((int)(
						       idset_count(&m->matrix.apm) *
						       idset_count(&m->matrix.aqm))));
			json_object_object_add(o, "guest_matrix_apqns", m->has_guest ?
						   json_object_new_int((int)(idset_count(&m->guest.apm) *
									      idset_count(&m->guest.aqm))) :
						   NULL);
			json_object_object_add(o, "in_use", m->in_use < 0 ? NULL :
						   json_object_new_boolean(m->in_use == 1));
			json_object_array_add(arr, o);
		}
		json_print(stdout, arr);
	} else if (!st->nmdevs) {
		printf("No mdevs.\n");
	} else {
		printf("%-36s  %-16s %-20s %-20s %6s %6s  %s\n", "UUID", "ADAPTERS", "DOMAINS",
		       "CONTROL", "MATRIX", "GUEST", "IN USE");
		for (size_t i = 0; i < st->nmdevs; i++) {
			const struct ap_mdev *m = &st->mdevs[order[i]];
			char a[IDLIST_MAX], q[IDLIST_MAX], c[IDLIST_MAX], g[16];

			snprintf(g, sizeof(g), "%u", idset_count(&m->guest.apm) *
						     idset_count(&m->guest.aqm));
			printf("%-36s  %-16s %-20s %-20s %6u %6s  %s\n", m->uuid,
			       text_ids(&m->matrix.apm, "-", a, sizeof(a)),
			       text_ids(&m->matrix.aqm, "-", q, sizeof(q)),
			       text_ids(&m->matrix.adm, "-", c, sizeof(c)),
			       idset_count(&m->matrix.apm) * idset_count(&m->matrix.aqm),
			       m->has_guest ? g : "-",
			       m->in_use < 0 ? "?" : m->in_use ? "yes" : "no");
		}
	}
	free(order);
	state_free(st);
	return finish_output(EXIT_OK);
}

/* ---- the command ---- */

static const char mdev_help[] =
	"Usage: apctl mdev create [UUID] [--adapters LIST] [--domains LIST]\n"
	"                         [--control-domains LIST] [OPTIONS]\n"
	"       apctl mdev assign UUID [--adapters LIST] [--domains LIST]\n"
	"                         [--control-domains LIST] [OPTIONS]\n"
	"       apctl mdev unassign UUID [--adapters LIST] [--domains LIST]\n"
	"                         [--control-domains LIST] [OPTIONS]\n"
	"       apctl mdev remove UUID... [OPTIONS]\n"
	"       apctl mdev list [--json]\n"
	"\n"
	"Create, change, remove and list vfio_ap mediated devices. Every change is\n"
	"checked first against the kernel's rules for this system's kernel; when the\n"
	"kernel would refuse, apctl says which APQN conflicts with what and what to\n"
	"run, and writes nothing. create prints the new mdev's UUID (a random one\n"
	"when none is given).\n"
	"\n"
	"Options:\n"
	"      --adapters LIST          adapters (5,6,0x0a-0x0c)\n"
	"      --domains LIST           usage domains\n"
	"      --control-domains LIST   control domains\n"
	CHANGE_OPTIONS_HELP
	"  -j, --json                   print JSON\n"
	"  -r, --root DIR               work on the sysfs tree under DIR (default /)\n"
	"  -h, --help                   print this help\n";

int cmd_mdev(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_LONGOPTS,
		CHANGE_LONGOPTS,
		{ "adapters", required_argument, NULL, OPT_ADAPTERS },
		{ "domains", required_argument, NULL, OPT_DOMAINS },
		{ "control-domains", required_argument, NULL, OPT_CDOMS },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const subs[] = { "create", "assign", "unassign", "remove", "list" };
	char cmd[32];
	struct request r = { 0 };
	const char *sub;
	int opt, rc;
	bool known = false;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		if (argc < 2)
			return usage_error("mdev", "no mdev command given");
		return print_help(mdev_help);
	}
	sub = argv[1];
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		known |= !strcmp(sub, subs[i]);
	if (!known)
		return usage_error("mdev", "unknown mdev command '%s'", sub);
	snprintf(cmd, sizeof(cmd), "mdev %s", sub);
	r.cmd = cmd;
	r.create = !strcmp(sub, "create");
	r.assign = strcmp(sub, "unassign") != 0;
	change_opts_init(&r.change);
	argc--;
	argv++;
	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			return print_help(mdev_help);
		case OPT_ADAPTERS:
		case OPT_DOMAINS:
		case OPT_CDOMS:
			if (!strcmp(sub, "remove") || !strcmp(sub, "list"))
				return usage_error(cmd, "%s does not take %s", cmd,
						   list_opts[opt - OPT_ADAPTERS]);
			r.lists[opt - OPT_ADAPTERS] = optarg;
			break;
		default:
			rc = change_option(&r.change, cmd, opt, optarg);
			if (rc < 0)
				return EXIT_USAGE;
			if (rc > 0 && !strcmp(sub, "list"))
				return option_error(cmd, '?', argv);
			if (!rc && !common_option(ctx, opt, optarg))
				return option_error(cmd, opt, argv);
		}
	}
	argc -= optind;
	argv += optind;
	if (!strcmp(sub, "list")) {
		if (argc)
			return usage_error(cmd, "unexpected argument '%s'", argv[0]);
		return cmd_mdev_list(ctx);
	}
	if (!strcmp(sub, "remove"))
		return cmd_mdev_remove(ctx, &r, argv, argc);
	if (argc > 1 || (!r.create && argc < 1))
		return usage_error(cmd, argc > 1 ? "give one UUID" : "give the UUID of the mdev");
	r.uuid = argc ? argv[0] : NULL;
	return change_mdev(ctx, &r);
}
