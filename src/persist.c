/* SPDX-License-Identifier: MIT */
#include "persist.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "masksyntax.h"
#include "paths.h"
#include "rules.h"

/* udev reads a rule in /etc rather than one of the same name in /run. */
static int read_rule(struct sysfs *s, struct persist *p, struct diag *d)
{
	static const char *const dirs[] = { UDEV_RULES_DIR, RUN_UDEV_RULES_DIR };
	char path[4096];
	char *text = NULL;
	int err = -ENOENT, rc;

	for (size_t i = 0; i < 2 && err == -ENOENT; i++) {
		snprintf(p->rule_rel, sizeof(p->rule_rel), "%s/%s", dirs[i], APRULE_NAME);
		text = sysfs_read_alloc(s, p->rule_rel, &err);
		if (text)
			err = 0;
	}
	if (err == -ENOENT)
		return 0;
	if (err) {
		diag_set(d, "cannot read %s: %s", sysfs_path(s, p->rule_rel, path, sizeof(path)),
			 strerror(-err));
		return err;
	}
	p->has_rule = true;
	rc = aprule_parse(text, &p->rule, d);
	if (rc) {
		/* "FILE: line N: why" */
		char why[DIAG_MAX];

		snprintf(why, sizeof(why), "%s", d->msg);
		diag_set(d, "%s: %s", sysfs_path(s, p->rule_rel, path, sizeof(path)), why);
	}
	free(text);
	return rc;
}

/*
 * What attribute name=value does to the IDs a definition assigns. A value the
 * kernel would refuse, or an attribute apctl does not know, is kept as it is:
 * mdevctl writes it all the same, and the kernel answers.
 */
static void apply_attr(struct ap_matrix *m, const char *name, const char *value)
{
	uint64_t id;

	for (int kind = ASSIGN_ADAPTER; kind <= ASSIGN_CONTROL_DOMAIN; kind++)
		for (int assign = 0; assign < 2; assign++) {
			if (strcmp(name, assign_attr_name((enum assign_kind)kind, assign)) ||
			    kernel_kstrtoul(value, &id) || id > IDSET_MAX_ID)
				continue;
			if (assign)
				idset_add(matrix_ids(m, (enum assign_kind)kind), (unsigned)id);
			else
				idset_del(matrix_ids(m, (enum assign_kind)kind), (unsigned)id);
		}
}

static const char *string_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* The attrs array: one-key objects of string values. */
static void read_attrs(struct mdev_def *def, struct json_object *arr)
{
	size_t n = json_object_array_length(arr);

	def->attrs = calloc(n ? n : 1, sizeof(*def->attrs));
	if (!def->attrs) {
		snprintf(def->bad, sizeof(def->bad), "out of memory");
		return;
	}
	for (size_t i = 0; i < n && !def->bad[0]; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		struct def_attr *a = &def->attrs[def->nattrs];
		const char *why = "not an object of one string";

		if (json_object_is_type(o, json_type_object) && json_object_object_length(o) == 1) {
			json_object_object_foreach(o, k, v) {
				if (!json_object_is_type(v, json_type_string) ||
				    strlen(k) >= sizeof(a->name) ||
				    json_object_get_string_len(v) >= (int)sizeof(a->value))
					break;
				snprintf(a->name, sizeof(a->name), "%s", k);
				snprintf(a->value, sizeof(a->value), "%s", json_object_get_string(v));
				apply_attr(&def->ids, a->name, a->value);
				why = NULL;
			}
		}
		if (why)
			snprintf(def->bad, sizeof(def->bad), "attrs[%zu]: %s", i, why);
		else
			def->nattrs++;
	}
}

/* A definition's text: what apctl reads of it, or why not in def->bad. */
static void read_def_text(struct mdev_def *def, const char *text)
{
	enum json_tokener_error jerr;
	struct json_object *o = json_tokener_parse_verbose(text, &jerr), *arr;
	const char *type, *start;

	if (!o || !json_object_is_type(o, json_type_object)) {
		snprintf(def->bad, sizeof(def->bad), "not a JSON object%s%s", o ? "" : ": ",
			 o ? "" : json_tokener_error_desc(jerr));
		json_object_put(o);
		return;
	}
	type = string_of(o, "mdev_type");
	start = string_of(o, "start");
	if (!type || strlen(type) >= sizeof(def->type))
		snprintf(def->bad, sizeof(def->bad), "no mdev_type");
	else if (!start || (strcmp(start, "auto") && strcmp(start, "manual")))
		snprintf(def->bad, sizeof(def->bad), "start is neither auto nor manual");
	else if (json_object_object_get_ex(o, "attrs", &arr) &&
		 !json_object_is_type(arr, json_type_array))
		snprintf(def->bad, sizeof(def->bad), "attrs is not an array");
	if (!def->bad[0]) {
		snprintf(def->type, sizeof(def->type), "%s", type);
		def->autostart = !strcmp(start, "auto");
		if (json_object_object_get_ex(o, "attrs", &arr))
			read_attrs(def, arr);
	}
	json_object_put(o);
}

struct defs_ctx {
	struct sysfs *s;
	struct persist *p;
	int err;
};

static int read_def(const char *name, unsigned char type, void *ctx)
{
	struct defs_ctx *c = ctx;
	struct mdev_def *defs, *def;
	char rel[256];
	char *text;
	int err;

	(void)type;
	if (!uuid_valid(name) || strlen(name) != UUID_STR_MAX - 1)
		return 0;
	defs = realloc(c->p->defs, (c->p->ndefs + 1) * sizeof(*defs));
	if (!defs)
		return c->err = -ENOMEM;
	c->p->defs = defs;
	def = memset(&defs[c->p->ndefs++], 0, sizeof(*def));
	uuid_lower(name, def->uuid);
	snprintf(rel, sizeof(rel), "%s/%s", MATRIX_DEFS_DIR, name);
	text = sysfs_read_alloc(c->s, rel, &err);
	if (text)
		read_def_text(def, text);
	else
		snprintf(def->bad, sizeof(def->bad), "cannot be read: %s", strerror(-err));
	free(text);
	return 0;
}

