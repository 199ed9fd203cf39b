/* SPDX-License-Identifier: MIT */
#include "grow.h"
#include "persist.h"

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "masksyntax.h"
#include "paths.h"
#include "rules.h"


/* The index of p's definitions made anew (without memory, they are searched one by one). */
static void index_defs(struct persist *p)
{
	uuidmap_make(&p->index, p->defs, p->ndefs, sizeof(*p->defs), offsetof(struct mdev_def, uuid));
}

/* A definition was added at the end of p's. */
static void def_added(struct persist *p)
{
	if (!uuidmap_added(&p->index, p->defs, p->ndefs))
		index_defs(p);
}

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
 * What attribute name=value does to the IDs a definition assigns, as the
 * kernel reads the write. A value the kernel would refuse, or an attribute
 * apctl does not know, is kept as it is: mdevctl writes it all the same, and
 * the kernel answers.
 */
static void apply_attr(struct ap_matrix *m, const char *name, const char *value)
{
	struct ap_matrix config;
	uint64_t id;

	if (!strcmp(name, "ap_config")) {
		if (!kernel_ap_config_parse(value, strlen(value), &config))
			*m = config;
		return;
	}
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

static void def_bad(struct mdev_def *def, bool stops, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Why apctl cannot read def, and whether mdevctl cannot either. */
static void def_bad(struct mdev_def *def, bool stops, const char *fmt, ...)
{
	va_list ap;

	if (def->bad[0])
		return;
	va_start(ap, fmt);
	vsnprintf(def->bad, sizeof(def->bad), fmt, ap);
	va_end(ap);
	def->stops_mdevctl = stops;
}

/* Appends name=value to def's attrs: 0 or -ENOMEM. */
static int add_attr(struct mdev_def *def, const char *name, const char *value)
{
	struct def_attr *more = realloc(def->attrs, (def->nattrs + 1) * sizeof(*more));
	struct def_attr *a;

	if (!more)
		return -ENOMEM;
	def->attrs = more;
	a = &def->attrs[def->nattrs];
	a->name = strdup(name);
	a->value = strdup(value);
	if (!a->name || !a->value) {
		free(a->name);
		free(a->value);
		return -ENOMEM;
	}
	def->nattrs++;
	apply_attr(&def->ids, name, value);
	return 0;
}

/* The attrs array as mdevctl loads it: one-key objects of string values. */
static void read_attrs(struct mdev_def *def, struct json_object *arr)
{
	for (size_t i = 0; i < json_object_array_length(arr) && !def->bad[0]; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);

		if (!json_object_is_type(o, json_type_object) || json_object_object_length(o) != 1) {
			def_bad(def, true, "attrs[%zu] is not an object of one attribute", i);
			return;
		}
		json_object_object_foreach(o, k, v) {
			if (!json_object_is_type(v, json_type_string))
				def_bad(def, true, "attrs[%zu]: the value of %s is not a string", i, k);
			else if (add_attr(def, k, json_object_get_string(v)))
				def_bad(def, false, "out of memory");
		}
	}
}

/* The JSON of text, strictly as mdevctl's parser reads it (UTF-8, nothing after it), or NULL. */
static struct json_object *parse_strict(const char *text, char *why, size_t size)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;
	enum json_tokener_error err;

	if (!tok) {
		snprintf(why, size, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)strlen(text) + 1);
	err = json_tokener_get_error(tok);
	if (err != json_tokener_success) {
		snprintf(why, size, "not JSON: %s at character %d", json_tokener_error_desc(err),
			 (int)tok->char_offset);
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/*
 * A definition's text: what apctl reads of it, or why not in def->bad, with
 * whether mdevctl's loader fails on it too (stops_mdevctl).
 */
static void read_def_text(struct mdev_def *def, const char *text, size_t len)
{
	struct json_object *o, *type, *start, *arr;
	char why[DIAG_MAX];

	if (strlen(text) != len) {
		def_bad(def, true, "not text: it holds a NUL byte");
		return;
	}
	o = parse_strict(text, why, sizeof(why));
	if (!o) {
		def_bad(def, true, "%s", why);
		return;
	}
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "mdev_type", &type) || !type ||
	    !json_object_object_get_ex(o, "start", &start) || !start)
		def_bad(def, true, "not an object with mdev_type and start");
	else if (!json_object_is_type(type, json_type_string))
		def_bad(def, true, "mdev_type is not a string");
	else if (json_object_object_get_ex(o, "attrs", &arr) && arr &&
		 !json_object_is_type(arr, json_type_array))
		def_bad(def, true, "attrs is not a list");
	if (!def->bad[0]) {
		const char *t = json_object_get_string(type);
		const char *st = json_object_is_type(start, json_type_string) ?
					 json_object_get_string(start) : "";

		/* mdevctl takes every start but "auto" for manual */
		def->autostart = !strcmp(st, "auto");
		if (strcmp(st, "auto") && strcmp(st, "manual"))
			def_bad(def, false, "start is neither auto nor manual (mdevctl takes it for "
				"manual)");
		if (strlen(t) >= sizeof(def->type))
			def_bad(def, false, "mdev_type is longer than %d characters",
				DEF_TYPE_MAX - 1);
		snprintf(def->type, sizeof(def->type), "%s", t);
		if (json_object_object_get_ex(o, "attrs", &arr) && arr)
			read_attrs(def, arr);
	}
	json_object_put(o);
}

