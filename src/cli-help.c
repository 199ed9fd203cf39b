/* SPDX-License-Identifier: MIT */
/* Help texts, made from the verb tables, and what is there when a name is not. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "ascii.h"
#include "cli.h"
#include "exitcodes.h"
#include "persist.h"

#define HELP_COLUMN 31
/* Help lines end before this column, as a terminal of 80 columns shows them. */
#define HELP_WIDTH 80

/*
 * Text from column col on, its words filled into lines that end before
 * HELP_WIDTH, each line after the first indented to col.
 */
static void indented(FILE *f, const char *text, int col)
{
	int pos = col;

	for (const char *p = text; *p;) {
		int len = (int)strcspn(p, " \n");

		if (len) {
			if (pos > col && pos + 1 + len >= HELP_WIDTH) {
				fprintf(f, "\n%*s", col, "");
				pos = col;
			}
			fprintf(f, "%s%.*s", pos > col ? " " : "", len, p);
			pos += (pos > col) + len;
		}
		p += len;
		p += strspn(p, " \n");
	}
	fputc('\n', f);
}

/*
 * "  name params" and the summary beside it, for every verb under v; with
 * expand, for every verb under those too, by its path.
 */
static void list_verbs(FILE *f, const struct verb *v, const char *path, bool expand)
{
	for (const struct verb *const *sp = v->subs; sp && *sp; sp++) {
		const struct verb *s = *sp;
		char line[128];
		int n;

		if (s->subs && expand) {
			char sub[64];

			snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? " " : "", s->name);
			list_verbs(f, s, sub, expand);
			continue;
		}
		n = snprintf(line, sizeof(line), "  %s%s%s%s%s", path, *path ? " " : "", s->name,
			     s->params && *s->params ? " " : "", s->params ? s->params : "");
		if (n >= HELP_COLUMN - 1)
			fprintf(f, "%s\n%*s", line, HELP_COLUMN, "");
		else
			fprintf(f, "%-*s", HELP_COLUMN, line);
		indented(f, s->summary ? s->summary : "", HELP_COLUMN);
	}
}

static void option_line(FILE *f, enum opt_id o, const char *help)
{
	const struct optdef *d = &cli_optdefs[o];
	char line[96];
	int n;

	if (d->shortopt && d->name)
		n = snprintf(line, sizeof(line), "  -%c, --%s", d->shortopt, d->name);
	else if (d->name)
		n = snprintf(line, sizeof(line), "      --%s", d->name);
	else
		n = snprintf(line, sizeof(line), "  -%c", d->shortopt);
	if (d->arg)
		snprintf(line + n, sizeof(line) - (size_t)n, " %s", d->arg);
	if (strlen(line) >= HELP_COLUMN - 1)
		fprintf(f, "%s\n%*s", line, HELP_COLUMN, "");
	else
		fprintf(f, "%-*s", HELP_COLUMN, line);
	indented(f, help ? help : d->help, HELP_COLUMN);
}

void cli_help(FILE *f, const struct verb *top, const struct verb *v, const char *path)
{
	bool leaf = !v->subs;

	if (v == top)
		fprintf(f, "Usage: apctl [OPTIONS] COMMAND [ARGS]\n");
	else if (leaf)
		fprintf(f, "Usage: apctl %s%s%s [OPTIONS]\n", path, v->params && *v->params ? " " : "",
			v->params ? v->params : "");
	else
		fprintf(f, "Usage: apctl %s COMMAND ...\n", path);
	if (v->text)
		fprintf(f, "\n%s\n", v->text);
	if (!leaf) {
		fprintf(f, "\nCommands:\n");
		list_verbs(f, v, "", v == top);
	}
	if (leaf || v == top) {
		fprintf(f, "\nOptions:\n");
		for (const struct verb_opt *vo = v->opts; vo && vo->id != O_COUNT; vo++)
			option_line(f, vo->id, vo->help);
		for (const struct verb_opt *vo = v->opts; vo && vo->id != O_COUNT; vo++)
			if (vo->id == O_ROOT)
				option_line(f, O_VERBOSE, NULL);
		option_line(f, O_HELP, NULL);
	}
	if (!leaf)
		fprintf(f, "\nRun 'apctl %s%sCOMMAND --help' for the options of a command.\n", path,
			*path ? " " : "");
	if (v == top)
		fprintf(f, "APCTL_ROOT, when set, is the root without --root, APCTL_KERNEL the\n"
			"kernel generation without --kernel, and APCTL_VERBOSE=1 is --verbose.\n");
}

/* How many characters two UUIDs differ in. */
static int uuid_differs(const char *a, const char *b)
{
	int n = 0;

	for (int i = 0; i < 36; i++)
		n += ascii_tolower(a[i]) != ascii_tolower(b[i]);
	return n;
}

int no_mdev(const struct ctx *ctx, const char *what, const char *uuid, const struct ap_state *st,
	    const struct persist *p)
{
	const char *best = NULL;
	int least = 5; /* a typo: a few characters off */
	char word[PATH_MAX + 16];

	shell_word(ctx->root.path, word, sizeof(word));
	for (size_t i = 0; st && i < st->nmdevs; i++)
		if (uuid_differs(uuid, st->mdevs[i].uuid) < least)
			least = uuid_differs(uuid, (best = st->mdevs[i].uuid));
	for (size_t i = 0; p && i < p->ndefs; i++)
		if (uuid_differs(uuid, p->defs[i].uuid) < least)
			least = uuid_differs(uuid, (best = p->defs[i].uuid));
	if (best)
		errmsg("%s: %s %s under %s; did you mean %s?", ctx->path, what, uuid, ctx->root.path,
		       best);
	else
		errmsg("%s: %s %s under %s; 'apctl%s%s mdev list' lists them", ctx->path, what,
		       uuid, ctx->root.path, ctx->root.given ? " --root " : "",
		       ctx->root.given ? word : "");
	return EXIT_NOTFOUND;
}
