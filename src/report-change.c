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

/*
 * The name of an mdev in a dry run's words: its UUID, or "(new)" for one that
 * create makes without a UUID given (the run chooses its own at random).
 */
static const char *mdev_name(const struct engine *e, const char *uuid)
{
	return e->o.dry_run && !strstr(e->command, uuid) && strstr(e->command, "create") ?
		       "(new)" : uuid;
}

/* What write w does, in the administrator's words. */
static const char *write_words(const struct engine *e, const struct pwrite *w, char *buf,
			       size_t size)
{
	const struct kstore_what *k = &w->what;
	char a[IDLIST_MAX], d[IDLIST_MAX], c[IDLIST_MAX];
	const char *uuid = mdev_name(e, k->uuid);

	switch (k->kind) {
	case KS_MASK:
		snprintf(buf, size, "%s %.*s", k->is_apmask ? "apmask" : "aqmask",
			 (int)strcspn(w->je.w.value, "\n"), w->je.w.value);
		break;
	case KS_CREATE:
		snprintf(buf, size, "create mdev %s", uuid);
		break;
	case KS_AP_CONFIG:
		snprintf(buf, size, "set mdev %s to adapters %s, domains %s, control domains %s",
			 uuid, text_ids(&k->config.apm, "none", a, sizeof(a)),
			 text_ids(&k->config.aqm, "none", d, sizeof(d)),
			 text_ids(&k->config.adm, "none", c, sizeof(c)));
		break;
	case KS_ASSIGN:
		snprintf(buf, size, "%s %s %s %s mdev %s", k->assign ? "assign" : "unassign",
			 assign_kind_name(k->akind), id_format(k->id, a), k->assign ? "to" : "from",
			 uuid);
		break;
	case KS_REMOVE:
		snprintf(buf, size, "remove mdev %s", uuid);
		break;
	default:
		snprintf(buf, size, "write %.*s", (int)strcspn(w->je.w.value, "\n"),
			 w->je.w.value);
	}
	return buf;
}

/* The attribute and the bytes of write w, with --verbose. */
static void write_bytes(FILE *f, const struct engine *e, const struct pwrite *w)
{
	const char *v = w->je.w.value;

	if (e->root->o && e->root->o->verbose)
		fprintf(f, "       %s <- '%.*s'\n", w->je.w.attr, (int)strcspn(v, "\n"), v);
}

void text_summary(FILE *f, const struct engine *e)
{
	size_t made = 0, removed = 0, written = 0, gone = 0;
	unsigned in = e->p.to_vfio ? apqnset_count(e->p.to_vfio) : 0;
	unsigned out = e->p.to_host ? apqnset_count(e->p.to_host) : 0;

	for (size_t i = 0; i < e->p.nw; i++) {
		made += e->p.w[i].what.kind == KS_CREATE;
		removed += e->p.w[i].what.kind == KS_REMOVE;
	}
	for (size_t i = 0; i < e->npf; i++) {
		written += e->pf[i].text != NULL;
		gone += e->pf[i].text == NULL;
	}
	fprintf(f, "In all: %zu write%s to sysfs; %zu mdev%s created, %zu removed; %u APQN%s to "
		"vfio_ap, %u back to the host; %zu file%s written, %zu removed.\n",
		e->p.nw, e->p.nw == 1 ? "" : "s", made, made == 1 ? "" : "s", removed, in,
		in == 1 ? "" : "s", out, written, written == 1 ? "" : "s", gone);
}

void text_mdev_dry_run(FILE *f, const struct engine *e)
{
	const struct plan *p = &e->p;
	char words[IDLIST_MAX * 3 + 128];

	fprintf(f, "Dry run of apctl %s: nothing is written. It would:\n", e->command);
	for (size_t i = 0; i < p->nw; i++) {
		fprintf(f, "  %zu. %s\n", i + 1, write_words(e, &p->w[i], words, sizeof(words)));
		write_bytes(f, e, &p->w[i]);
	}
	if (p->refused)
		return;
	fprintf(f, "The kernel would accept it.\n");
	for (size_t i = 0; i < e->nops; i++) {
		const struct ap_mdev *m = e->ops[i].kind == OP_REMOVE ? NULL :
					  engine_mdev(e, e->ops[i].uuid);

		if (m && strcmp(mdev_name(e, m->uuid), m->uuid)) {
			struct ap_mdev named = *m;

			snprintf(named.uuid, sizeof(named.uuid), "%s", mdev_name(e, m->uuid));
			text_mdev_result(f, &named);
			fprintf(f, "The run chooses the new mdev's UUID at random: give one to "
				"know it beforehand.\n");
		} else if (m) {
			text_mdev_result(f, m);
		} else
			fprintf(f, "mdev %s is removed\n", e->ops[i].uuid);
	}
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
	char words[IDLIST_MAX * 3 + 128];

	if (!p->nw && !e->npf) {
		fprintf(f, "Nothing to change: the configuration is as the file says.\n");
		return;
	}
	fprintf(f, "The plan, in its order:\n");
	for (size_t i = 0; i < p->nw; i++) {
		const struct pwrite *w = &p->w[i];

		fprintf(f, "  %zu. %s: %s\n", i + 1, write_words(e, w, words, sizeof(words)),
			!w->predicted ? "the kernel accepts it" :
			w->predicted == -EINPROGRESS ? "waits for the guest to let go" :
						       errno_name(-w->predicted));
		write_bytes(f, e, w);
	}
	for (size_t i = 0; i < e->npf; i++) {
		fprintf(f, "  %zu. %s %s\n", p->nw + i + 1, e->pf[i].text ? "write" : "remove",
			e->pf[i].rel);
		if (e->pf[i].text)
			text_file_diff(f, e->pf[i].old, e->pf[i].text, "       ");
	}
	text_removals(f, e);
	text_summary(f, e);
	if (!p->refused)
		fprintf(f, "The kernel would accept every write; the next boot brings what persists.\n");
}
