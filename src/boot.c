/* SPDX-License-Identifier: MIT */
#include "boot.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apcheck.h"
#include "errnames.h"
#include "grow.h"
#include "kmodel.h"
#include "kstore.h"
#include "masksyntax.h"
#include "paths.h"

/* Appends a write to b and makes it: its answer, or -ENOMEM. */
static int play(struct boot *b, const struct boot_host *h, size_t def, const char *attr,
		const char *val)
{
	struct boot_write *more = grow(b->w, &b->capw, b->nw, sizeof(*more)), *w;

	if (!more)
		return -ENOMEM;
	b->w = more;
	w = memset(&b->w[b->nw++], 0, sizeof(*w));
	snprintf(w->attr, sizeof(w->attr), "%s", attr);
	snprintf(w->val, sizeof(w->val), "%s", val);
	w->def = def;
	w->answer = h->write(h->ctx, attr, val);
	return w->answer;
}

/* The rule's mask writes, as udev makes them: each value as it stands, in the rule's order. */
static int play_masks(const struct persist *p, const struct boot_host *h, struct boot *b)
{
	const struct ap_rule *r = &p->rule;
	int rc = 0;

	/* /run is cleared at boot: a rule there is made again only by chzdev's auto-configuration */
	if (p->has_rule && !strncmp(p->rule_rel, "run/", 4))
		return 0;
	for (size_t i = 0; i < r->nwrites && rc != -ENOMEM; i++)
		rc = play(b, h, BOOT_NO_DEF, r->writes[i].is_apmask ? AP_BUS "/apmask" :
								  AP_BUS "/aqmask",
			  r->writes[i].value);
	return rc == -ENOMEM ? rc : 0;
}

/* ap-check's answer to the start of def, as it reads def and the running state. */
static int ap_check(const struct mdev_def *def, const struct ap_state *st, char *why, size_t size)
{
	struct apcheck_ids ids = { 0 };
	struct apcheck_mdev *active = calloc(st->nmdevs + 1, sizeof(*active));
	int rc;

	if (!active) {
		snprintf(why, size, "out of memory");
		return 1;
	}
	for (size_t i = 0; i < def->nattrs; i++)
		apcheck_add_attr(&ids, def->attrs[i].name, def->attrs[i].value);
	for (size_t i = 0; i < st->nmdevs; i++)
		active[i] = (struct apcheck_mdev){ st->mdevs[i].uuid, &st->mdevs[i].matrix };
	rc = apcheck_start(def->uuid, &ids, active, st->nmdevs, &st->apmask, &st->aqmask, why,
			   size);
	free(active);
	return rc;
}

/*
 * The callout mdevctl runs before it starts def: the first one that handles
 * its type (the others exit 2). Whether it refuses, with whose words in
 * s->refused.
 */
static bool callout_refuses(const struct persist *p, const struct mdev_def *def,
			    const struct boot_host *h, struct boot_start *s)
{
	bool vfio = !strcmp(def->type, MDEV_TYPE_NAME);
	char why[256];

	for (size_t i = 0; i < p->ncallouts; i++) {
		const struct callout *c = &p->callouts[i];
		const char *name = strrchr(c->rel, '/') + 1;

		switch (c->kind) {
		case CALLOUT_AP_CHECK_MISSING:
			snprintf(s->refused, sizeof(s->refused), "callout %s fails every start: the "
				 "ap-check it calls is not installed", name);
			return true;
		case CALLOUT_AP_CHECK:
		case CALLOUT_APCTL:
			if (!vfio)
				continue;
			/*
			 * apctl's callout asks ap-check first where that is installed, then
			 * refuses what the kernel would: the writes tell
			 */
			if (c->kind == CALLOUT_APCTL && !p->ap_check_installed)
				return false;
			if (h->state && ap_check(def, h->state(h->ctx), why, sizeof(why))) {
				snprintf(s->refused, sizeof(s->refused), "callout %s refuses: %s%s",
					 name, c->kind == CALLOUT_APCTL ? "ap-check: " : "", why);
				return true;
			}
			return false;
		default:
			continue;
		}
	}
	return false;
}

