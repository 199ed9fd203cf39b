/* SPDX-License-Identifier: MIT */
/* Reading a configuration file: every key checked, with its JSON path. */
#include "conffile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "masksyntax.h"
#include "paths.h"
#include "rules.h"

/* What a configuration reads: the maxima, and where it says why not. */
struct reader {
	unsigned max_a, max_d;
	struct diag *d;
};

static const char *const id_keys[] = { "adapters", "domains", "control_domains" };
static const char *const mask_keys[] = { "apmask", "aqmask" };

/* Refuses every key of o that is not one of keys (NULL ends them). */
static int known_keys(const struct reader *r, struct json_object *o, const char *path,
		      const char *const *keys)
{
	json_object_object_foreach(o, k, v) {
		size_t i = 0;

		(void)v;
		while (keys[i] && strcmp(keys[i], k))
			i++;
		if (!keys[i]) {
			diag_set(r->d, "%s%s%s: no such key in a configuration of version %d", path,
				 *path ? "." : "", k, CONFIG_VERSION);
			return -EINVAL;
		}
	}
	return 0;
}

/* An ID list: numbers, or strings in apctl's ID syntax. */
static int read_ids(const struct reader *r, struct json_object *v, const char *path,
		    unsigned max, const char *what, struct idset *out)
{
	struct diag d;

	idset_clear(out);
	if (!json_object_is_type(v, json_type_array)) {
		diag_set(r->d, "%s: '%s' is not a list of IDs", path, json_object_get_string(v));
		return -EINVAL;
	}
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		struct idset ids;
		int64_t n;

		if (json_object_is_type(e, json_type_int)) {
			n = json_object_get_int64(e);
			/* json-c holds a number past int64 as its largest: said as such */
			if (n == INT64_MAX || n == INT64_MIN) {
				diag_set(r->d, "%s[%zu]: '%s' or more is no %s ID: IDs are 0 to %u",
					 path, i, json_object_get_string(e), what, max);
				return -EINVAL;
			}
			if (n < 0 || n > (int64_t)max) {
				diag_set(r->d, "%s[%zu]: %s %s is %s", path, i, what,
					 json_object_get_string(e),
					 n < 0 ? "negative" : "above the system's maximum ID");
				return -EINVAL;
			}
			idset_add(out, (unsigned)n);
			continue;
		}
		if (!json_object_is_type(e, json_type_string) ||
		    idlist_parse(json_object_get_string(e), max, what, &ids, &d)) {
			if (json_object_is_type(e, json_type_string))
				diag_set(r->d, "%s[%zu]: %s", path, i, d.msg);
			else
				diag_set(r->d, "%s[%zu]: '%s' is not an ID: an ID is a whole number "
					 "or a string such as \"0x0a-0x0c\"", path, i,
					 json_object_get_string(e));
			return -EINVAL;
		}
		*out = idset_or(out, &ids);
	}
	return 0;
}

/* A key of true or false: SAY_KEEP when o lacks it. */
static int read_bool(const struct reader *r, struct json_object *o, const char *path,
		     const char *key, enum config_say *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean)) {
		diag_set(r->d, "%s%s%s: '%s' is not true or false", path, *path ? "." : "", key,
			 json_object_get_string(v));
		return -EINVAL;
	}
	*out = json_object_get_boolean(v) ? SAY_YES : SAY_NO;
	return 0;
}

/*
 * The two masks of object o, each as the IDs reserved for vfio_ap (adapters,
 * domains) or as the mask (apmask, aqmask); with nullable, null says that the
 * rule sets none. A mask o does not name is SAY_KEEP.
 */
