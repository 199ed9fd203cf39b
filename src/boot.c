/* SPDX-License-Identifier: MIT */
#include "boot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errnames.h"
#include "kmodel.h"
#include "masksyntax.h"
#include "paths.h"
#include "sandbox.h"

/* Appends a write to b and makes it: its answer, or -ENOMEM. */
static int play(struct boot *b, boot_write_fn write, void *ctx, size_t def, const char *attr,
		const char *val)
{
	struct boot_write *more = realloc(b->w, (b->nw + 1) * sizeof(*more)), *w;

	if (!more)
		return -ENOMEM;
	b->w = more;
	w = memset(&b->w[b->nw++], 0, sizeof(*w));
	snprintf(w->attr, sizeof(w->attr), "%s", attr);
	snprintf(w->val, sizeof(w->val), "%s", val);
	w->def = def;
	w->answer = write(ctx, attr, val);
	return w->answer;
}

/* The rule's masks, in the rule's order. */
static int play_masks(const struct ap_rule *r, boot_write_fn write, void *ctx, struct boot *b)
{
	bool ap_first = !r->has_aqmask || (r->has_apmask && r->apmask_line <= r->aqmask_line);
	char hex[IDSET_HEX_LEN];
	int rc = 0;

	for (int k = 0; k < 2 && rc != -ENOMEM; k++) {
		bool ap = (k == 0) == ap_first;

		if (!(ap ? r->has_apmask : r->has_aqmask))
			continue;
		idset_to_hex(ap ? &r->apmask : &r->aqmask, hex);
		rc = play(b, write, ctx, BOOT_NO_DEF, ap ? AP_BUS "/apmask" : AP_BUS "/aqmask", hex);
	}
	return rc == -ENOMEM ? rc : 0;
}

/* mdevctl start of definition d: create, one write per attribute, remove on failure. */
static int play_start(const struct persist *p, size_t d, boot_write_fn write, void *ctx,
		      struct boot *b)
{
	const struct mdev_def *def = &p->defs[d];
	struct boot_start *s = &b->starts[b->nstarts++];
	char attr[160];
	int rc;

	memset(s, 0, sizeof(*s));
	s->def = d;
	rc = play(b, write, ctx, d, MDEV_TYPE "/create", def->uuid);
	for (size_t i = 0; !rc && i < def->nattrs; i++) {
		snprintf(attr, sizeof(attr), "%s/%s/%s", MATRIX_DEV, def->uuid, def->attrs[i].name);
		rc = play(b, write, ctx, d, attr, def->attrs[i].value);
		if (rc && rc != -ENOMEM) {
			s->failed = b->nw - 1;
			snprintf(attr, sizeof(attr), "%s/%s/remove", MATRIX_DEV, def->uuid);
			return play(b, write, ctx, d, attr, "1") == -ENOMEM ? -ENOMEM : 0;
		}
	}
	if (rc == -ENOMEM)
		return rc;
	s->started = !rc;
	s->failed = rc ? b->nw - 1 : 0;
	return 0;
}

int boot_play(const struct persist *p, boot_write_fn write, void (*wait)(void *ctx), void *ctx,
	      struct boot *b)
{
	int rc;

	memset(b, 0, sizeof(*b));
	b->starts = calloc(p->ndefs + 1, sizeof(*b->starts));
	if (!b->starts)
		return -ENOMEM;
	rc = play_masks(&p->rule, write, ctx, b);
	if (!rc && wait)
		wait(ctx);
	for (size_t d = 0; !rc && d < p->ndefs; d++)
		if (!p->defs[d].bad[0] && p->defs[d].autostart)
			rc = play_start(p, d, write, ctx, b);
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
	if (w->answer == -EADDRNOTAVAIL &&
	    host_apqn(st, i, (enum assign_kind)k, (unsigned)id, &w->a, &w->d)) {
		w->has_apqn = true;
		snprintf(w->why, sizeof(w->why), "APQN %s belongs to the host's default drivers "
			 "under the masks at boot", apqn_format(w->a, w->d, apqn));
	}
	if (w->answer != -EADDRINUSE)
		return;
	dup = state_dup(st);
	if (dup && kmodel_assign(dup, i, (enum assign_kind)k, id, true, &hits, false) && hits.n &&
	    hits.v[0].mdev >= 0) {
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
		snprintf(w->why, sizeof(w->why), "%s %s is above the system's maximum ID",
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

static int predict_write(void *ctx, const char *attr, const char *val)
{
	struct predict *pr = ctx;
	int rc = sandbox_kernel_answer(pr->st, attr, val);

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
	int rc;

	if (!pr.st)
		return -ENOMEM;
	kmodel_boot(pr.st);
	rc = boot_play(p, predict_write, predict_wait, &pr, b);
	b->st = pr.st;
	return rc;
}

const char *boot_write_words(const struct boot_write *w, char *buf, size_t size)
{
	snprintf(buf, size, "writing %s to %s: %s%s%s", w->val, strrchr(w->attr, '/') + 1,
		 errno_name(-w->answer), w->why[0] ? ": " : "", w->why);
	return buf;
}

void boot_free(struct boot *b)
{
	free(b->w);
	free(b->starts);
	state_free(b->st);
	memset(b, 0, sizeof(*b));
}
