/* SPDX-License-Identifier: MIT */
/*
 * Output helpers. JSON values are built and escaped by json-c; the stream
 * writer only frames them, so that an object with an array of 65536 queues is
 * written one element at a time and never held in memory as a whole.
 */
#ifndef APCTL_OUTPUT_H
#define APCTL_OUTPUT_H

#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "apqn.h"
#include "idset.h"
#include "strlist.h"

#define JSTREAM_MAX_DEPTH 8

struct jstream {
	FILE *f;
	int depth;
	bool first[JSTREAM_MAX_DEPTH];
	char buf[8192];  /* written out by js_end() and whenever it is full */
	size_t len;
};

/* A document on f, written out whole by js_end(); nothing else may write to f meanwhile. */
void js_begin(struct jstream *js, FILE *f);
/* A member of the current object; val is consumed (NULL is written as null). */
void js_member(struct jstream *js, const char *key, struct json_object *val);
/* A member whose value is an array written element by element. */
void js_begin_array(struct jstream *js, const char *key);
void js_element(struct jstream *js, struct json_object *val);
void js_end_array(struct jstream *js);
void js_end(struct jstream *js);
/*
 * An element that is an object of strings and numbers, written member by
 * member as json-c would write it: for the many elements of a long array.
 */
void js_object(struct jstream *js);
/* A member that is a string, or null for NULL. */
void js_string(struct jstream *js, const char *key, const char *val);
void js_int(struct jstream *js, const char *key, long val);
void js_end_object(struct jstream *js);

/* "apctl: " + message + newline on stderr, after what stdout holds so far. */
void errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void verrmsg(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
/* The run ends in a usage error, whatever its exit status (the error document's kind). */
void errmsg_usage(void);
/* The first message said that is not a warning or a note, or NULL. */
const char *errmsg_first(void);

/*
 * With --json, a run that ends with status (not 0) and printed no JSON
 * document prints one: {"status", "error" (its kind: failed, usage,
 * not-found, refused, timeout), "message" (the first on stderr that is not
 * a warning or a note), "value" (the value it quotes, or null), "details"
 * (the other messages, in order)}. Returns status.
 */
int json_error_document(int status);

/* Prints one json-c value as a whole document (pretty, with a newline); val is consumed. */
void json_print(FILE *f, struct json_object *val);
/* The same on one line: an element of a stream of JSON lines. */
void json_print_line(FILE *f, struct json_object *val);

/* JSON arrays of IDs (numbers) and of APQNs ("AA.DDDD") */
struct json_object *json_idset(const struct idset *s);
struct json_object *json_apqns(const struct idset *apm, const struct idset *aqm);
struct json_object *json_apqnset(const struct apqnset *s);

/*
 * What changes from text old (NULL: no file) to new_, line by line: the lines
 * that go ("- "), and the lines that come ("+ "), each after indent, in the
 * order of the files; lines both have are left out.
 */
void text_file_diff(FILE *f, const char *old, const char *new_, const char *indent);

/* A JSON array of the sentences of l. */
struct json_object *json_strlist(const struct strlist *l);

/* "5,6,0x0a-0x0c", or the placeholder when empty */
const char *text_ids(const struct idset *s, const char *none, char *buf, size_t size);
/*
 * A set of APQNs in a few words: "8 APQNs: adapters 5,6 x domains 4,0x47" or,
 * when the set is not one product, the products line by line, each line
 * starting with indent.
 */
void text_apqnset(FILE *f, const struct apqnset *s, const char *indent);
/* The same on one line, without the count: "adapters 5,6 x domains 4; adapter 7 x domain 1" */
const char *apqnset_words(const struct apqnset *s, char *buf, size_t size);
/* "05.0004,06.0004", as --apqns takes them (cut short where buf ends) */
const char *apqn_list(const struct apqnset *s, char *buf, size_t size);

#endif