static int read_masks(const struct reader *r, struct json_object *o, const char *path,
		      bool nullable, struct config_mask out[2])
{
	struct idset all, reserved;
	struct json_object *v;
	char sub[64];
	int rc = 0;

	idset_fill(&all);
	for (int k = 0; !rc && k < 2; k++) {
		bool has_ids = json_object_object_get_ex(o, id_keys[k], &v);
		const char *key = has_ids ? id_keys[k] : mask_keys[k];

		out[k].say = SAY_KEEP;
		if (has_ids && json_object_object_get_ex(o, mask_keys[k], NULL)) {
			diag_set(r->d, "%s%s%s and %s both say what %s is: give one", path,
				 *path ? "." : "", id_keys[k], mask_keys[k], mask_keys[k]);
			return -EINVAL;
		}
		if (!has_ids && !json_object_object_get_ex(o, mask_keys[k], &v))
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", key);
		out[k].say = SAY_YES;
		if (!v && nullable) {
			out[k].say = SAY_NO;
		} else if (has_ids) {
			rc = read_ids(r, v, sub, k ? r->max_d : r->max_a, k ? "domain" : "adapter",
				      &reserved);
			out[k].mask = idset_minus(&all, &reserved);
		} else {
			struct diag d;

			if (!json_object_is_type(v, json_type_string) ||
			    mask_edit_parse(json_object_get_string(v), &all, &out[k].mask, NULL, &d)) {
				diag_set(r->d, "%s: %s", sub, json_object_is_type(v, json_type_string) ?
					 d.msg : "a mask is a string such as \"0xf9ff...\"");
				rc = -EINVAL;
			}
		}
	}
	return rc;
}

/* An mdev's ID lists, each noted as given or not. */
static int read_mdev_ids(const struct reader *r, struct json_object *o, const char *path,
			 bool given[3], struct ap_matrix *m)
{
	struct json_object *v;
	char sub[96];
	int rc = 0;

	for (int k = 0; !rc && k < 3; k++) {
		given[k] = json_object_object_get_ex(o, id_keys[k], &v);
		if (!given[k])
			continue;
		snprintf(sub, sizeof(sub), "%s.%s", path, id_keys[k]);
		rc = read_ids(r, v, sub, k == ASSIGN_ADAPTER ? r->max_a : r->max_d,
			      assign_kind_name((enum assign_kind)k), matrix_ids(m, (enum assign_kind)k));
	}
	return rc;
}

/* The definition's type, and its attrs verbatim where it gives them, as mdevctl keeps them. */
static int read_def(const struct reader *r, struct json_object *o, const char *path,
		    struct config_mdev *m)
{
	struct json_object *type, *attrs;
	int rc;

	if (json_object_object_get_ex(o, "type", &type)) {
		if (!json_object_is_type(type, json_type_string) ||
		    !json_object_get_string_len(type) ||
		    json_object_get_string_len(type) >= DEF_TYPE_MAX) {
			diag_set(r->d, "%s.type: not a type name of up to %d characters", path,
				 DEF_TYPE_MAX - 1);
			return -EINVAL;
		}
		snprintf(m->def_type, sizeof(m->def_type), "%s", json_object_get_string(type));
	}
	if (!json_object_object_get_ex(o, "attrs", &attrs))
		return 0;
	m->def = calloc(1, sizeof(*m->def));
	if (!m->def)
		return -ENOMEM;
	/* read as the definitions are, so that it holds what mdevctl would load */
	rc = def_from_json(m->def, m->uuid, m->def_type[0] ? m->def_type : MDEV_TYPE_NAME, attrs);
	if (!rc && m->def->bad[0]) {
		diag_set(r->d, "%s.attrs: %s", path, m->def->bad);
		rc = -EINVAL;
	}
	return rc;
}

/* "persistent" of an mdev: true, false, or an object that is the definition. */
static int read_mdev_persistent(const struct reader *r, struct json_object *o, const char *path,
				struct config_mdev *m)
{
	static const char *const keys[] = { "adapters", "domains", "control_domains", "type",
					    "attrs", NULL };
	struct json_object *v;
	char sub[64];
	bool ids = false;
	int rc;

	if (!json_object_object_get_ex(o, "persistent", &v) ||
	    !json_object_is_type(v, json_type_object))
		return read_bool(r, o, path, "persistent", &m->persistent);
	snprintf(sub, sizeof(sub), "%s.persistent", path);
	m->persistent = SAY_YES;
	rc = known_keys(r, v, sub, keys);
	if (!rc)
		rc = read_mdev_ids(r, v, sub, m->def_ids_given, &m->def_ids);
	for (int k = 0; k < 3; k++)
		ids |= m->def_ids_given[k];
	if (!rc && json_object_object_get_ex(v, "attrs", NULL) && ids) {
		diag_set(r->d, "%s: attrs and IDs both say what the definition holds: give one", sub);
		rc = -EINVAL;
	}
	if (!rc)
		rc = read_def(r, v, sub, m);
	return rc;
}

