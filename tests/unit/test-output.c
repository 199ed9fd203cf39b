/* SPDX-License-Identifier: MIT */
/*
 * The lines that change between two files, as a dry run shows them; the
 * expected lines are written here by hand, as diff(1) would mark them. And
 * the objects a JSON stream writes member by member, against json-c's own
 * rendering of the same object.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "tap.h"

/* What text_file_diff() prints, as a string. */
static char *diff(const char *old, const char *new_)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	text_file_diff(f, old, new_, "");
	fclose(f);
	return buf;
}

static void check(const char *old, const char *new_, const char *want, const char *what)
{
	char *got = diff(old, new_);

	is_str(got, want, "%s", what);
	free(got);
}

/* What a stream writes of an object with member key = val (or null), two deep. */
static char *streamed(const char *key, const char *val, long n)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	struct jstream js;

	js_begin(&js, f);
	js_begin_array(&js, "a");
	js_object(&js);
	js_string(&js, key, val);
	js_int(&js, "n", n);
	js_end_object(&js);
	js_end_array(&js);
	js_end(&js);
	fclose(f);
	return buf;
}

/* The same made of json-c objects, as the rest of the stream is. */
static char *by_json_c(const char *key, const char *val, long n)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	struct json_object *o = json_object_new_object();
	struct jstream js;

	json_object_object_add(o, key, val ? json_object_new_string(val) : NULL);
	json_object_object_add(o, "n", json_object_new_int64(n));
	js_begin(&js, f);
	js_begin_array(&js, "a");
	js_element(&js, o);
	js_end_array(&js);
	js_end(&js);
	fclose(f);
	return buf;
}

static void same_as_json_c(const char *key, const char *val, long n, const char *what)
{
	char *got = streamed(key, val, n), *want = by_json_c(key, val, n);

	is_str(got, want, "%s", what);
	free(got);
	free(want);
}

int main(void)
{
	same_as_json_c("apqn", "05.0047", 5, "a plain string and a number");
	same_as_json_c("mdev", NULL, -1, "null and a negative number");
	same_as_json_c("q\"uo/te", "a \"b\" \\ c/d", 0, "quotes, a backslash and a slash");
	same_as_json_c("ctl", "\t\n\r\b\f\x01\x1f\x7f", 255, "control characters");
	same_as_json_c("utf8", "Stra\xc3\x9f" "e \xe2\x82\xac", 65535, "UTF-8 as it is");
	same_as_json_c("empty", "", 1L << 40, "an empty string and a large number");
	check(NULL, "a\nb\n", "+ a\n+ b\n", "a new file: every line comes");
	check("a\nb\n", "a\nb\n", "", "the same file: nothing");
	check("a\nb\nc\n", "a\nB\nc\n", "- b\n+ B\n", "one line changed");
	check("a\nb\nc\n", "a\nc\n", "- b\n", "one line goes");
	check("a\nc\n", "a\nb\nc\nd\n", "+ b\n+ d\n", "lines come between and after");
	check("x\na\nb\n", "a\nb\ny", "- x\n+ y\n", "the first goes, the last comes without its newline");
	check("{\n  1\n},\n{\n  2\n}\n", "{\n  1\n},\n{\n  3\n},\n{\n  2\n}\n",
	      "+   3\n+ },\n+ {\n", "a block in the middle of equal blocks, where diff(1) puts it");
	check("a\n", "", "- a\n", "everything goes");
	return done_testing();
}