/* mdevctl start of definition d: callout, type, create, one write per attribute, remove on failure. */
static int play_start(const struct persist *p, size_t d, const struct boot_host *h, struct boot *b)
{
	const struct mdev_def *def = &p->defs[d];
	struct boot_start *s = &b->starts[b->nstarts++];
	char attr[sizeof(b->w[0].attr)];
	int rc;

	memset(s, 0, sizeof(*s));
	s->def = d;
	s->failed = BOOT_NO_WRITE;
	if (callout_refuses(p, def, h, s))
		return 0;
	if (strcmp(def->type, MDEV_TYPE_NAME)) {
		snprintf(s->refused, sizeof(s->refused), "mdevctl refuses: parent matrix does not "
			 "support mdev type %s", def->type);
		return 0;
	}
	rc = play(b, h, d, MDEV_TYPE "/create", def->uuid);
	for (size_t i = 0; !rc && i < def->nattrs; i++) {
		snprintf(attr, sizeof(attr), "%s/%s/%s", MATRIX_DEV, def->uuid, def->attrs[i].name);
		rc = play(b, h, d, attr, def->attrs[i].value);
		if (rc && rc != -ENOMEM) {
			s->failed = b->nw - 1;
			snprintf(attr, sizeof(attr), "%s/%s/remove", MATRIX_DEV, def->uuid);
			return play(b, h, d, attr, "1") == -ENOMEM ? -ENOMEM : 0;
		}
	}
	if (rc == -ENOMEM)
		return rc;
	s->started = !rc;
	if (rc)
		s->failed = b->nw - 1;
	return 0;
}

/* What the boot depends on that apctl cannot see in the files. */
static void boot_notes(const struct persist *p, struct boot *b)
{
	bool autostart = false;

	for (size_t d = 0; d < p->ndefs; d++)
		autostart |= p->defs[d].autostart;
	if (p->has_rule && !strncmp(p->rule_rel, "run/", 4))
		strlist_addf(&b->notes, "%s is in /run, which the boot clears: its masks are written "
			     "only if chzdev's auto-configuration makes it again", p->rule_rel);
	if (!autostart)
		return;
	if (!p->rule.loads_vfio_ap && p->vfio_ap_loader[0] && p->rule.nwrites)
		strlist_addf(&b->notes, "%s loads vfio_ap early in the boot, not 41-ap.rules after "
			     "its masks: mdevctl may start the definitions before udev writes the "
			     "masks, and then a definition whose APQNs they reserve fails",
			     p->vfio_ap_loader);
	else if (!(p->rule.loads_vfio_ap && p->has_rule) && !p->vfio_ap_loader[0])
		strlist_addf(&b->notes, "nothing in 41-ap.rules or modules-load.d loads vfio_ap: "
			     "mdevctl starts the definitions only if vfio_ap is loaded by other means "
			     "(built into the kernel, the initramfs, a service)");
	for (size_t i = 0; i < p->ncallouts; i++)
		if (p->callouts[i].kind == CALLOUT_OTHER)
			strlist_addf(&b->notes, "mdevctl also runs callout %s, which apctl does not "
				     "know: if it handles vfio_ap-passthrough, its answer decides",
				     p->callouts[i].rel);
}

int boot_play(const struct persist *p, const struct boot_host *h, struct boot *b)
{
	int rc;

	memset(b, 0, sizeof(*b));
	b->blocked = BOOT_NO_DEF;
	b->starts = calloc(p->ndefs + 1, sizeof(*b->starts));
	if (!b->starts)
		return -ENOMEM;
	boot_notes(p, b);
	rc = play_masks(p, h, b);
	if (!rc && h->wait)
		h->wait(h->ctx);
	/* mdevctl reads every definition of matrix before it starts one */
	for (size_t d = 0; d < p->ndefs && b->blocked == BOOT_NO_DEF; d++)
		if (p->defs[d].stops_mdevctl)
			b->blocked = d;
	for (size_t d = 0; !rc && b->blocked == BOOT_NO_DEF && d < p->ndefs; d++)
		if (p->defs[d].autostart && !p->defs[d].stops_mdevctl)
			rc = play_start(p, d, h, b);
	return rc;
}

