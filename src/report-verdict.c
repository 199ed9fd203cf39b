/* SPDX-License-Identifier: MIT */
/*
 * The verdict of a change: why each conflict is one, with a command that can
 * be pasted as it stands to remove its cause; the writes; the masks and APQNs
 * that move; the mdevs as they are or would be.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conffile.h"
#include "errnames.h"
#include "masksyntax.h"
#include "output.h"
#include "report.h"

#define REASON_MAX 640

static const struct pwrite *conflict_write(const struct engine *e, const struct conflict *c)
{
	return &e->p.w[c->w];
}

/* "assigning domain 0xab", "writing ap_config", ... */
static const char *write_what(const struct pwrite *w, char *buf, size_t size)
{
	char id[ID_STR_MAX];

	switch (w->what.kind) {
	case KS_ASSIGN:
		snprintf(buf, size, "%s %s %s", w->what.assign ? "assigning" : "unassigning",
			 assign_kind_name(w->what.akind), id_format(w->what.id, id));
		break;
	case KS_AP_CONFIG:
		snprintf(buf, size, "writing ap_config");
		break;
	case KS_CREATE:
		snprintf(buf, size, "creating the mdev");
		break;
	case KS_REMOVE:
		snprintf(buf, size, "removing mdev %s", w->what.uuid);
		break;
	default:
		snprintf(buf, size, "writing %s", w->what.is_apmask ? "apmask" : "aqmask");
		break;
	}
	return buf;
}

/* Why an APQN stops a mask write. */
static void mask_reason(const struct engine *e, const struct conflict *c, char *buf, size_t size)
{
	const struct pwrite *w = conflict_write(e, c);
	const char *mask = w->what.is_apmask ? "apmask" : "aqmask";
	unsigned bit = w->what.is_apmask ? c->a : c->d;
	char id[ID_STR_MAX], other[ID_STR_MAX], who[128];
	struct kgen all = kfeature_since(KF_INUSE_ALL_BITS);
	int n;

	n = snprintf(buf, size, "assigned to mdev %s%s%s; %s bit %s would give it to the host's "
		     "default drivers", c->holder, c->holder_in_use ? ", " : "",
		     c->holder_in_use ? guest_words_of(e->st, c->holder, who, sizeof(who)) : "",
		     mask, id_format(bit, id));
	if (!c->moves && n > 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, " (it stays with vfio_ap, as %s bit %s is 0, but "
			 "kernel %u.%u and later refuse the write while an mdev holds any APQN of %s "
			 "%s)", w->what.is_apmask ? "aqmask" : "apmask",
			 id_format(w->what.is_apmask ? c->d : c->a, other), all.major, all.minor,
			 w->what.is_apmask ? "adapter" : "domain", id);
}

static void apqn_reason(const struct engine *e, const struct conflict *c, char *buf, size_t size)
{
	const struct ap_state *st = e->st;
	char a[ID_STR_MAX], d[ID_STR_MAX], who[128];

	if (*c->holder)
		snprintf(buf, size, "assigned to mdev %s%s%s%s, and an APQN belongs to one mdev at most",
			 c->holder, c->holder_in_use ? " (" : "",
			 c->holder_in_use ? guest_words_of(st, c->holder, who, sizeof(who)) : "",
			 c->holder_in_use ? ")" : "");
	else if (!kgen_has(st->kernel, KF_DYNAMIC))
		snprintf(buf, size, "%s; kernel %u.%u assigns only queues bound to vfio_ap",
			 apqnset_has(&st->queues, c->a, c->d) ? "not bound to vfio_ap" :
								"no queue device",
			 st->kernel.major, st->kernel.minor);
	else if (state_find_override(st, c->a, c->d) >= 0)
		snprintf(buf, size, "bound to a default driver, which its driver_override names");
	else
		snprintf(buf, size, "reserved for the host's default drivers (apmask bit %s and "
			 "aqmask bit %s are set)", id_format(c->a, a), id_format(c->d, d));
}

