/* SPDX-License-Identifier: MIT */
#include "output.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "masksyntax.h"
#include "wrap.h"

/* What a run printed: JSON documents on stdout, messages on stderr (for the error document). */
static unsigned json_docs;
static struct strlist messages;
#define MESSAGES_KEPT 32

#define JSON_FLAGS (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)

/* What the stream holds so far, written out. */
static void flush(struct jstream *js)
{
	fwrite(js->buf, 1, js->len, js->f);
	js->len = 0;
}

/* n bytes out, through the stream's buffer: one write per few kilobytes. */
static void put(struct jstream *js, const char *p, size_t n)
{
	if (js->len + n > sizeof(js->buf))
		flush(js);
	if (n > sizeof(js->buf)) {
		fwrite(p, 1, n, js->f);
		return;
	}
	memcpy(js->buf + js->len, p, n);
	js->len += n;
}

static void puts_js(struct jstream *js, const char *s)
{
	put(js, s, strlen(s));
}

static void indent(struct jstream *js)
{
	static const char spaces[] = "                ";
	int n = js->depth * 2;

	for (; n > 0; n -= 16)
		put(js, spaces, n < 16 ? (size_t)n : 16);
}

/* Writes json-c's rendering of val, indented to the current depth. */
static void put_value(struct jstream *js, struct json_object *val)
{
	const char *p = json_object_to_json_string_ext(val, JSON_FLAGS), *nl;

	/* json-c escapes newlines inside strings, so each one here is layout */
	for (; (nl = strchr(p, '\n')); p = nl + 1) {
		put(js, p, (size_t)(nl - p + 1));
		indent(js);
	}
	puts_js(js, p);
}

static void next_item(struct jstream *js)
{
	puts_js(js, js->first[js->depth] ? "\n" : ",\n");
	js->first[js->depth] = false;
	indent(js);
}

/* A string as json-c writes it (JSON_FLAGS): the escapes of RFC 8259, "/" as it is. */
static void put_string(struct jstream *js, const char *v)
{
	put(js, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		const char *esc = *p == '"' ? "\\\"" : *p == '\\' ? "\\\\" : *p == '\n' ? "\\n" :
				  *p == '\r' ? "\\r" : *p == '\t' ? "\\t" : *p == '\b' ? "\\b" :
				  *p == '\f' ? "\\f" : NULL;
		char u[8];

		if (esc) {
			puts_js(js, esc);
		} else if (*p < 0x20) {
			snprintf(u, sizeof(u), "\\u%04x", *p);
			puts_js(js, u);
		} else {
			put(js, (const char *)p, 1);
		}
	}
	put(js, "\"", 1);
}

static void put_key(struct jstream *js, const char *key)
{
	next_item(js);
	put_string(js, key);
	put(js, ": ", 2);
}

void js_begin(struct jstream *js, FILE *f)
{
	json_docs += f == stdout;
	js->f = f;
	js->len = 0;
	js->depth = 1;
	js->first[1] = true;
	put(js, "{", 1);
}

void js_member(struct jstream *js, const char *key, struct json_object *val)
{
	put_key(js, key);
	if (val)
		put_value(js, val);
	else
		puts_js(js, "null");
	json_object_put(val);
}

/* An array or object opened (by bracket): its members one deeper. */
static void open_level(struct jstream *js, const char *bracket)
{
	put(js, bracket, 1);
	js->depth++;
	js->first[js->depth] = true;
}

/* And closed: on a line of its own after members, at once without. */
static void close_level(struct jstream *js, const char *bracket)
{
	bool empty = js->first[js->depth];

	js->depth--;
	if (!empty) {
		put(js, "\n", 1);
		indent(js);
	}
	put(js, bracket, 1);
}

void js_begin_array(struct jstream *js, const char *key)
{
	put_key(js, key);
	open_level(js, "[");
}

void js_element(struct jstream *js, struct json_object *val)
{
	next_item(js);
	put_value(js, val);
	json_object_put(val);
}

void js_end_array(struct jstream *js)
{
	close_level(js, "]");
}

void js_end(struct jstream *js)
{
	puts_js(js, "\n}\n");
	flush(js);
}

void js_object(struct jstream *js)
{
	next_item(js);
	open_level(js, "{");
}

void js_string(struct jstream *js, const char *key, const char *val)
{
	put_key(js, key);
	if (val)
		put_string(js, val);
	else
		puts_js(js, "null");
}

