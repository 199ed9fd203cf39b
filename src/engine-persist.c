/* SPDX-License-Identifier: MIT */
/*
 * The persistent side of a change. With --persistent or --persistent-only the
 * change also (or only) edits the persistent configuration: the masks of
 * 41-ap.rules and mdevctl's definitions. The configuration it leaves is
 * checked against the next boot, as ap-check checks autostart definitions and
 * more: each autostart definition it touches must come up with the rule's
 * masks (played by boot_predict(), so the maxima and the kernel's own rules
 * count) and share no APQN with another autostart definition, since mdevctl
 * would start only the one it reads first. A change of what runs only says
 * where it parts from what persists.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "engine.h"
#include "exitcodes.h"
#include "masksyntax.h"
#include "output.h"
#include "paths.h"

#define FIX_MAX (PATH_MAX + 256)

int engine_load_persist(struct engine *e)
{
	struct diag d = { "" };

	e->pers = calloc(1, sizeof(*e->pers));
	if (!e->pers) {
		errmsg("out of memory");
		return EXIT_RUNTIME;
	}
	if (!persist_read(&e->root->s, e->pers, &d))
		return EXIT_OK;
	persist_free(e->pers);
	free(e->pers);
	e->pers = NULL;
	/* a rule apctl cannot read is never overwritten */
	if (e->o.scope != SCOPE_RUNNING) {
		errmsg("%s: %s", e->command, d.msg);
		return EXIT_RUNTIME;
	}
	errmsg("warning: the persistent configuration is not checked: %s", d.msg);
	return EXIT_OK;
}

void engine_free_persist(struct engine *e)
{
	struct persist **p[] = { &e->pers, &e->next };

	for (size_t i = 0; i < 2; i++)
		if (*p[i]) {
			persist_free(*p[i]);
			free(*p[i]);
			*p[i] = NULL;
		}
}

/* The masks at boot of rule r: all ones where it sets none. */
static void boot_masks(const struct ap_rule *r, struct idset *apmask, struct idset *aqmask)
{
	idset_fill(apmask);
	idset_fill(aqmask);
	if (r && r->has_apmask)
		*apmask = r->apmask;
	if (r && r->has_aqmask)
		*aqmask = r->aqmask;
}

void engine_persistent_masks(const struct engine *e, struct idset *apmask, struct idset *aqmask)
{
	boot_masks(e->pers ? &e->pers->rule : NULL, apmask, aqmask);
}

/* The start mode of op's definition: as op or the change asks, else as it was, else manual. */
static bool start_mode(const struct engine *e, const struct change_op *op)
{
	const struct mdev_def *def = persist_find(e->pers, op->uuid);
	signed char start = op->start ? op->start : e->o.start;

	return start ? start > 0 : def && def->autostart;
}

/* What op does to the persistent configuration next. 0 or -ENOMEM. */
static int persist_op(struct engine *e, const struct change_op *o, struct persist *next)
{
	const struct mdev_def *def = persist_find(next, o->uuid);
	struct ap_matrix m = { 0 }, changed;
	int i;

	if (o->scope == SCOPE_RUNNING)
		return 0;
	switch (o->kind) {
	case OP_PMASK:
		/* apctl writes the rule in /etc, which udev reads before /run */
		aprule_set_mask(&next->rule, o->is_apmask, !o->unset, &o->mask);
		next->has_rule = next->rule.has_apmask || next->rule.has_aqmask;
		snprintf(next->rule_rel, sizeof(next->rule_rel), "%s/%s", UDEV_RULES_DIR, APRULE_NAME);
		return 0;
	case OP_CREATE:
		if (def && o->scope == SCOPE_PERSISTENT) {
			strlist_addf(&e->p.boot_conflicts, "mdevctl already defines %s", o->uuid);
			e->p.refused = true;
			return 0;
		}
		return persist_set_def(next, o->uuid, &o->ids, start_mode(e, o));
	case OP_ASSIGN:
	case OP_UNASSIGN:
		i = state_find_mdev(e->st, o->uuid);
		if (def)
			m = def->ids;
		else if (i >= 0)
			m = e->st->mdevs[i].matrix;
		matrix_edit(&m, &o->ids, o->kind == OP_ASSIGN, &changed);
		return persist_set_def(next, o->uuid, &m, start_mode(e, o));
	case OP_DEFINE:
		if (o->def)
			return persist_put_def(next, o->def, start_mode(e, o));
		return persist_set_def(next, o->uuid, &o->ids, start_mode(e, o));
	case OP_NAME:
		return persist_set_name(next, o->uuid, o->name);
	case OP_REMOVE:
		persist_drop_def(next, o->uuid);
		return 0;
	default:
		return 0;
	}
}