int persist_read(struct sysfs *s, struct persist *p, struct diag *d)
{
	struct defs_ctx c = { s, p, 0 };
	int rc;

	memset(p, 0, sizeof(*p));
	rc = read_rule(s, p, d);
	if (rc)
		return rc;
	rc = sysfs_list(s, MATRIX_DEFS_DIR, read_def, &c);
	if (rc == -ENOENT)
		rc = 0;
	if (!rc)
		rc = c.err;
	if (rc) {
		char path[4096];

		diag_set(d, "cannot read the mdevctl definitions %s: %s",
			 sysfs_path(s, MATRIX_DEFS_DIR, path, sizeof(path)), strerror(-rc));
	}
	return rc;
}

void def_free(struct mdev_def *def)
{
	free(def->attrs);
	def->attrs = NULL;
	def->nattrs = 0;
}

void persist_free(struct persist *p)
{
	for (size_t i = 0; i < p->ndefs; i++)
		def_free(&p->defs[i]);
	free(p->defs);
	memset(p, 0, sizeof(*p));
}

const struct mdev_def *persist_find(const struct persist *p, const char *uuid)
{
	char lower[UUID_STR_MAX];

	uuid_lower(uuid, lower);
	for (size_t i = 0; i < p->ndefs; i++)
		if (!strcmp(p->defs[i].uuid, lower))
			return &p->defs[i];
	return NULL;
}

int persist_copy(const struct persist *from, struct persist *to)
{
	*to = *from;
	to->defs = calloc(from->ndefs + 1, sizeof(*to->defs));
	if (!to->defs)
		return -ENOMEM;
	for (size_t i = 0; i < from->ndefs; i++) {
		to->defs[i] = from->defs[i];
		to->defs[i].attrs = calloc(from->defs[i].nattrs + 1, sizeof(struct def_attr));
		if (!to->defs[i].attrs) {
			to->ndefs = i;
			persist_free(to);
			return -ENOMEM;
		}
		memcpy(to->defs[i].attrs, from->defs[i].attrs,
		       from->defs[i].nattrs * sizeof(struct def_attr));
	}
	return 0;
}

int persist_set_def(struct persist *p, const char *uuid, const struct ap_matrix *m,
		    bool autostart)
{
	const struct mdev_def *old = persist_find(p, uuid);
	struct mdev_def def, *more;
	int rc = def_from_matrix(&def, uuid, m, autostart);

	if (rc)
		return rc;
	if (old) {
		size_t i = (size_t)(old - p->defs);

		/* the type it has; the attributes anew, in apctl's order */
		snprintf(def.type, sizeof(def.type), "%s", old->type);
		def_free(&p->defs[i]);
		p->defs[i] = def;
		return 0;
	}
	more = realloc(p->defs, (p->ndefs + 1) * sizeof(*more));
	if (!more) {
		def_free(&def);
		return -ENOMEM;
	}
	p->defs = more;
	p->defs[p->ndefs++] = def;
	return 0;
}

void persist_drop_def(struct persist *p, const char *uuid)
{
	const struct mdev_def *def = persist_find(p, uuid);
	size_t i;

	if (!def)
		return;
	i = (size_t)(def - p->defs);
	def_free(&p->defs[i]);
	memmove(&p->defs[i], &p->defs[i + 1], (p->ndefs - i - 1) * sizeof(*p->defs));
	p->ndefs--;
}

int def_from_matrix(struct mdev_def *def, const char *uuid, const struct ap_matrix *m,
		    bool autostart)
{
	size_t n = 0;

	memset(def, 0, sizeof(*def));
	uuid_lower(uuid, def->uuid);
	snprintf(def->type, sizeof(def->type), "vfio_ap-passthrough");
	def->autostart = autostart;
	def->ids = *m;
	def->attrs = calloc(idset_count(&m->apm) + idset_count(&m->aqm) + idset_count(&m->adm) + 1,
			    sizeof(*def->attrs));
	if (!def->attrs)
		return -ENOMEM;
	for (int kind = ASSIGN_ADAPTER; kind <= ASSIGN_CONTROL_DOMAIN; kind++)
		idset_foreach(id, matrix_ids(m, (enum assign_kind)kind)) {
			struct def_attr *a = &def->attrs[n++];

			snprintf(a->name, sizeof(a->name), "%s",
				 assign_attr_name((enum assign_kind)kind, true));
			snprintf(a->value, sizeof(a->value), "%d", id);
		}
	def->nattrs = n;
	return 0;
}

/* s as a JSON string, into f. */
static void json_string_out(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++)
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	fputc('"', f);
}

char *def_format(const struct mdev_def *def)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	/* serde_json's pretty printer, as mdevctl uses it: two spaces, no newline at the end */
	fputs("{\n  \"mdev_type\": ", f);
	json_string_out(f, def->type);
	fprintf(f, ",\n  \"start\": \"%s\",\n  \"attrs\": [", def->autostart ? "auto" : "manual");
	for (size_t i = 0; i < def->nattrs; i++) {
		fprintf(f, "%s\n    {\n      ", i ? "," : "");
		json_string_out(f, def->attrs[i].name);
		fputs(": ", f);
		json_string_out(f, def->attrs[i].value);
		fputs("\n    }", f);
	}
	fputs(def->nattrs ? "\n  ]\n}" : "]\n}", f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