/* Whether adapter (or domain) id has a queue device. */
static bool has_queue(const struct ap_state *st, bool adapter, unsigned id)
{
	for (unsigned x = 0; x < IDSET_BITS; x++)
		if (adapter ? apqnset_has(&st->queues, id, x) : apqnset_has(&st->queues, x, id))
			return true;
	return false;
}

/* A refusal of a write that names no APQN. */
static void write_reason(const struct engine *e, const struct conflict *c, char *buf,
			 size_t size)
{
	const struct ap_state *st = e->st;
	const struct pwrite *w = conflict_write(e, c);
	char a[ID_STR_MAX], m[ID_STR_MAX], who[128];

	if (w->what.kind == KS_MASK && c->err == -EINVAL && st->noverrides)
		snprintf(buf, size, "queue %02x.%04x has a driver_override, and while a queue has "
			 "one the kernel refuses every mask write (EINVAL); clear it first with an "
			 "empty write to its driver_override", st->overrides[0].adapter,
			 st->overrides[0].domain);
	else if (w->what.kind == KS_REMOVE)
		snprintf(buf, size, "%s; %s", guest_words_of(st, w->what.uuid, who, sizeof(who)),
			 c->err == -EBUSY ?
			 "this kernel refuses (EBUSY) until the guest stops" :
			 "the kernel would wait until the guest lets go of it (hot unplug it, or "
			 "stop the guest)");
	else if (c->err == -EADDRNOTAVAIL && w->what.kind == KS_ASSIGN)
		snprintf(buf, size, "kernel %u.%u assigns %s %s only if one of its queues at least "
			 "is bound to vfio_ap, and %s", st->kernel.major, st->kernel.minor,
			 assign_kind_name(w->what.akind), id_format(w->what.id, a),
			 has_queue(st, w->what.akind == ASSIGN_ADAPTER, w->what.id) ? "none is" :
			 "it has no queue device");
	else if (c->err == -ENODEV && w->what.kind == KS_ASSIGN)
		snprintf(buf, size, "%s %s is above the maximum %s ID %s of this system",
			 assign_kind_name(w->what.akind), id_format(w->what.id, a),
			 w->what.akind == ASSIGN_ADAPTER ? "adapter" : "domain",
			 id_format(w->what.akind == ASSIGN_ADAPTER ? st->max_adapter : st->max_domain, m));
	else if (c->err == -ENODEV)
		snprintf(buf, size, "an ID is above the maximum adapter ID %s or domain ID %s of "
			 "this system", id_format(st->max_adapter, a), id_format(st->max_domain, m));
	else if (c->err == -EBUSY)
		snprintf(buf, size, "the mdev is in use by a guest, and kernel %u.%u changes no mdev "
			 "in use (hot plug came with 6.0): stop the guest first", st->kernel.major,
			 st->kernel.minor);
	else if (c->err == -EEXIST)
		snprintf(buf, size, "an mdev with this UUID exists");
	else if (c->err == -EUSERS || c->err == -EPERM)
		snprintf(buf, size, "no mdev instance is left (available_instances is 0)");
	else
		snprintf(buf, size, "%s", strerror(-c->err));
}

static void conflict_reason(const struct engine *e, const struct conflict *c, char *buf,
			    size_t size)
{
	if (!c->has_apqn)
		write_reason(e, c, buf, size);
	else if (conflict_write(e, c)->what.kind == KS_MASK)
		mask_reason(e, c, buf, size);
	else
		apqn_reason(e, c, buf, size);
}

/* The fix of a conflict, or NULL. */
static const struct fix *fix_of(const struct engine *e, const struct conflict *c)
{
	return c->fix >= 0 && (size_t)c->fix < e->p.nfixes ? &e->p.fixes[c->fix] : NULL;
}