static int read_name(const struct reader *r, struct json_object *o, const char *path,
		     struct config_mdev *m)
{
	struct json_object *v;
	const char *why;

	if (!json_object_object_get_ex(o, "name", &v))
		return 0;
	m->name = v && json_object_get_string_len(v) ? SAY_YES : SAY_NO;
	if (!v)
		return 0;
	why = json_object_is_type(v, json_type_string) ?
		      mdev_name_problem(json_object_get_string(v)) : "not a string";
	if (why) {
		diag_set(r->d, "%s.name: '%s' %s%s", path, json_object_get_string(v),
			 json_object_is_type(v, json_type_string) ? "cannot be kept: " : "is ", why);
		return -EINVAL;
	}
	snprintf(m->name_text, sizeof(m->name_text), "%s", json_object_get_string(v));
	return 0;
}

static int read_mdev(const struct reader *r, struct json_object *o, size_t i,
		     struct config_mdev *m)
{
	static const char *const keys[] = { "uuid", "name", "adapters", "domains",
					    "control_domains", "running", "persistent",
					    "autostart", NULL };
	enum config_say running = SAY_KEEP;
	struct json_object *v = NULL;
	char path[32];
	int rc;

	snprintf(path, sizeof(path), "mdevs[%zu]", i);
	if (!json_object_is_type(o, json_type_object)) {
		diag_set(r->d, "%s: not an object", path);
		return -EINVAL;
	}
	rc = known_keys(r, o, path, keys);
	if (!rc && (!json_object_object_get_ex(o, "uuid", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    !uuid_valid(json_object_get_string(v)))) {
		diag_set(r->d, "%s.uuid: %s%s%s", path, v ? "'" : "", v ? json_object_get_string(v) : "",
			 v ? "' is not a UUID (8-4-4-4-12 hex digits)" :
			     "missing: every mdev has one");
		rc = -EINVAL;
	}
	if (!rc)
		uuid_lower(json_object_get_string(v), m->uuid);
	if (!rc)
		rc = read_mdev_ids(r, o, path, m->given, &m->ids);
	if (!rc)
		rc = read_bool(r, o, path, "running", &running);
	m->running = running != SAY_NO;
	if (!rc)
		rc = read_mdev_persistent(r, o, path, m);
	if (!rc)
		rc = read_bool(r, o, path, "autostart", &m->autostart);
	if (!rc && m->autostart == SAY_YES && m->persistent == SAY_NO) {
		diag_set(r->d, "%s.autostart: true needs a definition, and persistent is false "
			 "(mdevctl starts only what it defines)", path);
		rc = -EINVAL;
	}
	if (!rc)
		rc = read_name(r, o, path, m);
	return rc;
}

/* The rule's masks: true (as the running ones), false (none), or an object of masks. */
static int read_rule(const struct reader *r, struct json_object *o, struct config *c)
{
	static const char *const keys[] = { "adapters", "domains", "apmask", "aqmask", NULL };
	struct json_object *v;
	int rc;

	if (!json_object_object_get_ex(o, "persistent", &v) ||
	    !json_object_is_type(v, json_type_object))
		return read_bool(r, o, "", "persistent", &c->persistent);
	c->persistent = SAY_YES;
	c->rule_object = true;
	rc = known_keys(r, v, "persistent", keys);
	return rc ? rc : read_masks(r, v, "persistent", true, c->rule);
}

static int by_uuid(const void *a, const void *b, void *arg)
{
	const struct config_mdev *m = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int rc = strcmp(m[i].uuid, m[j].uuid);

	return rc ? rc : (i > j) - (i < j);
}

/*
 * Of the first n mdevs, the first whose UUID an earlier one has: its index
 * (and in *first, the earliest one's), or n. Sorted, not pairwise: a file of
 * many mdevs is read in n log n.
 */
static size_t first_duplicate(const struct config_mdev *m, size_t n, size_t *first)
{
	size_t *order = malloc((n + 1) * sizeof(*order)), dup = n;

	if (!order) {
		*first = 0;
		return (size_t)-1;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), by_uuid, (void *)m);
	/*
	 * in a run of one UUID, in file order, the least index after its first
	 * is its second; and the second's predecessor, the first
	 */
	for (size_t k = 1; k < n; k++)
		if (order[k] < dup && !strcmp(m[order[k]].uuid, m[order[k - 1]].uuid)) {
			dup = order[k];
			*first = order[k - 1];
		}
	free(order);
	return dup;
}