void js_int(struct jstream *js, const char *key, long val)
{
	char n[24];

	put_key(js, key);
	snprintf(n, sizeof(n), "%ld", val);
	puts_js(js, n);
}

void js_end_object(struct jstream *js)
{
	close_level(js, "}");
}

void verrmsg(const char *fmt, va_list ap)
{
	char text[1024];

	char line[sizeof(text) + 8];
	int saved = errno; /* a caller may still read it: the terminal's look-up changes it */

	fflush(stdout);
	vsnprintf(text, sizeof(text), fmt, ap);
	snprintf(line, sizeof(line), "apctl: %s", text);
	/* each line of the message filled to a terminal's width */
	for (const char *p = line; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] != 0))
		wrap_line(stderr, p, strcspn(p, "\n"), wrap_width(stderr));
	if (messages.n < MESSAGES_KEPT)
		strlist_addf(&messages, "%s", text);
	errno = saved;
}

static bool usage_said;

void errmsg_usage(void)
{
	usage_said = true;
}

static const char *error_kind(int status)
{
	static const char *const kinds[] = {
		[1] = "failed", [2] = "usage", [3] = "not-found", [4] = "refused", [5] = "timeout",
	};

	if (usage_said)
		return "usage";

	return status > 0 && status < (int)(sizeof(kinds) / sizeof(kinds[0])) ? kinds[status] :
										 "failed";
}

/*
 * The value that message quotes ('...': a quote after a blank or the start, up
 * to a quote before a blank, punctuation or the end; apostrophes inside words
 * are not quotes): the first, or for "'x' in 'VALUE'" the value x is in. NULL
 * when it quotes none.
 */
static struct json_object *quoted_value(const char *message)
{
	size_t len = message ? strlen(message) : 0, a = 0, b = 0;
	bool found = false;

	for (size_t i = 0; i < len; i++) {
		size_t q = i + 1;

		if (!wrap_quote_at(message, len, i, true))
			continue;
		while (q < len && !wrap_quote_at(message, len, q, false))
			q++;
		if (q == len)
			break;
		a = i;
		b = q;
		found = true;
		if (strncmp(message + q + 1, " in '", 5))
			break;
		i = q;
	}
	return found ? json_object_new_string_len(message + a + 1, (int)(b - a - 1)) : NULL;
}

/* Whether a message is a warning or a note rather than the error itself. */
static bool aside(const char *message)
{
	return !strncmp(message, "warning: ", 9) || !strncmp(message, "note: ", 6);
}

/* The error's index: the first message that is not a warning or a note, else 0. */
static size_t first_error(void)
{
	size_t first = 0;

	while (first < messages.n && aside(messages.v[first]))
		first++;
	return first == messages.n ? 0 : first;
}

const char *errmsg_first(void)
{
	return messages.n ? messages.v[first_error()] : NULL;
}

int json_error_document(int status)
{
	struct json_object *o, *details;
	size_t first;

	if (!status || json_docs)
		return status;
	first = first_error();
	o = json_object_new_object();
	details = json_object_new_array();
	json_object_object_add(o, "status", json_object_new_int(status));
	json_object_object_add(o, "error", json_object_new_string(error_kind(status)));
	json_object_object_add(o, "message", messages.n ? json_object_new_string(messages.v[first]) :
							  NULL);
	json_object_object_add(o, "value", quoted_value(messages.n ? messages.v[first] : NULL));
	for (size_t i = 0; i < messages.n; i++)
		if (i != first)
			json_object_array_add(details, json_object_new_string(messages.v[i]));
	json_object_object_add(o, "details", details);
	json_print(stdout, o);
	strlist_free(&messages);
	return status;
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
	json_docs += f == stdout;
	fprintf(f, "%s\n", json_object_to_json_string_ext(val, JSON_FLAGS));
	json_object_put(val);
}