/* The APQNs of the conflicts that fix k mends, as "05.0004, 06.0004". */
static void fix_apqns(const struct engine *e, size_t k, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < e->p.nc && n + APQN_STR_MAX + 3 < size; i++) {
		const struct conflict *c = &e->p.c[i];
		char apqn[APQN_STR_MAX];

		if (c->fix != (int)k || !c->has_apqn)
			continue;
		apqn_format(c->a, c->d, apqn);
		if (strstr(buf, apqn))
			continue;
		n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? ", " : "", apqn);
	}
}

/* Each fix once, with the APQNs it mends and what else it does. */
static void text_fixes(FILE *f, const struct engine *e)
{
	char apqns[512];

	for (size_t k = 0; k < e->p.nfixes; k++) {
		const struct fix *x = &e->p.fixes[k];

		fix_apqns(e, k, apqns, sizeof(apqns));
		fprintf(f, "  %s%s%srun '%s'%s%s%s\n", *apqns ? "for " : "", apqns,
			*apqns ? ", " : "", x->cmd, *x->note ? " (" : "", x->note,
			*x->note ? ")" : "");
	}
}

static bool mask_plan(const struct engine *e)
{
	return e->p.nc && conflict_write(e, &e->p.c[0])->what.kind == KS_MASK;
}

/* Mask conflicts, one group per write and mdev: its APQNs, the bits, one fix. */
static void text_mask_conflicts(FILE *f, const struct engine *e)
{
	char reason[REASON_MAX], apqn[APQN_STR_MAX], who[128];

	for (size_t i = 0; i < e->p.nc; i++) {
		const struct conflict *c = &e->p.c[i];
		const struct pwrite *w = conflict_write(e, c);
		struct idset ids = { { 0 } };
		bool first = true;

		if (!c->has_apqn) {
			conflict_reason(e, c, reason, sizeof(reason));
			fprintf(f, "  %s\n", reason);
			continue;
		}
		/* the group of (write, mdev) starts at its first conflict */
		for (size_t k = 0; k < i && first; k++)
			first = !(e->p.c[k].w == c->w && !strcmp(e->p.c[k].holder, c->holder));
		if (!first)
			continue;
		fprintf(f, "  mdev %s%s%s%s:\n", c->holder, c->holder_in_use ? " (" : "",
			c->holder_in_use ? guest_words_of(e->st, c->holder, who, sizeof(who)) : "",
			c->holder_in_use ? ")" : "");
		for (size_t k = i; k < e->p.nc; k++) {
			const struct conflict *g = &e->p.c[k];

			if (g->w != c->w || strcmp(g->holder, c->holder))
				continue;
			idset_add(&ids, w->what.is_apmask ? g->a : g->d);
			mask_reason(e, g, reason, sizeof(reason));
			fprintf(f, "    %s  %s\n", apqn_format(g->a, g->d, apqn),
				strchr(reason, ';') + 2);
		}
		if (fix_of(e, c))
			fprintf(f, "    run '%s'\n", fix_of(e, c)->cmd);
	}
}

static void text_mdev_conflicts(FILE *f, const struct engine *e)
{
	char reason[REASON_MAX], what[96], apqn[APQN_STR_MAX];

	for (size_t i = 0; i < e->p.nc; i++) {
		const struct conflict *c = &e->p.c[i];

		conflict_reason(e, c, reason, sizeof(reason));
		write_what(conflict_write(e, c), what, sizeof(what));
		if (c->has_apqn)
			fprintf(f, "  %s  %s (%s)\n", apqn_format(c->a, c->d, apqn), reason, what);
		else
			fprintf(f, "  %s: %s\n", what, reason);
	}
	text_fixes(f, e);
}

static bool only_removals(const struct engine *e)
{
	for (size_t i = 0; i < e->p.nc; i++)
		if (conflict_write(e, &e->p.c[i])->what.kind != KS_REMOVE)
			return false;
	return e->p.nc > 0;
}