static int read_mdevs(const struct reader *r, struct json_object *mdevs, struct config *c)
{
	size_t n = 0, dup, first = 0;
	int rc = 0;

	if (!json_object_is_type(mdevs, json_type_array)) {
		diag_set(r->d, "mdevs: not a list");
		return -EINVAL;
	}
	c->has_mdevs = true;
	c->nmdevs = json_object_array_length(mdevs);
	c->mdevs = calloc(c->nmdevs + 1, sizeof(*c->mdevs));
	if (!c->mdevs)
		return -ENOMEM;
	for (; !rc && n < c->nmdevs; n++) {
		rc = read_mdev(r, json_object_array_get_idx(mdevs, n), n, &c->mdevs[n]);
		c->covers_persistent |= c->mdevs[n].persistent != SAY_KEEP;
	}
	/* a UUID twice before the mdev that cannot be read is the first fault */
	n -= rc != 0;
	dup = first_duplicate(c->mdevs, n, &first);
	if (dup == (size_t)-1)
		return -ENOMEM;
	if (dup < n) {
		diag_set(r->d, "mdevs[%zu].uuid: %s is mdevs[%zu]'s too", dup, c->mdevs[dup].uuid,
			 first);
		rc = -EINVAL;
	}
	return rc;
}

static int read_card(const struct reader *r, struct json_object *o, size_t i,
		     struct config_card *card)
{
	static const char *const keys[] = { "adapter", "type", "mode", NULL };
	static const char modes[] = { 'A', 'C', 'P' };
	struct json_object *a, *t, *m;
	struct card_type ct;
	struct diag d;
	char path[32];
	size_t k = 0;

	snprintf(path, sizeof(path), "cards[%zu]", i);
	if (!json_object_is_type(o, json_type_object)) {
		diag_set(r->d, "%s: not an object", path);
		return -EINVAL;
	}
	if (known_keys(r, o, path, keys))
		return -EINVAL;
	if (!json_object_object_get_ex(o, "adapter", &a) || !json_object_is_type(a, json_type_int) ||
	    json_object_get_int64(a) < 0 || json_object_get_int64(a) > r->max_a) {
		diag_set(r->d, "%s.adapter: %s", path, a ? "not an adapter ID of this host" :
			 "missing");
		return -EINVAL;
	}
	card->adapter = (unsigned)json_object_get_int64(a);
	if (!json_object_object_get_ex(o, "type", &t) || !json_object_is_type(t, json_type_string) ||
	    card_type_parse(json_object_get_string(t), &ct, &d)) {
		diag_set(r->d, "%s.type: %s", path, t ? d.msg : "missing");
		return -EINVAL;
	}
	card_type_name(&ct, card->type);
	json_object_object_get_ex(o, "mode", &m);
	while (m && k < sizeof(modes) && strcmp(json_object_get_string(m), card_mode_name(modes[k])))
		k++;
	if (!m || k == sizeof(modes)) {
		diag_set(r->d, "%s.mode: %s%s", path, m ? json_object_get_string(m) : "missing",
			 m ? " is not Accelerator, CCA-Coproc or EP11-Coproc" : "");
		return -EINVAL;
	}
	card->mode = modes[k];
	return 0;
}

static int read_cards(const struct reader *r, struct json_object *o, struct config *c)
{
	struct json_object *cards;
	int rc = 0;

	if (!json_object_object_get_ex(o, "cards", &cards))
		return 0;
	if (!json_object_is_type(cards, json_type_array)) {
		diag_set(r->d, "cards: not a list");
		return -EINVAL;
	}
	c->cards = calloc(json_object_array_length(cards) + 1, sizeof(*c->cards));
	if (!c->cards)
		return -ENOMEM;
	for (size_t i = 0; !rc && i < json_object_array_length(cards); i++)
		rc = read_card(r, json_object_array_get_idx(cards, i), i, &c->cards[c->ncards++]);
	return rc;
}