/* The files that turn the persistent configuration into next. 0 or -errno. */
static int persist_files(struct engine *e, const struct persist *next)
{
	const struct ap_rule *o = &e->pers->rule, *n = &next->rule;
	char rel[160], text[APRULE_MAX], *t, *u;
	int rc = 0;

	if (o->has_apmask != n->has_apmask || o->has_aqmask != n->has_aqmask ||
	    !idset_equal(&o->apmask, &n->apmask) || !idset_equal(&o->aqmask, &n->aqmask)) {
		aprule_format(n, text, sizeof(text));
		t = n->has_apmask || n->has_aqmask ? strdup(text) : NULL;
		rc = engine_add_file(e, UDEV_RULES_DIR "/" APRULE_NAME, t);
	}
	for (size_t i = 0; !rc && i < next->ndefs; i++) {
		const struct mdev_def *old = persist_find(e->pers, next->defs[i].uuid);

		t = def_format(&next->defs[i]);
		u = old ? def_format(old) : NULL;
		snprintf(rel, sizeof(rel), "%s/%s", MATRIX_DEFS_DIR, next->defs[i].uuid);
		if (!t)
			rc = -ENOMEM;
		else if (u && !strcmp(t, u))
			free(t);
		else
			rc = engine_add_file(e, rel, t);
		free(u);
	}
	for (size_t i = 0; !rc && i < e->pers->ndefs; i++)
		if (!persist_find(next, e->pers->defs[i].uuid)) {
			snprintf(rel, sizeof(rel), "%s/%s", MATRIX_DEFS_DIR, e->pers->defs[i].uuid);
			rc = engine_add_file(e, rel, NULL);
		}
	t = rc ? NULL : names_format(next);
	u = rc ? NULL : names_format(e->pers);
	if (!rc && ((t == NULL) != (u == NULL) || (t && strcmp(t, u)))) {
		rc = engine_add_file(e, NAMES_FILE, t);
		t = NULL;
	}
	free(t);
	free(u);
	return rc;
}

/* Whether the definition in file rel starts at boot now. */
static bool def_autostart(const struct engine *e, const char *rel)
{
	const struct mdev_def *def = persist_find(e->pers, strrchr(rel, '/') + 1);

	return def && def->autostart;
}

/* A configuration file that removes the rule or a definition: said, as it is easily missed. */
static void removal_warnings(struct engine *e)
{
	for (size_t i = 0; i < e->npf; i++) {
		const char *rel = e->pf[i].rel;

		if (e->pf[i].text)
			continue;
		if (!strcmp(rel, UDEV_RULES_DIR "/" APRULE_NAME))
			strlist_addf(&e->p.warnings, "the file removes %s: at boot both masks are all "
				     "ones again, and every APQN is the host's", rel);
		else if (!strncmp(rel, MATRIX_DEFS_DIR "/", strlen(MATRIX_DEFS_DIR "/")))
			strlist_addf(&e->p.warnings, "the file removes the definition of %s: mdevctl "
				     "no longer knows it%s", rel + strlen(MATRIX_DEFS_DIR "/"),
				     def_autostart(e, rel) ? " nor starts it at boot" : "");
	}
}

/*
 * What the check of the configuration a change leaves looks at, for each of
 * next's definitions: the autostart ones the change writes (all with a rule),
 * and by adapter those that have APQNs, to find the pairs that share one.
 */
struct checks {
	bool *checked;
	size_t *by_adapter[IDSET_BITS];
	size_t n[IDSET_BITS];
	size_t *seen;             /* 1 + the definition whose pairs last met it */
	size_t *cand;             /* a definition's candidates */
};