void def_parse(struct mdev_def *def, const char *uuid, const char *text, size_t len)
{
	memset(def, 0, sizeof(*def));
	uuid_lower(uuid, def->uuid);
	read_def_text(def, text, len);
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
	size_t len = 0;
	char *text;
	int err;

	(void)type;
	if (!uuid_valid(name) || strlen(name) != UUID_STR_MAX - 1)
		return 0;
	defs = grow(c->p->defs, &c->p->capdefs, c->p->ndefs, sizeof(*defs));
	if (!defs)
		return c->err = -ENOMEM;
	c->p->defs = defs;
	def = memset(&defs[c->p->ndefs++], 0, sizeof(*def));
	uuid_lower(name, def->uuid);
	def_added(c->p);
	snprintf(rel, sizeof(rel), "%s/%s", MATRIX_DEFS_DIR, name);
	text = sysfs_read_bytes(c->s, rel, &len, &err);
	if (text)
		def_parse(def, name, text, len);
	else
		/* mdevctl passes over what it cannot open or what is no file */
		def_bad(def, false, "cannot be read: %s", strerror(-err));
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
		return rc;
	}
	rc = persist_read_boot(s, p);
	if (rc)
		diag_set(d, "cannot read mdevctl's callouts or modules-load.d: %s", strerror(-rc));
	if (!rc && (rc = persist_read_names(s, p, d)) != 0 && rc != -EINVAL) {
		char path[PATH_MAX];

		diag_set(d, "cannot read %s: %s", sysfs_path(s, NAMES_FILE, path, sizeof(path)),
			 strerror(-rc));
	}
	return rc;
}

void def_free(struct mdev_def *def)
{
	for (size_t i = 0; i < def->nattrs; i++) {
		free(def->attrs[i].name);
		free(def->attrs[i].value);
	}
	free(def->attrs);
	def->attrs = NULL;
	def->nattrs = 0;
}

void persist_free(struct persist *p)
{
	uuidmap_free(&p->index);
	for (size_t i = 0; i < p->ndefs; i++)
		def_free(&p->defs[i]);
	free(p->defs);
	free(p->names);
	memset(p, 0, sizeof(*p));
}

const struct mdev_def *persist_find(const struct persist *p, const char *uuid)
{
	char lower[UUID_STR_MAX];
	int i;

	/* a copy that views some of the definitions searches them */
	if (uuidmap_fits(&p->index, p->defs, p->ndefs)) {
		i = uuidmap_find(&p->index, uuid);
		return i >= 0 ? &p->defs[i] : NULL;
	}
	uuid_lower(uuid, lower);
	for (size_t k = 0; k < p->ndefs; k++)
		if (!strcmp(p->defs[k].uuid, lower))
			return &p->defs[k];
	return NULL;
}

