/* SPDX-License-Identifier: MIT */
/*
 * apctl show --boot: what the next boot brings, as text or JSON. The boot's
 * state is shown with the same serializers as the running one, and against
 * it.
 */
#include <stdlib.h>
#include <string.h>

#include "errnames.h"
#include "masksyntax.h"
#include "output.h"
#include "report.h"

/* What differs between now and after the boot, a sentence each. */
static void differences(const struct ap_state *now, const struct ap_state *boot,
			struct strlist *out)
{
	char a[IDSET_HEX_LEN], b[IDSET_HEX_LEN];

	for (int k = 0; k < 2; k++) {
		const struct idset *n = k ? &now->aqmask : &now->apmask;
		const struct idset *x = k ? &boot->aqmask : &boot->apmask;

		if (idset_equal(n, x))
			continue;
		idset_to_hex(n, a);
		idset_to_hex(x, b);
		strlist_addf(out, "%s is %s now and %s after the boot", k ? "aqmask" : "apmask", a, b);
	}
	for (size_t i = 0; i < now->nmdevs; i++) {
		int j = state_find_mdev(boot, now->mdevs[i].uuid);
		const struct ap_matrix *m = &now->mdevs[i].matrix;

		if (j < 0)
			strlist_addf(out, "mdev %s runs now, not after the boot", now->mdevs[i].uuid);
		else if (!matrix_equal(m, &boot->mdevs[j].matrix))
			strlist_addf(out, "mdev %s has other IDs after the boot", now->mdevs[i].uuid);
	}
	for (size_t j = 0; j < boot->nmdevs; j++)
		if (state_find_mdev(now, boot->mdevs[j].uuid) < 0)
			strlist_addf(out, "mdev %s runs after the boot, not now", boot->mdevs[j].uuid);
}

struct json_object *json_boot_start(const struct persist *p, const struct boot *b,
				    const struct boot_start *s)
{
	struct json_object *o = json_object_new_object(), *f = NULL;
	const struct boot_write *w = s->failed == BOOT_NO_WRITE ? NULL : &b->w[s->failed];

	json_object_object_add(o, "uuid", json_object_new_string(p->defs[s->def].uuid));
	json_object_object_add(o, "started", json_object_new_boolean(s->started));
	if (!s->started && w) {
		f = json_object_new_object();
		json_object_object_add(f, "attribute", json_object_new_string(w->attr));
		json_object_object_add(f, "value", json_object_new_string(w->val));
		json_object_object_add(f, "errno", json_object_new_string(errno_name(-w->answer)));
		json_object_object_add(f, "reason", w->why[0] ? json_object_new_string(w->why) : NULL);
	}
	json_object_object_add(o, "failed_write", f);
	json_object_object_add(o, "refused", s->refused[0] ? json_object_new_string(s->refused) :
							      NULL);
	return o;
}

void show_boot_json(FILE *f, const struct view *v, const struct boot *b)
{
	const struct persist *p = v->persist;
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	struct strlist diffs = { 0 };
	char hex[IDSET_HEX_LEN];
	struct view bv;

	json_object_object_add(o, "rule", p->has_rule ? json_object_new_string(p->rule_rel) : NULL);
	idset_to_hex(&b->st->apmask, hex);
	json_object_object_add(o, "apmask", json_object_new_string(hex));
	idset_to_hex(&b->st->aqmask, hex);
	json_object_object_add(o, "aqmask", json_object_new_string(hex));
	for (size_t i = 0; i < b->nstarts; i++)
		json_object_array_add(arr, json_boot_start(p, b, &b->starts[i]));
	json_object_object_add(o, "starts", arr);
	json_object_object_add(o, "blocked_by", b->blocked == BOOT_NO_DEF ? NULL :
			       json_object_new_string(p->defs[b->blocked].uuid));
	json_object_object_add(o, "depends_on", json_strlist(&b->notes));
	arr = json_object_new_array();
	if (!view_init(&bv, b->st, v->root, v->prefix))
		for (size_t k = 0; k < b->st->nmdevs; k++)
			json_object_array_add(arr, json_mdev(&bv, &b->st->mdevs[bv.order[k]]));
	view_free(&bv);
	json_object_object_add(o, "mdevs", arr);
	differences(v->st, b->st, &diffs);
	json_object_object_add(o, "differences", json_strlist(&diffs));
	strlist_free(&diffs);
	json_print(f, o);
}

void show_boot_text(FILE *f, const struct view *v, const struct boot *b)
{
	const struct persist *p = v->persist;
	struct strlist diffs = { 0 };
	char hex[IDSET_HEX_LEN];

	fprintf(f, "The next boot of %s, as predicted\n", v->root);
	fprintf(f, "  udev rule  %s\n", p->has_rule ? p->rule_rel : "none");
	idset_to_hex(&b->st->apmask, hex);
	fprintf(f, "  apmask     %s\n", hex);
	idset_to_hex(&b->st->aqmask, hex);
	fprintf(f, "  aqmask     %s\n", hex);
	if (b->blocked != BOOT_NO_DEF)
		fprintf(f, "\nmdevctl starts no mdev: it cannot load the definition %s (%s), and "
			"stops before it starts any\n", p->defs[b->blocked].uuid,
			p->defs[b->blocked].bad);
	else if (!b->nstarts)
		fprintf(f, "\nmdevctl starts no mdev: no definition is autostart\n");
	else
		fprintf(f, "\nmdevctl starts, in its order\n");
	for (size_t i = 0; i < b->nstarts; i++) {
		const struct boot_start *s = &b->starts[i];
		int j = state_find_mdev(b->st, p->defs[s->def].uuid);

		char ia[IDLIST_MAX], id[IDLIST_MAX], ic[IDLIST_MAX], words[512];

		if (s->started && j >= 0)
			fprintf(f, "  %s starts: adapters %s, domains %s, control domains %s\n",
				p->defs[s->def].uuid,
				text_ids(&b->st->mdevs[j].matrix.apm, "none", ia, sizeof(ia)),
				text_ids(&b->st->mdevs[j].matrix.aqm, "none", id, sizeof(id)),
				text_ids(&b->st->mdevs[j].matrix.adm, "none", ic, sizeof(ic)));
		else
			fprintf(f, "  %s fails: %s\n", p->defs[s->def].uuid,
				boot_start_words(b, s, words, sizeof(words)));
	}
	if (b->notes.n)
		fprintf(f, "\nThe boot depends on\n");
	for (size_t i = 0; i < b->notes.n; i++)
		fprintf(f, "  %s\n", b->notes.v[i]);
	differences(v->st, b->st, &diffs);
	fprintf(f, "\nAgainst the running configuration%s\n", diffs.n ? "" : ": the same");
	for (size_t i = 0; i < diffs.n; i++)
		fprintf(f, "  %s\n", diffs.v[i]);
	strlist_free(&diffs);
}