static void checks_free(struct checks *c)
{
	free(c->checked);
	free(c->seen);
	free(c->cand);
	for (unsigned a = 0; a < IDSET_BITS; a++)
		free(c->by_adapter[a]);
}

/* Whether def can share an APQN with another: an autostart one with queues. */
static bool may_share(const struct mdev_def *def)
{
	return def->autostart && !def->bad[0] && !idset_empty(&def->ids.apm) &&
	       !idset_empty(&def->ids.aqm);
}

static int checks_make(struct checks *c, const struct engine *e, const struct persist *next,
		       bool rule)
{
	size_t len = strlen(MATRIX_DEFS_DIR "/");

	memset(c, 0, sizeof(*c));
	c->checked = calloc(next->ndefs + 1, sizeof(*c->checked));
	c->seen = calloc(next->ndefs + 1, sizeof(*c->seen));
	c->cand = malloc((next->ndefs + 1) * sizeof(*c->cand));
	if (!c->checked || !c->seen || !c->cand)
		return -ENOMEM;
	for (size_t i = 0; i < e->npf; i++) {
		const struct mdev_def *def = strncmp(e->pf[i].rel, MATRIX_DEFS_DIR "/", len) ? NULL :
					     persist_find(next, e->pf[i].rel + len);

		if (def)
			c->checked[def - next->defs] = true;
	}
	for (size_t i = 0; i < next->ndefs; i++) {
		const struct mdev_def *def = &next->defs[i];

		c->checked[i] = def->autostart && !def->bad[0] && (rule || c->checked[i]);
		if (!may_share(def))
			continue;
		idset_foreach(a, &def->ids.apm) {
			size_t *more = realloc(c->by_adapter[a], (c->n[a] + 1) * sizeof(*more));

			if (!more)
				return -ENOMEM;
			c->by_adapter[a] = more;
			more[c->n[a]++] = i;
		}
	}
	return 0;
}

/* def started alone after the rule's masks: why it would not come up, as a refusal. */
static int check_start(struct engine *e, const struct persist *next, const struct mdev_def *def)
{
	struct persist one = *next;
	char fix[FIX_MAX], words[512];
	const struct boot_write *w;
	struct boot b;
	int rc;

	one.defs = (struct mdev_def *)def;
	one.ndefs = 1;
	rc = boot_predict(e->st, &one, &b);
	if (!rc && b.nstarts && !b.starts[0].started) {
		const struct boot_start *s = &b.starts[0];

		w = s->failed == BOOT_NO_WRITE ? NULL : &b.w[s->failed];
		fix[0] = '\0';
		if (!w || w->answer == -EADDRNOTAVAIL)
			boot_fix_hosted(e, next, def, w, fix, sizeof(fix));
		if (!fix[0] && strstr(s->refused, "usage domain"))
			snprintf(fix, sizeof(fix), "give it a usage domain, or let it be started by hand "
				 "(--manual)");
		strlist_addf(&e->p.boot_conflicts, "autostart definition %s would not start at "
			     "boot: %s%s%s", def->uuid, boot_start_words(&b, s, words, sizeof(words)),
			     fix[0] ? "; " : "", fix);
		e->p.refused = true;
	}
	boot_free(&b);
	return rc;
}

/* "APQN 05.0004", or "the APQNs of adapters 5,6 x domains 4". */
static void shared_words(const struct ap_matrix *m, char *buf, size_t size)
{
	char a[IDLIST_MAX], d[IDLIST_MAX], apqn[APQN_STR_MAX];

	if (idset_count(&m->apm) * idset_count(&m->aqm) == 1)
		snprintf(buf, size, "APQN %s", apqn_format((unsigned)idset_first(&m->apm),
							   (unsigned)idset_first(&m->aqm), apqn));
	else
		snprintf(buf, size, "the APQNs of adapter%s %s x domain%s %s",
			 idset_count(&m->apm) == 1 ? "" : "s", text_ids(&m->apm, "", a, sizeof(a)),
			 idset_count(&m->aqm) == 1 ? "" : "s", text_ids(&m->aqm, "", d, sizeof(d)));
}

static int by_index(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;

	return a < b ? -1 : a > b;
}

