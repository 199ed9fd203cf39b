/* SPDX-License-Identifier: MIT */
/* A change as text: the masks and what moves, a dry run's writes, an mdev as it ends up. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errnames.h"
#include "masksyntax.h"
#include "output.h"
#include "report.h"

static void text_mask(FILE *f, const char *name, const struct idset *old, const struct idset *new_)
{
	char hex[IDSET_HEX_LEN], edit[MASK_EDIT_MAX];

	idset_to_hex(old, hex);
	if (idset_equal(old, new_)) {
		fprintf(f, "%s  %s  (unchanged)\n", name, hex);
		return;
	}
	fprintf(f, "%s  %s\n", name, hex);
	idset_to_hex(new_, hex);
	mask_edit_format(old, new_, MASK_EDIT_ALL, edit, sizeof(edit));
	fprintf(f, "    -> %s  (%s)\n", hex, edit);
}

void text_mask_change(FILE *f, const struct engine *e)
{
	const struct plan *p = &e->p;

	text_mask(f, "apmask", &e->st->apmask, &p->apmask);
	text_mask(f, "aqmask", &e->st->aqmask, &p->aqmask);
	fprintf(f, "From the host to vfio_ap: ");
	text_apqnset(f, p->to_vfio, "  ");
	fprintf(f, "From vfio_ap to the host: ");
	text_apqnset(f, p->to_host, "  ");
	if (e->asked) {
		struct apqnset *others = malloc(sizeof(*others));

		if (others) {
			apqnset_minus(others, p->to_vfio, e->asked);
			fprintf(f, "Beyond the APQNs asked for: ");
			text_apqnset(f, others, "  ");
			free(others);
		}
	}
}

void text_mdev_result(FILE *f, const struct ap_mdev *m)
{
	char a[IDLIST_MAX], d[IDLIST_MAX], c[IDLIST_MAX];
	unsigned nm = idset_count(&m->matrix.apm) * idset_count(&m->matrix.aqm);

	fprintf(f, "mdev %s: adapters %s, domains %s, control domains %s\n", m->uuid,
		text_ids(&m->matrix.apm, "none", a, sizeof(a)),
		text_ids(&m->matrix.aqm, "none", d, sizeof(d)),
		text_ids(&m->matrix.adm, "none", c, sizeof(c)));
	fprintf(f, "  matrix        %u APQN%s\n", nm, nm == 1 ? "" : "s");
	if (m->has_guest) {
		unsigned ng = idset_count(&m->guest.apm) * idset_count(&m->guest.aqm);
		char ga[IDLIST_MAX], gd[IDLIST_MAX];

		fprintf(f, "  guest_matrix  %u APQN%s%s%s%s%s\n", ng, ng == 1 ? "" : "s",
			ng ? ": adapters " : "", ng ? text_ids(&m->guest.apm, "", ga, sizeof(ga)) : "",
			ng ? " x domains " : "", ng ? text_ids(&m->guest.aqm, "", gd, sizeof(gd)) : "");
	}
}

void text_mdev_dry_run(FILE *f, const struct engine *e)
{
	const struct plan *p = &e->p;

	fprintf(f, "Dry run of apctl %s: nothing is written. The writes:\n", e->command);
	for (size_t i = 0; i < p->nw; i++) {
		const char *v = p->w[i].je.w.value;

		fprintf(f, "  %s\n      %.*s\n", p->w[i].je.w.attr, (int)strcspn(v, "\n"), v);
	}
	if (p->refused) {
		text_refusal(f, e);
		return;
	}
	fprintf(f, "The kernel would accept it.\n");
	for (size_t i = 0; i < e->nops; i++) {
		const struct ap_mdev *m = e->ops[i].kind == OP_REMOVE ? NULL :
					  engine_mdev(e, e->ops[i].uuid);

		if (m)
			text_mdev_result(f, m);
		else
			fprintf(f, "mdev %s is removed\n", e->ops[i].uuid);
	}
}

/* What write w does, in words: its op's kind and mdev. */
static const char *write_what(const struct pwrite *w, char *buf, size_t size)
{
	static const char *const kinds[] = {
		[KS_MASK] = "mask", [KS_CREATE] = "create", [KS_AP_CONFIG] = "matrix",
		[KS_ASSIGN] = "assign", [KS_REMOVE] = "remove",
	};

	if (w->what.kind == KS_MASK)
		snprintf(buf, size, "%s", w->what.is_apmask ? "apmask" : "aqmask");
	else
		snprintf(buf, size, "%s %s", kinds[w->what.kind], w->what.uuid);
	return buf;
}

/* What the plan removes, apart: mdevs, definitions, the rule. */
static void text_removals(FILE *f, const struct engine *e)
{
	bool any = false;

	for (size_t i = 0; i < e->p.nw; i++)
		if (e->p.w[i].what.kind == KS_REMOVE) {
			fprintf(f, "%s  mdev %s, which runs\n", any ? "" : "It removes:\n",
				e->p.w[i].what.uuid);
			any = true;
		}
	for (size_t i = 0; i < e->npf; i++)
		if (!e->pf[i].text) {
			fprintf(f, "%s  %s\n", any ? "" : "It removes:\n", e->pf[i].rel);
			any = true;
		}
}

void text_plan(FILE *f, const struct engine *e)
{
	const struct plan *p = &e->p;
	char what[64];

	if (!p->nw && !e->npf) {
		fprintf(f, "Nothing to change: the configuration is as the file says.\n");
		return;
	}
	fprintf(f, "Plan of apctl %s, in its order:\n", e->command);
	for (size_t i = 0; i < p->nw; i++) {
		const struct pwrite *w = &p->w[i];
		const char *v = w->je.w.value;

		fprintf(f, "  %zu. %-44s %.*s\n     %s: %s\n", i + 1, write_what(w, what, sizeof(what)),
			(int)strcspn(v, "\n"), v, w->je.w.attr,
			!w->predicted ? "the kernel accepts it" :
			w->predicted == -EINPROGRESS ? "waits for the guest to let go" :
						       errno_name(-w->predicted));
	}
	for (size_t i = 0; i < e->npf; i++)
		fprintf(f, "  %zu. %s %s\n", p->nw + i + 1, e->pf[i].text ? "write" : "remove",
			e->pf[i].rel);
	text_removals(f, e);
	if (p->refused)
		text_refusal(f, e);
	else
		fprintf(f, "The kernel would accept every write; the next boot brings what persists.\n");
}