/* The option that writes all the same: plan has none, apply has it. */
static const char *force_words(const struct engine *e)
{
	return strcmp(e->command, "plan") ? "--force" : "apply with --force";
}

/* What --force would do, or that the kernel refuses all the same. */
static void text_force(FILE *f, const struct engine *e)
{
	const struct ap_state *st = e->st;
	const char *done = e->o.dry_run ? "" : "Nothing was written. ", *force = force_words(e);

	if (only_removals(e))
		fprintf(f, "%s%s removes anyway%s.\n", e->o.dry_run ? "" : "Nothing was removed. ", force,
			e->p.err == -EBUSY ? ", and the kernel answers EBUSY" :
					     ", waiting up to --wait seconds for the guest");
	else if (e->p.err)
		/* the kernel itself refuses: --force would only see it do so */
		fprintf(f, "%sThe kernel refuses %s (%s) as long as the above stands.\n", done,
			mask_plan(e) ? "this write" : "these writes", errno_name(-e->p.err));
	else if (mask_plan(e))
		fprintf(f, "%s%s writes anyway: kernel %u.%u does not protect the guests' "
			"queues.\n", done, force, st->kernel.major, st->kernel.minor);
	else
		fprintf(f, "%s%s makes the writes anyway.\n", done, force);
}

void text_refusal_reasons(FILE *f, const struct engine *e)
{
	const char *lead = "apctl: refused";

	if (e->p.host_differs.n) {
		fprintf(f, "%s: %s: this host's cards are not those the file's mdevs used:\n",
			lead, e->command);
		for (size_t i = 0; i < e->p.host_differs.n; i++)
			fprintf(f, "  %s\n", e->p.host_differs.v[i]);
		if (!e->p.nc && !e->p.boot_conflicts.n)
			return;
	}
	if (e->p.boot_conflicts.n && !e->p.nc) {
		fprintf(f, "%s: %s would leave a persistent configuration that fails at boot:\n",
			lead, e->command);
		for (size_t i = 0; i < e->p.boot_conflicts.n; i++)
			fprintf(f, "  %s\n", e->p.boot_conflicts.v[i]);
		return;
	}
	if (only_removals(e))
		fprintf(f, "%s: %s:\n", lead, e->command);
	else if (mask_plan(e) && e->p.err != -EINVAL)
		fprintf(f, "%s: the %s would take APQNs from mdevs:\n", lead, e->command);
	else if (e->p.err)
		fprintf(f, "%s: the kernel would refuse %s with %s:\n", lead, e->command,
			errno_name(-e->p.err));
	else
		fprintf(f, "%s: %s:\n", lead, e->command);
	text_conflicts(f, e);
}

void text_refusal(FILE *f, const struct engine *e)
{
	text_refusal_reasons(f, e);
	if ((e->p.boot_conflicts.n || e->p.host_differs.n) && !e->p.nc)
		fprintf(f, "%s%s writes it anyway.\n", e->o.dry_run ? "" : "Nothing was written. ",
			force_words(e));
	else
		text_force(f, e);
}

void text_conflicts(FILE *f, const struct engine *e)
{
	for (size_t i = 0; i < e->p.boot_conflicts.n; i++)
		fprintf(f, "  %s\n", e->p.boot_conflicts.v[i]);
	if (!e->p.nc)
		return;
	if (mask_plan(e))
		text_mask_conflicts(f, e);
	else
		text_mdev_conflicts(f, e);
}

/* ---- JSON ---- */

static struct json_object *json_mask(const struct idset *old, const struct idset *new_)
{
	struct json_object *o = json_object_new_object();
	char hex[IDSET_HEX_LEN], edit[MASK_EDIT_MAX];