/* The definitions of next that may share an APQN with def k, in next's order: how many. */
static size_t sharing_candidates(struct checks *c, const struct persist *next, size_t k)
{
	size_t n = 0, *out = c->cand;

	idset_foreach(a, &next->defs[k].ids.apm) {
		for (size_t j = 0; j < c->n[a]; j++) {
			size_t o = c->by_adapter[a][j];

			if (o == k || c->seen[o] == k + 1)
				continue;
			c->seen[o] = k + 1;
			out[n++] = o;
		}
	}
	qsort(out, n, sizeof(*out), by_index);
	return n;
}

/* def k and the other autostart definitions: mdevctl starts only the first of two that share. */
static void check_sharing(struct engine *e, struct checks *c, const struct persist *next, size_t k)
{
	const struct mdev_def *def = &next->defs[k];
	char fix[FIX_MAX], apqns[IDLIST_MAX * 2];
	size_t n = may_share(def) ? sharing_candidates(c, next, k) : 0;

	for (size_t i = 0; i < n; i++) {
		const struct mdev_def *o = &next->defs[c->cand[i]];
		struct ap_matrix shared = { 0 };
		unsigned a, d;

		/* a pair that both are checked is said once */
		if (!matrix_shared_apqn(&def->ids, &o->ids, &a, &d) ||
		    (o < def && c->checked[c->cand[i]]))
			continue;
		shared.apm = idset_and(&def->ids.apm, &o->ids.apm);
		shared.aqm = idset_and(&def->ids.aqm, &o->ids.aqm);
		shared_words(&shared, apqns, sizeof(apqns));
		boot_fix_sharing(e, o, &shared, fix, sizeof(fix));
		strlist_addf(&e->p.boot_conflicts, "autostart definitions %s and %s both have %s: at "
			     "boot mdevctl starts only the one it reads first; %s", def->uuid, o->uuid,
			     apqns, fix);
		e->p.refused = true;
	}
}

/* The first APQN of def that the host's drivers have in ks but not in was, or false. */
static bool newly_host(const struct kview_store *ks, const struct kview_store *was,
		       const struct mdev_def *def, char apqn[APQN_STR_MAX])
{
	idset_foreach(a, &def->ids.apm)
		idset_foreach(d, &def->ids.aqm)
			if (rules_apqn_host_owned(&ks->k, (unsigned)a, (unsigned)d) &&
			    !rules_apqn_host_owned(&was->k, (unsigned)a, (unsigned)d)) {
				apqn_format((unsigned)a, (unsigned)d, apqn);
				return true;
			}
	return false;
}

/* Mask edits of what runs that give the host APQNs of an autostart definition not running. */
static void mask_warnings(struct engine *e)
{
	struct kview_store *ks = state_kview(e->p.sim), *was = state_kview(e->st);
	char apqn[APQN_STR_MAX];

	for (size_t j = 0; ks && was && j < e->pers->ndefs; j++) {
		const struct mdev_def *def = &e->pers->defs[j];

		if (def->autostart && !def->bad[0] && state_find_mdev(e->p.sim, def->uuid) < 0 &&
		    newly_host(ks, was, def, apqn))
			strlist_addf(&e->p.warnings, "APQN %s of autostart definition %s goes to the "
				     "host's default drivers: mdevctl cannot start %s until it is "
				     "reserved again", apqn, def->uuid, def->uuid);
	}
	state_kview_free(ks);
	state_kview_free(was);
}

/*
 * A change of what runs only: where the mdevs it changes part from their
 * definitions, or take APQNs of another autostart definition, and where the
 * masks part from the rule's.
 */
