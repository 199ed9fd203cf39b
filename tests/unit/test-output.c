/* SPDX-License-Identifier: MIT */
/*
 * The lines that change between two files, as a dry run shows them; the
 * expected lines are written here by hand, as diff(1) would mark them.
 */
#include <stdio.h>
#include <stdlib.h>

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

int main(void)
{
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
