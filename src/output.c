/* SPDX-License-Identifier: MIT */
#include "output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "masksyntax.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)

/* Writes json-c's rendering of val, indented to the current depth. */
static void put_value(struct jstream *js, struct json_object *val)
{
	const char *text = json_object_to_json_string_ext(val, JSON_FLAGS);

	for (const char *p = text; *p; p++) {
		fputc(*p, js->f);
		/* json-c escapes newlines inside strings, so each one here is layout */
		if (*p == '\n')
			fprintf(js->f, "%*s", js->depth * 2, "");
	}
}

static void next_item(struct jstream *js)
{
	fputs(js->first[js->depth] ? "\n" : ",\n", js->f);
	js->first[js->depth] = false;
	fprintf(js->f, "%*s", js->depth * 2, "");
}

static void put_key(struct jstream *js, const char *key)
{
	struct json_object *k = json_object_new_string(key);

	next_item(js);
	put_value(js, k);
	fputs(": ", js->f);
	json_object_put(k);
}

void js_begin(struct jstream *js, FILE *f)
{
	js->f = f;
	js->depth = 1;
	js->first[1] = true;
	fputc('{', f);
}

void js_member(struct jstream *js, const char *key, struct json_object *val)
{
	put_key(js, key);
	if (val)
		put_value(js, val);
	else
		fputs("null", js->f);
	json_object_put(val);
}

void js_begin_array(struct jstream *js, const char *key)
{
	put_key(js, key);
	fputc('[', js->f);
	js->depth++;
	js->first[js->depth] = true;
}

void js_element(struct jstream *js, struct json_object *val)
{
	next_item(js);
	put_value(js, val);
	json_object_put(val);
}

void js_end_array(struct jstream *js)
{
	bool empty = js->first[js->depth];

	js->depth--;
	if (!empty)
		fprintf(js->f, "\n%*s", js->depth * 2, "");
	fputc(']', js->f);
}

void js_end(struct jstream *js)
{
	fputs("\n}\n", js->f);
}

void verrmsg(const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs("apctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void errmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrmsg(fmt, ap);
	va_end(ap);
}

void json_print(FILE *f, struct json_object *val)
{
	fprintf(f, "%s\n", json_object_to_json_string_ext(val, JSON_FLAGS));
	json_object_put(val);
}

struct json_object *json_idset(const struct idset *s)
{
	struct json_object *a = json_object_new_array();

	idset_foreach(id, s)
		json_object_array_add(a, json_object_new_int(id));
	return a;
}

struct json_object *json_apqns(const struct idset *apm, const struct idset *aqm)
{
	struct json_object *arr = json_object_new_array();
	char buf[APQN_STR_MAX];

	idset_foreach(a, apm)
		idset_foreach(d, aqm)
			json_object_array_add(arr, json_object_new_string(apqn_format((unsigned)a,
										(unsigned)d, buf)));
	return arr;
}

struct json_object *json_apqnset(const struct apqnset *s)
{
	struct json_object *arr = json_object_new_array();
	char buf[APQN_STR_MAX];

	for (unsigned a = 0; a < IDSET_BITS; a++)
		idset_foreach(d, &s->dom[a])
			json_object_array_add(arr, json_object_new_string(apqn_format(a, (unsigned)d,
										buf)));
	return arr;
}

const char *text_ids(const struct idset *s, const char *none, char *buf, size_t size)
{
	idlist_format(s, buf, size);
	return buf[0] ? buf : none;
}

void text_apqnset(FILE *f, const struct apqnset *s, const char *indent)
{
	struct apqn_group *g = malloc(IDSET_BITS * sizeof(*g));
	unsigned count = apqnset_count(s);
	char a[IDLIST_MAX], d[IDLIST_MAX];
	size_t n;

	if (!g)
		return;
	n = apqnset_groups(s, g);
	fprintf(f, "%u APQN%s", count, count == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		idlist_format(&g[i].adapters, a, sizeof(a));
		idlist_format(&g[i].domains, d, sizeof(d));
		if (n == 1)
			fprintf(f, ": adapter%s %s x domain%s %s",
				idset_count(&g[i].adapters) == 1 ? "" : "s", a,
				idset_count(&g[i].domains) == 1 ? "" : "s", d);
		else
			fprintf(f, "\n%sadapter%s %s x domain%s %s", indent,
				idset_count(&g[i].adapters) == 1 ? "" : "s", a,
				idset_count(&g[i].domains) == 1 ? "" : "s", d);
	}
	fputc('\n', f);
	free(g);
}

struct json_object *json_strlist(const struct strlist *l)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < l->n; i++)
		json_object_array_add(arr, json_object_new_string(l->v[i]));
	return arr;
}