static void running_notes(struct engine *e)
{
	const struct ap_state *sim = e->p.sim;
	char apqn[APQN_STR_MAX];
	bool masks = false;

	for (size_t k = 0; k < e->nops; k++) {
		const struct change_op *o = &e->ops[k];
		const struct mdev_def *def = persist_find(e->pers, o->uuid);
		int i = state_find_mdev(sim, o->uuid);
		const struct ap_matrix *m = i >= 0 ? &sim->mdevs[i].matrix : NULL;

		masks |= o->kind == OP_MASK;
		if (o->kind == OP_MASK && (o->is_apmask ? e->pers->rule.has_apmask :
							  e->pers->rule.has_aqmask) &&
		    !idset_equal(&o->mask, o->is_apmask ? &e->pers->rule.apmask :
							 &e->pers->rule.aqmask))
			strlist_addf(&e->p.notes, "%s now differs from %s's: add --persistent to keep "
				     "the change beyond a reboot", o->is_apmask ? "apmask" : "aqmask",
				     e->pers->rule_rel);
		if (!m || (o->kind != OP_CREATE && o->kind != OP_ASSIGN && o->kind != OP_UNASSIGN))
			continue;
		if (def && !matrix_equal(m, &def->ids))
			strlist_addf(&e->p.notes, "mdev %s now differs from its mdevctl definition: "
				     "add --persistent to change both", o->uuid);
		for (size_t j = 0; o->kind != OP_UNASSIGN && j < e->pers->ndefs; j++) {
			const struct mdev_def *a = &e->pers->defs[j];
			unsigned ad, dd;

			if (!a->autostart || !strcmp(a->uuid, o->uuid) ||
			    !matrix_shared_apqn(m, &a->ids, &ad, &dd) || state_find_mdev(sim, a->uuid) >= 0)
				continue;
			apqn_format(ad, dd, apqn);
			strlist_addf(&e->p.warnings, "mdev %s has APQN %s of autostart definition %s: "
				     "mdevctl cannot start %s while %s runs", o->uuid, apqn, a->uuid,
				     a->uuid, o->uuid);
		}
	}
	if (masks)
		mask_warnings(e);
}

/*
 * A definition apctl cannot read is never rewritten or removed, as the rule
 * is not: 0, or -EPERM after the message when an op would touch one.
 */
static int unreadable_defs(const struct engine *e)
{
	for (size_t i = 0; i < e->nops; i++) {
		const struct change_op *o = &e->ops[i];
		const struct mdev_def *def = persist_find(e->pers, o->uuid);
		char rel[160], path[PATH_MAX];

		if (o->scope == SCOPE_RUNNING || o->kind == OP_MASK || o->kind == OP_PMASK ||
		    !def || !def->bad[0])
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", MATRIX_DEFS_DIR, def->uuid);
		errmsg("%s: %s cannot be read (%s); apctl neither rewrites nor removes a "
		       "definition it cannot read: mend it, or remove it, then run this again",
		       e->command, sysfs_path(&e->root->s, rel, path, sizeof(path)), def->bad);
		return -EPERM;
	}
	return 0;
}

int plan_persist(struct engine *e)
{
	bool rule = false, persistent = false;
	struct checks c = { 0 };
	int rc = 0;

	for (size_t i = 0; i < e->nops; i++)
		persistent |= e->ops[i].scope != SCOPE_RUNNING;
	if (!e->pers)
		return 0;
	if (!persistent) {
		running_notes(e);
		return 0;
	}
	rc = unreadable_defs(e);
	if (rc)
		return rc;
	/* planned anew each time */
	engine_free_files(e);
	if (e->next) {
		persist_free(e->next);
		free(e->next);
	}
	e->next = calloc(1, sizeof(*e->next));
	if (!e->next || persist_copy(e->pers, e->next))
		return -ENOMEM;
	for (size_t i = 0; !rc && i < e->nops; i++) {
		rule |= e->ops[i].kind == OP_PMASK;
		rc = persist_op(e, &e->ops[i], e->next);
	}
	if (!rc)
		rc = persist_files(e, e->next);
	if (!rc && e->from_file)
		removal_warnings(e);
	if (!rc && rule) {
		struct idset was_apm, was_aqm, apm, aqm;

		engine_persistent_masks(e, &was_apm, &was_aqm);
		boot_masks(&e->next->rule, &apm, &aqm);
		note_default_domain(e, &was_apm, &was_aqm, &apm, &aqm, "at boot, ");
	}
	if (!rc)
		rc = checks_make(&c, e, e->next, rule);
	for (size_t i = 0; !rc && i < e->next->ndefs; i++) {
		if (!c.checked[i])
			continue;
		rc = check_start(e, e->next, &e->next->defs[i]);
		check_sharing(e, &c, e->next, i);
	}
	checks_free(&c);
	return rc;
}
