/* SPDX-License-Identifier: MIT */
/*
 * apctl export's configuration: everything of both scopes, so that apply of
 * it plans nothing on the host it came from and makes the same on a fresh one;
 * or some mdevs alone with the cards they use, to move them to another host.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conffile.h"
#include "masksyntax.h"
#include "paths.h"
#include "rules.h"

static struct json_object *ids_json(const struct idset *s)
{
	struct json_object *a = json_object_new_array();

	idset_foreach(id, s)
		json_object_array_add(a, json_object_new_int(id));
	return a;
}

/*
 * Mask k (0 apmask, 1 aqmask) into o: as the IDs reserved for vfio_ap where
 * every ID above the maximum is set, as they are in the kernel's masks unless
 * a tool cleared them; else as the mask itself.
 */
static void mask_json(struct json_object *o, int k, const struct idset *mask, unsigned max)
{
	static const char *const ids[] = { "adapters", "domains" };
	static const char *const masks[] = { "apmask", "aqmask" };
	struct idset upto = idset_upto(max), all, above, reserved;
	char hex[IDSET_HEX_LEN];

	idset_fill(&all);
	above = idset_minus(&all, &upto);
	if (idset_subset(&above, mask)) {
		reserved = idset_minus(&upto, mask);
		json_object_object_add(o, ids[k], ids_json(&reserved));
	} else {
		idset_to_hex(mask, hex);
		json_object_object_add(o, masks[k], json_object_new_string(hex));
	}
}

/* The rule: false (none), true (the running masks), or its masks, null where it sets none. */
static struct json_object *rule_json(const struct ap_state *st, const struct ap_rule *r,
				     bool has_rule)
{
	const struct idset *run[] = { &st->apmask, &st->aqmask }, *rule[] = { &r->apmask,
									   &r->aqmask };
	bool has[] = { r->has_apmask, r->has_aqmask };
	unsigned max[] = { st->max_adapter, st->max_domain };
	struct json_object *o;

	if (!has_rule || (!has[0] && !has[1]))
		return json_object_new_boolean(false);
	if (has[0] && has[1] && idset_equal(run[0], rule[0]) && idset_equal(run[1], rule[1]))
		return json_object_new_boolean(true);
	o = json_object_new_object();
	for (int k = 0; k < 2; k++) {
		if (has[k])
			mask_json(o, k, rule[k], max[k]);
		else
			json_object_object_add(o, k ? "domains" : "adapters", NULL);
	}
	return o;
}

/* Whether def is what apctl writes for the IDs of m with def's start. */
static bool def_is(const struct mdev_def *def, const struct ap_matrix *m)
{
	struct mdev_def canon;
	char *a, *b;
	bool same;

	if (def_from_matrix(&canon, def->uuid, m, def->autostart))
		return false;
	a = def_format(def);
	b = def_format(&canon);
	same = a && b && !strcmp(a, b);
	free(a);
	free(b);
	def_free(&canon);
	return same;
}

/*
 * A definition: true where it holds what runs, its IDs where it holds others
 * in apctl's form, its type and attrs as they are otherwise.
 */
static struct json_object *def_json(const struct mdev_def *def, const struct ap_matrix *run)
{
	static const char *const kinds[] = { "adapters", "domains", "control_domains" };
	struct json_object *o, *attrs;

	if (def_is(def, run))
		return json_object_new_boolean(true);
	o = json_object_new_object();
	if (def_is(def, &def->ids)) {
		for (int k = 0; k < 3; k++)
			json_object_object_add(o, kinds[k],
					       ids_json(matrix_ids(&def->ids, (enum assign_kind)k)));
		return o;
	}
	if (strcmp(def->type, MDEV_TYPE_NAME))
		json_object_object_add(o, "type", json_object_new_string(def->type));
	attrs = json_object_new_array();
	for (size_t i = 0; i < def->nattrs; i++) {
		struct json_object *a = json_object_new_object();

		json_object_object_add(a, def->attrs[i].name,
				       json_object_new_string(def->attrs[i].value));
		json_object_array_add(attrs, a);
	}
	json_object_object_add(o, "attrs", attrs);
	return o;
}

/* One mdev: where it runs, its definition, its name. NULL when there is nothing to say. */
static struct json_object *mdev_json(const char *uuid, const struct ap_mdev *m,
				     const struct persist *p, struct strlist *skipped)
{
	static const char *const kinds[] = { "adapters", "domains", "control_domains" };
	const struct mdev_def *def = p ? persist_find(p, uuid) : NULL;
	const char *name = p ? persist_name(p, uuid) : NULL;
	struct ap_matrix ids;
	struct json_object *o;

	if (def && def->bad[0]) {
		strlist_addf(skipped, "the definition of %s cannot be read (%s): it is left out, and "
			     "apply leaves it as it is", uuid, def->bad);
		def = NULL;
		if (!m)
			return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "uuid", json_object_new_string(uuid));
	if (name)
		json_object_object_add(o, "name", json_object_new_string(name));
	ids = m ? m->matrix : def->ids;
	for (int k = 0; k < 3; k++)
		json_object_object_add(o, kinds[k], ids_json(matrix_ids(&ids, (enum assign_kind)k)));
	json_object_object_add(o, "running", json_object_new_boolean(m != NULL));
	if (p && (def || !persist_find(p, uuid)))
		json_object_object_add(o, "persistent", def ? def_json(def, &ids) :
						       json_object_new_boolean(false));
	if (def)
		json_object_object_add(o, "autostart", json_object_new_boolean(def->autostart));
	return o;
}