static int read_config(const struct reader *r, struct json_object *o, struct config *c)
{
	static const char *const keys[] = { "version", "adapters", "domains", "apmask", "aqmask",
					    "persistent", "mdevs", "cards", NULL };
	struct json_object *v = NULL, *mdevs;
	int rc;

	if (!json_object_is_type(o, json_type_object)) {
		diag_set(r->d, "a configuration is a JSON object");
		return -EINVAL;
	}
	rc = known_keys(r, o, "", keys);
	if (!rc && (!json_object_object_get_ex(o, "version", &v) ||
		    !json_object_is_type(v, json_type_int) ||
		    json_object_get_int(v) != CONFIG_VERSION)) {
		diag_set(r->d, "version: %s%s", v ? json_object_get_string(v) : "missing",
			 v ? " is not 1, the version this apctl reads" : ": it is 1");
		rc = -EINVAL;
	}
	if (!rc)
		rc = read_masks(r, o, "", false, c->run);
	if (!rc)
		rc = read_rule(r, o, c);
	c->covers_persistent = c->persistent != SAY_KEEP;
	if (!rc && json_object_object_get_ex(o, "mdevs", &mdevs))
		rc = read_mdevs(r, mdevs, c);
	if (!rc)
		rc = read_cards(r, o, c);
	return rc;
}

/* The end of the JSON string that starts at p (its opening quote), or NULL. */
static const char *string_end(const char *p)
{
	for (p++; *p && *p != '"'; p++)
		if (*p == '\\' && p[1])
			p++;
	return *p ? p : NULL;
}

/*
 * A key that an object of text has twice (json-c keeps the last one silently):
 * 0, or -EINVAL with the key and the character where it comes again in *d.
 * text is JSON that json-c has read.
 */
static int duplicate_key(const char *text, struct diag *d)
{
	/* per open object, the start of its first key seen and the depth's container */
	const char *keys[64][64];
	size_t nkeys[64] = { 0 };
	bool object[64] = { false };
	int depth = -1;

	for (const char *p = text; *p; p++) {
		const char *end;

		if (*p == '{' || *p == '[') {
			if (++depth >= 64)
				return 0;
			object[depth] = *p == '{';
			nkeys[depth] = 0;
		} else if (*p == '}' || *p == ']') {
			depth--;
		} else if (*p == '"') {
			end = string_end(p);
			if (!end)
				return 0;
			/* a key: a string in an object followed by a colon */
			if (depth >= 0 && object[depth] && end[1 + strspn(end + 1, " \t\r\n")] == ':') {
				for (size_t k = 0; k < nkeys[depth]; k++)
					if (string_end(keys[depth][k]) - keys[depth][k] == end - p &&
					    !memcmp(keys[depth][k], p, (size_t)(end - p))) {
						diag_set(d, "key %.*s comes twice in an object (again at "
							 "character %td)", (int)(end - p + 1), p, p - text);
						return -EINVAL;
					}
				if (nkeys[depth] < 64)
					keys[depth][nkeys[depth]++] = p;
			}
			p = end;
		}
	}
	return 0;
}

int config_parse(const char *text, unsigned max_adapter, unsigned max_domain, struct config *c,
		 struct diag *d)
{
	struct reader r = { max_adapter, max_domain, d };
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;
	enum json_tokener_error err;
	int rc;

	memset(c, 0, sizeof(*c));
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)strlen(text) + 1);
	err = json_tokener_get_error(tok);
	if (!o || err != json_tokener_success) {
		diag_set(d, "not JSON: %s at character %d", json_tokener_error_desc(err),
			 (int)tok->char_offset);
		json_object_put(o);
		json_tokener_free(tok);
		return -EINVAL;
	}
	json_tokener_free(tok);
	rc = duplicate_key(text, d);
	if (!rc)
		rc = read_config(&r, o, c);
	json_object_put(o);
	if (rc)
		config_free(c);
	return rc;
}

void config_free(struct config *c)
{
	for (size_t i = 0; i < c->nmdevs; i++)
		if (c->mdevs[i].def) {
			def_free(c->mdevs[i].def);
			free(c->mdevs[i].def);
		}
	free(c->mdevs);
	free(c->cards);
	memset(c, 0, sizeof(*c));
}