void json_print_line(FILE *f, struct json_object *val)
{
	json_docs += f == stdout;
	fprintf(f, "%s\n", json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
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

/* "adapters 5,6 x domains 4,0x47": one product of a set */
static int product_words(const struct apqn_group *g, char *buf, size_t size)
{
	char a[IDLIST_MAX], d[IDLIST_MAX];

	idlist_format(&g->adapters, a, sizeof(a));
	idlist_format(&g->domains, d, sizeof(d));
	return snprintf(buf, size, "adapter%s %s x domain%s %s",
			idset_count(&g->adapters) == 1 ? "" : "s", a,
			idset_count(&g->domains) == 1 ? "" : "s", d);
}

void text_apqnset(FILE *f, const struct apqnset *s, const char *indent)
{
	struct apqn_group *g = malloc(IDSET_BITS * sizeof(*g));
	unsigned count = apqnset_count(s);
	char words[2 * IDLIST_MAX + 32];
	size_t n;

	if (!g)
		return;
	n = apqnset_groups(s, g);
	fprintf(f, "%u APQN%s", count, count == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		product_words(&g[i], words, sizeof(words));
		if (n == 1)
			fprintf(f, ": %s", words);
		else
			fprintf(f, "\n%s%s", indent, words);
	}
	fputc('\n', f);
	free(g);
}

const char *apqnset_words(const struct apqnset *s, char *buf, size_t size)
{
	struct apqn_group *g = malloc(IDSET_BITS * sizeof(*g));
	size_t n, len = 0;

	buf[0] = '\0';
	if (!g)
		return buf;
	n = apqnset_groups(s, g);
	for (size_t i = 0; i < n && len < size; i++) {
		if (i)
			len += (size_t)snprintf(buf + len, size - len, "; ");
		if (len < size)
			len += (size_t)product_words(&g[i], buf + len, size - len);
	}
	free(g);
	return buf;
}

const char *apqn_list(const struct apqnset *s, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned a = 0; a < IDSET_BITS && len < size; a++) {
		idset_foreach(d, &s->dom[a]) {
			char apqn[APQN_STR_MAX];

			if (len < size)
				len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "," : "",
							apqn_format(a, (unsigned)d, apqn));
		}
	}
	return buf;
}

struct json_object *json_strlist(const struct strlist *l)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < l->n; i++)
		json_object_array_add(arr, json_object_new_string(l->v[i]));
	return arr;
}

/* The lines of text: pointers to their starts, *n of them (the last may lack its newline). */
static const char **split_lines(const char *text, size_t *n)
{
	const char **v;
	size_t cap = 1;

	*n = 0;
	for (const char *p = text; p && *p; p++)
		cap += *p == '\n';
	v = calloc(cap + 1, sizeof(*v));
	for (const char *p = text; v && p && *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] != 0))
		v[(*n)++] = p;
	return v;
}

static bool same_line(const char *a, const char *b)
{
	size_t la = strcspn(a, "\n");

	return la == strcspn(b, "\n") && !memcmp(a, b, la);
}

/* Files this long are shown whole: the table of common lines would be too big. */
#define DIFF_MAX_CELLS (1u << 22)

void text_file_diff(FILE *f, const char *old, const char *new_, const char *indent)
{
	size_t n, m, i = 0, j = 0;
	const char **a = split_lines(old, &n), **b = split_lines(new_, &m);
	/* lcs[i][j]: the most lines a[i..] and b[j..] have in common, in order */
	unsigned *lcs = a && b && (n + 1) * (m + 1) <= DIFF_MAX_CELLS ?
				calloc((n + 1) * (m + 1), sizeof(*lcs)) : NULL;

	for (size_t x = n; lcs && x-- > 0;)
		for (size_t y = m; y-- > 0;)
			lcs[x * (m + 1) + y] = same_line(a[x], b[y]) ?
				lcs[(x + 1) * (m + 1) + y + 1] + 1 :
				lcs[(x + 1) * (m + 1) + y] > lcs[x * (m + 1) + y + 1] ?
				lcs[(x + 1) * (m + 1) + y] : lcs[x * (m + 1) + y + 1];
	while (i < n || j < m) {
		if (lcs && i < n && j < m && same_line(a[i], b[j])) {
			i++, j++;
		} else if (i < n && (j == m || (lcs && lcs[(i + 1) * (m + 1) + j] >=
						     lcs[i * (m + 1) + j + 1]))) {
			fprintf(f, "%s- %.*s\n", indent, (int)strcspn(a[i], "\n"), a[i]);
			i++;
		} else if (j < m) {
			fprintf(f, "%s+ %.*s\n", indent, (int)strcspn(b[j], "\n"), b[j]);
			j++;
		} else {
			i++;
		}
	}
	free(lcs);
	free(a);
	free(b);
}
