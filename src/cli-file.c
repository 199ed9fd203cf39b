/* SPDX-License-Identifier: MIT */
/* A file a command line names, read whole: a configuration, a domain's XML. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "exitcodes.h"

/*
 * The file's text ("-": standard input): EXIT_OK, or after the message
 * EXIT_NOTFOUND (no such file) or EXIT_USAGE (not a file that can be read).
 */
int args_read_file(const struct ctx *ctx, const char *path, char **out)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	char *text = NULL, buf[4096];
	size_t len = 0, n;
	int err = 0;

	*out = NULL;
	if (!f) {
		err = errno;
		errmsg("%s: cannot read '%s': %s", ctx->path, path, strerror(err));
		return err == ENOENT ? EXIT_NOTFOUND : EXIT_USAGE;
	}
	while (!err && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
		char *more = realloc(text, len + n + 1);

		if (!more) {
			err = ENOMEM;
			break;
		}
		text = more;
		memcpy(text + len, buf, n);
		len += n;
		text[len] = '\0';
	}
	if (!err && ferror(f))
		err = errno ? errno : EIO;
	if (f != stdin)
		fclose(f);
	if (!err && !text)
		text = strdup("");
	if (err || !text) {
		errmsg("%s: cannot read '%s': %s", ctx->path, path, strerror(err ? err : ENOMEM));
		free(text);
		return err == ENOMEM || !err ? EXIT_RUNTIME : EXIT_USAGE;
	}
	*out = text;
	return EXIT_OK;
}