/* ---- the prediction ---- */

/* The first APQN that assigning id of kind to mdev i adds and the host's drivers have. */
static bool host_apqn(const struct ap_state *st, size_t i, enum assign_kind kind, unsigned id,
		      unsigned *a, unsigned *d)
{
	struct kview_store *ks = state_kview(st);
	struct ap_matrix m = st->mdevs[i].matrix;
	bool found = false;

	if (!ks)
		return false;
	if (kind == ASSIGN_CONTROL_DOMAIN)
		goto out;
	idset_add(matrix_ids(&m, kind), id);
	idset_foreach(x, &m.apm)
		idset_foreach(y, &m.aqm)
			if (!found && rules_apqn_host_owned(&ks->k, (unsigned)x, (unsigned)y)) {
				*a = (unsigned)x;
				*d = (unsigned)y;
				found = true;
			}
out:
	state_kview_free(ks);
	return found;
}

/*
 * Before 6.0: an assignment needs, for every ID of the other kind assigned,
 * the queue bound to vfio_ap (with none assigned, one of its queues at least).
 */
static void explain_unbound(const struct ap_state *st, struct boot_write *w, size_t i,
			    bool adapter, unsigned id)
{
	const struct idset *other = adapter ? &st->mdevs[i].matrix.aqm : &st->mdevs[i].matrix.apm;
	char apqn[APQN_STR_MAX], k[ID_STR_MAX];
	bool any = false;

	for (unsigned x = 0; x < IDSET_BITS; x++) {
		unsigned a = adapter ? id : x, d = adapter ? x : id;

		if ((!idset_empty(other) && !idset_has(other, x)) || !apqnset_has(&st->queues, a, d))
			continue;
		any = true;
		if (state_queue_driver(st, a, d) == QDRV_VFIO)
			continue;
		w->has_apqn = true;
		w->a = a;
		w->d = d;
		snprintf(w->why, sizeof(w->why), "queue %s is not bound to vfio_ap, and kernel %u.%u "
			 "assigns only queues bound to it", apqn_format(a, d, apqn), st->kernel.major,
			 st->kernel.minor);
		return;
	}
	snprintf(w->why, sizeof(w->why), "%s %s has %s queue device%s, and kernel %u.%u assigns "
		 "only queues bound to vfio_ap", adapter ? "adapter" : "domain", id_format(id, k),
		 any ? "not every" : "no", any ? " it needs" : "", st->kernel.major, st->kernel.minor);
}

/* An assign_* write the kernel refused, in words: the APQN and what holds it. */
static void explain_assign(struct ap_state *st, struct boot_write *w, size_t i, const char *name)
{
	static const char *const kinds[] = { "adapter", "domain", "control_domain" };
	struct khits hits = { 0 };
	struct ap_state *dup;
	char apqn[APQN_STR_MAX];
	uint64_t id = 0;
	int k = 0;

	while (k < 2 && strcmp(name + strlen("assign_"), kinds[k]))
		k++;
	if (kernel_kstrtoul(w->val, &id) || id > IDSET_MAX_ID)
		return;
	if (w->answer == -EADDRNOTAVAIL && !kgen_has(st->kernel, KF_DYNAMIC)) {
		explain_unbound(st, w, i, k == ASSIGN_ADAPTER, (unsigned)id);
		return;
	}
	if (w->answer == -EADDRNOTAVAIL &&
	    host_apqn(st, i, (enum assign_kind)k, (unsigned)id, &w->a, &w->d)) {
		w->has_apqn = true;
		snprintf(w->why, sizeof(w->why), "APQN %s belongs to the host's default drivers "
			 "under the masks at boot", apqn_format(w->a, w->d, apqn));
	}
	if (w->answer != -EADDRINUSE)
		return;
	/* the write again on a copy, for the APQNs behind the refusal */
	dup = state_dup(st);
	if (dup && kstore_answer(dup, w->attr, w->val, &hits) && hits.n && hits.v[0].mdev >= 0) {
		w->has_apqn = true;
		w->a = hits.v[0].a;
		w->d = hits.v[0].d;
		snprintf(w->why, sizeof(w->why), "APQN %s is mdev %s's", apqn_format(w->a, w->d, apqn),
			 st->mdevs[hits.v[0].mdev].uuid);
	}
	state_free(dup);
	khits_free(&hits);
}

