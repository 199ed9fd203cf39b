/* SPDX-License-Identifier: MIT */
#include "conffile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "masksyntax.h"
#include "rules.h"

/* What a configuration reads: its path, for messages, and the maxima. */
struct reader {
	unsigned max_a, max_d;
	struct diag *d;
};

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
			if (n < 0 || n > (int64_t)max) {
				diag_set(r->d, "%s[%zu]: %s %lld is %s", path, i, what, (long long)n,
					 n < 0 ? "negative" : "above the system's maximum ID");
				return -EINVAL;
			}
			idset_add(out, (unsigned)n);
			continue;
		}
		if (!json_object_is_type(e, json_type_string) ||
		    idlist_parse(json_object_get_string(e), max, what, &ids, &d)) {
			diag_set(r->d, "%s[%zu]: %s", path, i,
				 json_object_is_type(e, json_type_string) ? d.msg :
				 "an ID is a number or a string such as \"0x0a-0x0c\"");
			return -EINVAL;
		}
		*out = idset_or(out, &ids);
	}
	return 0;
}

static int read_bool(const struct reader *r, struct json_object *o, const char *path,
		     const char *key, bool *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean)) {
		diag_set(r->d, "%s.%s: '%s' is not true or false", path, key,
			 json_object_get_string(v));
		return -EINVAL;
	}
	*out = json_object_get_boolean(v);
	return 0;
}

static int read_mdev(const struct reader *r, struct json_object *o, size_t i,
		     struct config_mdev *m)
{
	static const char *const keys[] = { "uuid", "adapters", "domains", "control_domains",
					    "persistent", "autostart", "name", NULL };
	static const char *const kinds[] = { "adapters", "domains", "control_domains" };
	struct json_object *v;
	char path[32], sub[64];
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
			 v ? "' is not a UUID" : "missing: every mdev has one");
		rc = -EINVAL;
	}
	if (!rc)
		uuid_lower(json_object_get_string(v), m->uuid);
	for (int k = 0; !rc && k < 3; k++) {
		if (!json_object_object_get_ex(o, kinds[k], &v))
			continue;
		snprintf(sub, sizeof(sub), "%s.%s", path, kinds[k]);
		rc = read_ids(r, v, sub, k == ASSIGN_ADAPTER ? r->max_a : r->max_d,
			      assign_kind_name((enum assign_kind)k),
			      matrix_ids(&m->ids, (enum assign_kind)k));
	}
	if (!rc)
		rc = read_bool(r, o, path, "persistent", &m->persistent);
	if (!rc)
		rc = read_bool(r, o, path, "autostart", &m->autostart);
	if (!rc && m->autostart && !m->persistent) {
		diag_set(r->d, "%s.autostart: true needs \"persistent\": true (mdevctl starts only "
			 "what it defines)", path);
		rc = -EINVAL;
	}
	if (!rc && json_object_object_get_ex(o, "name", &v)) {
		if (!json_object_is_type(v, json_type_string) ||
		    json_object_get_string_len(v) >= CONFIG_NAME_MAX) {
			diag_set(r->d, "%s.name: not a string of up to %d characters", path,
				 CONFIG_NAME_MAX - 1);
			rc = -EINVAL;
		} else {
			snprintf(m->name, sizeof(m->name), "%s", json_object_get_string(v));
		}
	}
	return rc;
}

/* adapters and domains, or apmask and aqmask. */
static int read_masks(const struct reader *r, struct json_object *o, struct config *c)
{
	static const char *const ids[] = { "adapters", "domains" };
	static const char *const masks[] = { "apmask", "aqmask" };
	struct idset *out[] = { &c->apmask, &c->aqmask }, all, reserved;
	struct json_object *v;
	int rc = 0;

	idset_fill(&all);
	for (int k = 0; !rc && k < 2; k++) {
		bool has_ids = json_object_object_get_ex(o, ids[k], &v);

		*out[k] = all;
		if (has_ids && json_object_object_get_ex(o, masks[k], NULL)) {
			diag_set(r->d, "%s and %s both say what %s is: give one", ids[k], masks[k],
				 masks[k]);
			return -EINVAL;
		}
		if (has_ids) {
			rc = read_ids(r, v, ids[k], k ? r->max_d : r->max_a, k ? "domain" : "adapter",
				      &reserved);
			*out[k] = idset_minus(&all, &reserved);
		} else if (json_object_object_get_ex(o, masks[k], &v)) {
			struct diag d;

			if (!json_object_is_type(v, json_type_string) ||
			    mask_edit_parse(json_object_get_string(v), &all, out[k], NULL, &d)) {
				diag_set(r->d, "%s: %s", masks[k],
					 json_object_is_type(v, json_type_string) ? d.msg :
					 "a mask is a string such as \"0xf9ff...\"");
				rc = -EINVAL;
			}
		} else {
			continue;
		}
		c->has_masks = true;
	}
	return rc;
}