static int by_uuid(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every mdev that runs or is defined, each once, by UUID. */
static const char **all_uuids(const struct ap_state *st, const struct persist *p, size_t *n)
{
	size_t ndefs = p ? p->ndefs : 0;
	const char **v = calloc(st->nmdevs + ndefs + 1, sizeof(*v));

	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < st->nmdevs; i++)
		v[(*n)++] = st->mdevs[i].uuid;
	for (size_t i = 0; i < ndefs; i++)
		if (state_find_mdev(st, p->defs[i].uuid) < 0)
			v[(*n)++] = p->defs[i].uuid;
	qsort(v, *n, sizeof(*v), by_uuid);
	return v;
}

struct json_object *config_export(const struct ap_state *st, const struct persist *p,
				  struct strlist *skipped)
{
	struct json_object *o = json_object_new_object(), *mdevs = json_object_new_array();
	size_t n;
	const char **uuids = all_uuids(st, p, &n);

	json_object_object_add(o, "version", json_object_new_int(CONFIG_VERSION));
	mask_json(o, 0, &st->apmask, st->max_adapter);
	mask_json(o, 1, &st->aqmask, st->max_domain);
	if (p)
		json_object_object_add(o, "persistent", rule_json(st, &p->rule, p->has_rule));
	for (size_t k = 0; uuids && k < n; k++) {
		int i = state_find_mdev(st, uuids[k]);
		struct json_object *m = mdev_json(uuids[k], i >= 0 ? &st->mdevs[i] : NULL, p, skipped);

		if (m)
			json_object_array_add(mdevs, m);
	}
	free(uuids);
	json_object_object_add(o, "mdevs", mdevs);
	return o;
}

/* A card of st as the file keeps it: {adapter, type, mode}. */
static struct json_object *card_json(const struct ap_state *st, unsigned a)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "adapter", json_object_new_int((int)a));
	json_object_object_add(o, "type", json_object_new_string(st->card[a].type));
	json_object_object_add(o, "mode", json_object_new_string(
		card_mode_name(card_mode_from_functions(st->card[a].functions))));
	return o;
}

struct json_object *config_export_mdevs(const struct ap_state *st, const struct persist *p,
					char *const *uuids, size_t n, struct strlist *skipped,
					const char **missing)
{
	struct json_object *o = json_object_new_object(), *mdevs = json_object_new_array();
	struct json_object *cards = json_object_new_array();
	struct idset used = { 0 };

	json_object_object_add(o, "version", json_object_new_int(CONFIG_VERSION));
	for (size_t k = 0; k < n; k++) {
		int i = state_find_mdev(st, uuids[k]);
		const struct mdev_def *def = p ? persist_find(p, uuids[k]) : NULL;
		struct json_object *m = i >= 0 || def ?
			mdev_json(uuids[k], i >= 0 ? &st->mdevs[i] : NULL, p, skipped) : NULL;

		if (!m) {
			*missing = uuids[k];
			json_object_put(o);
			json_object_put(mdevs);
			json_object_put(cards);
			return NULL;
		}
		used = idset_or(&used, i >= 0 ? &st->mdevs[i].matrix.apm : &def->ids.apm);
		json_object_array_add(mdevs, m);
	}
	json_object_object_add(o, "mdevs", mdevs);
	idset_foreach(a, &used)
		if (idset_has(&st->cards, (unsigned)a) && st->card[a].type[0])
			json_object_array_add(cards, card_json(st, (unsigned)a));
	json_object_object_add(o, "cards", cards);
	return o;
}

void config_cards_differ(const struct config *c, const struct ap_state *st, struct strlist *out)
{
	for (size_t i = 0; i < c->ncards; i++) {
		const struct config_card *f = &c->cards[i];
		const struct ap_card *h = &st->card[f->adapter];
		char mode = card_mode_from_functions(h->functions), id[ID_STR_MAX];

		id_format(f->adapter, id);
		if (!idset_has(&st->cards, f->adapter))
			strlist_addf(out, "adapter %s has no card here; the file's is a %s in %s mode",
				     id, f->type, card_mode_name(f->mode));
		else if (strcasecmp(h->type, f->type))
			strlist_addf(out, "adapter %s is a %s here, the file's a %s", id, h->type,
				     f->type);
		else if (mode != f->mode)
			strlist_addf(out, "adapter %s is in %s mode here, the file's in %s: the keys of "
				     "a domain mean nothing on a card in another mode", id,
				     card_mode_name(mode), card_mode_name(f->mode));
	}
}