	idset_to_hex(old, hex);
	json_object_object_add(o, "old", json_object_new_string(hex));
	idset_to_hex(new_, hex);
	json_object_object_add(o, "new", json_object_new_string(hex));
	mask_edit_format(old, new_, MASK_EDIT_ALL, edit, sizeof(edit));
	json_object_object_add(o, "edit", edit[0] ? json_object_new_string(edit) : NULL);
	return o;
}

static struct json_object *json_writes(const struct engine *e)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < e->p.nw; i++) {
		const struct pwrite *w = &e->p.w[i];
		const char *v = w->je.w.value;
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "attribute", json_object_new_string(w->je.w.attr));
		json_object_object_add(o, "value", json_object_new_string_len(v, (int)strcspn(v,
											    "\n")));
		json_object_object_add(o, "predicted", !w->predicted ? NULL :
					   json_object_new_string(w->predicted == -EINPROGRESS ?
								  "waits for the guest" :
								  errno_name(-w->predicted)));
		json_object_array_add(arr, o);
	}
	return arr;
}

static struct json_object *json_conflicts(const struct engine *e)
{
	struct json_object *arr = json_object_new_array();
	char reason[REASON_MAX], apqn[APQN_STR_MAX];

	for (size_t i = 0; i < e->p.nc; i++) {
		const struct conflict *c = &e->p.c[i];
		const struct fix *x = fix_of(e, c);
		struct json_object *o = json_object_new_object();

		conflict_reason(e, c, reason, sizeof(reason));
		json_object_object_add(o, "apqn", c->has_apqn ?
					   json_object_new_string(apqn_format(c->a, c->d, apqn)) : NULL);
		json_object_object_add(o, "reason", json_object_new_string(reason));
		json_object_object_add(o, "mdev", *c->holder ? json_object_new_string(c->holder) :
							       NULL);
		json_object_object_add(o, "errno", c->err ? json_object_new_string(
							  errno_name(-c->err)) : NULL);
		json_object_object_add(o, "fix", x ? json_object_new_string(x->cmd) : NULL);
		json_object_array_add(arr, o);
	}
	return arr;
}

/* The mask keys: both masks, the APQNs that move, what the AP bus still owes. */
static void json_masks(struct json_object *o, const struct engine *e)
{
	const struct plan *p = &e->p;

	json_object_object_add(o, "apmask", json_mask(&e->st->apmask, &p->apmask));
	json_object_object_add(o, "aqmask", json_mask(&e->st->aqmask, &p->aqmask));
	json_object_object_add(o, "to_vfio", json_apqnset(p->to_vfio));
	json_object_object_add(o, "to_host", json_apqnset(p->to_host));
	if (e->asked) {
		struct apqnset *others = malloc(sizeof(*others));

		if (others) {
			apqnset_minus(others, p->to_vfio, e->asked);
			json_object_object_add(o, "also_moved", json_apqnset(others));
			free(others);
		}
	}
	json_object_object_add(o, "pending", e->pending ? json_apqnset(e->pending) :
							  json_object_new_array());
}

/*
 * The mdev an operation is about: as the kernel has it (or would have it);
 * for a refused change, as it was asked for.
 */
static void target_mdev(const struct engine *e, const struct change_op *o, struct ap_mdev *m)
{
	const struct ap_mdev *now = engine_mdev(e, o->uuid);
	int i = state_find_mdev(e->st, o->uuid);
	struct ap_matrix changed;

	if (now && (!e->p.refused || e->written)) {
		*m = *now;
		return;
	}
	memset(m, 0, sizeof(*m));
	uuid_lower(o->uuid, m->uuid);
	m->in_use = -1;
	if (i >= 0 && o->kind != OP_CREATE)
		m->matrix = e->st->mdevs[i].matrix;
	matrix_edit(&m->matrix, &o->ids, o->kind != OP_UNASSIGN, &changed);
}