static void explain(struct ap_state *st, struct boot_write *w)
{
	const char *name = strrchr(w->attr, '/') + 1;
	char uuid[UUID_STR_MAX] = "";
	int i;

	if (!strncmp(w->attr, MATRIX_DEV "/", strlen(MATRIX_DEV "/")))
		snprintf(uuid, sizeof(uuid), "%.36s", w->attr + strlen(MATRIX_DEV "/"));
	i = uuid[0] ? state_find_mdev(st, uuid) : -1;

	if (w->answer == -ENODEV && !strncmp(name, "assign_", 7))
		snprintf(w->why, sizeof(w->why), "%s %.16s is above the system's maximum ID",
			 strchr(name, '_') + 1, w->val);
	else if (i >= 0 && !strncmp(name, "assign_", 7))
		explain_assign(st, w, (size_t)i, name);
	if (!w->why[0])
		snprintf(w->why, sizeof(w->why), "the kernel answers %s", errno_name(-w->answer));
}

struct predict {
	struct boot *b;
	struct ap_state *st;
};

static const struct ap_state *predict_state(void *ctx)
{
	return ((struct predict *)ctx)->st;
}

static int predict_write(void *ctx, const char *attr, const char *val)
{
	struct predict *pr = ctx;
	int rc = kstore_answer(pr->st, attr, val, NULL);

	if (rc && rc != -ENOMEM) {
		/* the write is in b already; the state is as before it */
		pr->b->w[pr->b->nw - 1].answer = rc;
		explain(pr->st, &pr->b->w[pr->b->nw - 1]);
	}
	return rc;
}

static void predict_wait(void *ctx)
{
	kmodel_rebind(((struct predict *)ctx)->st);
}

int boot_predict(const struct ap_state *st, const struct persist *p, struct boot *b)
{
	struct predict pr = { b, state_dup(st) };
	struct boot_host h = { predict_write, predict_wait, predict_state, &pr };
	int rc;

	if (!pr.st)
		return -ENOMEM;
	kmodel_boot(pr.st);
	rc = boot_play(p, &h, b);
	b->st = pr.st;
	return rc;
}

int boot_predict_start(const struct ap_state *st, const struct mdev_def *def, struct boot *b)
{
	struct persist one = { .defs = (struct mdev_def *)(uintptr_t)def, .ndefs = 1 };
	struct predict pr = { b, state_dup(st) };
	struct boot_host h = { predict_write, NULL, predict_state, &pr };
	int rc;

	memset(b, 0, sizeof(*b));
	b->blocked = BOOT_NO_DEF;
	b->starts = calloc(1, sizeof(*b->starts));
	if (!pr.st || !b->starts) {
		state_free(pr.st);
		return -ENOMEM;
	}
	rc = play_start(&one, 0, &h, b);
	b->st = pr.st;
	return rc;
}

const char *boot_write_words(const struct boot_write *w, char *buf, size_t size)
{
	snprintf(buf, size, "writing %s to %s: %s%s%s", w->val, strrchr(w->attr, '/') + 1,
		 errno_name(-w->answer), w->why[0] ? ": " : "", w->why);
	return buf;
}

const char *boot_start_words(const struct boot *b, const struct boot_start *s, char *buf,
			     size_t size)
{
	if (s->failed == BOOT_NO_WRITE)
		snprintf(buf, size, "%s", s->refused);
	else
		boot_write_words(&b->w[s->failed], buf, size);
	return buf;
}

void boot_free(struct boot *b)
{
	free(b->w);
	free(b->starts);
	strlist_free(&b->notes);
	state_free(b->st);
	memset(b, 0, sizeof(*b));
}