int persist_copy(const struct persist *from, struct persist *to)
{
	int rc = 0;

	*to = *from;
	memset(&to->index, 0, sizeof(to->index));
	to->ndefs = 0;
	to->defs = calloc(from->ndefs + 1, sizeof(*to->defs));
	to->names = calloc(from->nnames + 1, sizeof(*to->names));
	to->capdefs = from->ndefs + 1;
	to->capnames = from->nnames + 1;
	if (!to->defs || !to->names) {
		free(to->defs);
		free(to->names);
		/* nothing of from's is left behind: to is empty, and freeing it is safe */
		memset(to, 0, sizeof(*to));
		return -ENOMEM;
	}
	if (from->nnames)
		memcpy(to->names, from->names, from->nnames * sizeof(*to->names));
	for (size_t i = 0; !rc && i < from->ndefs; i++) {
		const struct mdev_def *f = &from->defs[i];
		struct mdev_def *t = &to->defs[to->ndefs++];

		*t = *f;
		t->attrs = NULL;
		t->nattrs = 0;
		for (size_t k = 0; !rc && k < f->nattrs; k++)
			rc = add_attr(t, f->attrs[k].name, f->attrs[k].value);
		t->ids = f->ids;
	}
	if (rc)
		persist_free(to);
	else
		index_defs(to);
	return rc;
}

/* def (taken over) in place of its UUID's old definition, or after the others: 0 or -ENOMEM. */
static int take_def(struct persist *p, struct mdev_def *def)
{
	const struct mdev_def *old = persist_find(p, def->uuid);
	struct mdev_def *more;

	if (old) {
		size_t i = (size_t)(old - p->defs);

		def_free(&p->defs[i]);
		p->defs[i] = *def;
		return 0;
	}
	more = grow(p->defs, &p->capdefs, p->ndefs, sizeof(*more));
	if (!more) {
		def_free(def);
		return -ENOMEM;
	}
	p->defs = more;
	p->defs[p->ndefs++] = *def;
	def_added(p);
	return 0;
}

int persist_set_def(struct persist *p, const char *uuid, const struct ap_matrix *m,
		    bool autostart)
{
	const struct mdev_def *old = persist_find(p, uuid);
	struct mdev_def def;
	int rc = def_from_matrix(&def, uuid, m, autostart);

	if (rc)
		return rc;
	/* the type it has; the attributes anew, in apctl's order */
	if (old)
		snprintf(def.type, sizeof(def.type), "%s", old->type);
	return take_def(p, &def);
}

int persist_put_def(struct persist *p, const struct mdev_def *def, bool autostart)
{
	struct mdev_def copy = *def;
	int rc = 0;

	copy.attrs = NULL;
	copy.nattrs = 0;
	copy.autostart = autostart;
	for (size_t k = 0; !rc && k < def->nattrs; k++)
		rc = add_attr(&copy, def->attrs[k].name, def->attrs[k].value);
	copy.ids = def->ids;
	if (rc) {
		def_free(&copy);
		return rc;
	}
	return take_def(p, &copy);
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
	index_defs(p);
}

int def_from_matrix(struct mdev_def *def, const char *uuid, const struct ap_matrix *m,
		    bool autostart)
{
	char value[16];
	int rc = 0;

	memset(def, 0, sizeof(*def));
	uuid_lower(uuid, def->uuid);
	snprintf(def->type, sizeof(def->type), MDEV_TYPE_NAME);
	def->autostart = autostart;
	for (int kind = ASSIGN_ADAPTER; !rc && kind <= ASSIGN_CONTROL_DOMAIN; kind++)
		idset_foreach(id, matrix_ids(m, (enum assign_kind)kind)) {
			snprintf(value, sizeof(value), "%d", id);
			if (!rc)
				rc = add_attr(def, assign_attr_name((enum assign_kind)kind, true),
					      value);
		}
	if (rc)
		def_free(def);
	return rc;
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

int def_from_json(struct mdev_def *def, const char *uuid, const char *type,
		  struct json_object *attrs)
{
	memset(def, 0, sizeof(*def));
	uuid_lower(uuid, def->uuid);
	snprintf(def->type, sizeof(def->type), "%s", type);
	if (attrs && !json_object_is_type(attrs, json_type_array))
		def_bad(def, true, "attrs is not a list");
	else if (attrs)
		read_attrs(def, attrs);
	return strcmp(def->bad, "out of memory") ? 0 : -ENOMEM;
}