static int read_config(const struct reader *r, struct json_object *o, struct config *c)
{
	static const char *const keys[] = { "version", "adapters", "domains", "apmask", "aqmask",
					    "persistent", "mdevs", NULL };
	struct json_object *v, *mdevs;
	bool any = false;
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
		rc = read_masks(r, o, c);
	mdevs = NULL;
	if (!rc && json_object_object_get_ex(o, "mdevs", &mdevs) &&
	    !json_object_is_type(mdevs, json_type_array)) {
		diag_set(r->d, "mdevs: not a list");
		rc = -EINVAL;
	}
	if (!rc && mdevs) {
		c->nmdevs = json_object_array_length(mdevs);
		c->mdevs = calloc(c->nmdevs + 1, sizeof(*c->mdevs));
		rc = c->mdevs ? 0 : -ENOMEM;
	}
	for (size_t i = 0; !rc && i < c->nmdevs; i++) {
		rc = read_mdev(r, json_object_array_get_idx(mdevs, i), i, &c->mdevs[i]);
		for (size_t j = 0; !rc && j < i; j++)
			if (!strcmp(c->mdevs[j].uuid, c->mdevs[i].uuid)) {
				diag_set(r->d, "mdevs[%zu].uuid: %s is mdevs[%zu]'s too", i,
					 c->mdevs[i].uuid, j);
				rc = -EINVAL;
			}
		any |= !rc && c->mdevs[i].persistent;
	}
	/* persistent mdevs need the masks at boot: they persist unless told */
	c->persistent = any;
	if (!rc)
		rc = read_bool(r, o, "", "persistent", &c->persistent);
	return rc;
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
	o = json_tokener_parse_ex(tok, text, (int)strlen(text));
	err = json_tokener_get_error(tok);
	if (!o || err != json_tokener_success || (size_t)tok->char_offset < strlen(text)) {
		diag_set(d, "not JSON: %s at character %d",
			 o && err == json_tokener_success ? "more after the end" :
							    json_tokener_error_desc(err),
			 (int)tok->char_offset);
		json_object_put(o);
		json_tokener_free(tok);
		return -EINVAL;
	}
	json_tokener_free(tok);
	rc = read_config(&r, o, c);
	json_object_put(o);
	if (rc)
		config_free(c);
	return rc;
}

void config_free(struct config *c)
{
	free(c->mdevs);
	memset(c, 0, sizeof(*c));
}

static struct json_object *ids_json(const struct idset *s)
{
	struct json_object *a = json_object_new_array();

	idset_foreach(id, s)
		json_object_array_add(a, json_object_new_int(id));
	return a;
}

struct json_object *config_export(const struct ap_state *st, const struct persist *p)
{
	struct json_object *o = json_object_new_object(), *mdevs = json_object_new_array();
	struct idset all = idset_upto(st->max_adapter), reserved;
	size_t *order = state_mdevs_by_uuid(st);

	json_object_object_add(o, "version", json_object_new_int(CONFIG_VERSION));
	reserved = idset_minus(&all, &st->apmask);
	json_object_object_add(o, "adapters", ids_json(&reserved));
	all = idset_upto(st->max_domain);
	reserved = idset_minus(&all, &st->aqmask);
	json_object_object_add(o, "domains", ids_json(&reserved));
	json_object_object_add(o, "persistent", json_object_new_boolean(
				       p && (p->rule.has_apmask || p->rule.has_aqmask)));
	for (size_t k = 0; order && k < st->nmdevs; k++) {
		const struct ap_mdev *m = &st->mdevs[order[k]];
		const struct mdev_def *def = p ? persist_find(p, m->uuid) : NULL;
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "uuid", json_object_new_string(m->uuid));
		json_object_object_add(e, "adapters", ids_json(&m->matrix.apm));
		json_object_object_add(e, "domains", ids_json(&m->matrix.aqm));
		json_object_object_add(e, "control_domains", ids_json(&m->matrix.adm));
		json_object_object_add(e, "persistent", json_object_new_boolean(def != NULL));
		json_object_object_add(e, "autostart", json_object_new_boolean(def && def->autostart));
		json_object_array_add(mdevs, e);
	}
	free(order);
	json_object_object_add(o, "mdevs", mdevs);
	return o;
}