/* The mdev keys at the top, for a change of one mdev; "removed" for removals. */
static void json_mdevs(struct json_object *o, const struct engine *e)
{
	struct json_object *removed = NULL;

	for (size_t i = 0; i < e->nops; i++) {
		const struct change_op *op = &e->ops[i];
		struct ap_mdev m;
		struct json_object *mo;

		if (op->kind == OP_REMOVE) {
			if (!removed)
				removed = json_object_new_array();
			json_object_array_add(removed, json_object_new_string(op->uuid));
			continue;
		}
		if (op->kind == OP_MASK || e->nops != 1)
			continue;
		target_mdev(e, op, &m);
		mo = json_mdev(NULL, &m);
		json_object_object_foreach(mo, key, val)
			json_object_object_add(o, key, json_object_get(val));
		json_object_put(mo);
	}
	if (removed)
		json_object_object_add(o, "removed", removed);
}

/* The persistent files the change writes or removes. */
static struct json_object *json_files(const struct engine *e)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < e->npf; i++) {
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "path", json_object_new_string(e->pf[i].rel));
		json_object_object_add(f, "action",
				       json_object_new_string(e->pf[i].text ? "write" : "remove"));
		json_object_array_add(arr, f);
	}
	return arr;
}

/*
 * A configuration file's change: the configuration as apctl export prints it
 * before the change and as the plan leaves it (the same for a dry run and a
 * run, so that what Ansible shows in check mode is what it makes).
 */
static void json_configs(struct json_object *o, const struct engine *e)
{
	struct strlist skipped = { 0 };

	if (!e->from_file || !e->pers || !e->p.sim)
		return;
	json_object_object_add(o, "before", config_export(e->st, e->pers, &skipped));
	json_object_object_add(o, "after", config_export(e->p.sim, e->next ? e->next : e->pers,
							 &skipped));
	strlist_free(&skipped);
}

/* The guests that lose queues now: their mdev, their name, the APQNs. */
static struct json_object *json_guest_losses(const struct engine *e)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < e->p.nguest_lost; i++) {
		const struct ap_mdev *m = &e->st->mdevs[i];
		struct json_object *o;

		if (!e->p.guest_lost[i])
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "mdev", json_object_new_string(m->uuid));
		json_object_object_add(o, "guest", m->guest_name[0] ?
						   json_object_new_string(m->guest_name) : NULL);
		json_object_object_add(o, "apqns", json_apqnset(e->p.guest_lost[i]));
		json_object_array_add(a, o);
	}
	return a;
}

struct json_object *json_verdict(const struct engine *e)
{
	struct json_object *o = json_object_new_object();
	bool masks = false;

	json_object_object_add(o, "command", json_object_new_string(e->command));
	json_object_object_add(o, "dry_run", json_object_new_boolean(e->o.dry_run));
	json_object_object_add(o, "ok", json_object_new_boolean(!e->p.refused));
	json_object_object_add(o, "errno", e->p.err ? json_object_new_string(
						errno_name(-e->p.err)) : NULL);
	json_object_object_add(o, "written", json_object_new_boolean(e->written));
	json_object_object_add(o, "writes", json_writes(e));
	json_object_object_add(o, "files", json_files(e));
	json_object_object_add(o, "boot_conflicts", json_strlist(&e->p.boot_conflicts));
	json_object_object_add(o, "host_differs", json_strlist(&e->p.host_differs));
	json_object_object_add(o, "conflicts", json_conflicts(e));
	json_object_object_add(o, "notes", json_strlist(&e->p.notes));
	json_object_object_add(o, "warnings", json_strlist(&e->p.warnings));
	json_object_object_add(o, "guest_losses", json_guest_losses(e));
	json_object_object_add(o, "pending_removals", json_strlist(&e->pending_removals));
	for (size_t i = 0; i < e->nops; i++)
		masks |= e->ops[i].kind == OP_MASK;
	if (masks)
		json_masks(o, e);
	json_mdevs(o, e);
	json_configs(o, e);
	return o;
}
