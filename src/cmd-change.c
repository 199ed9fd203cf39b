/* SPDX-License-Identifier: MIT */
/* What every changing command does with its change, once it is built. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "apctl.h"
#include "output.h"
#include "report.h"
#include "wrap.h"

static void say_list(const char *what, const struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		errmsg("%s: %s", what, l->v[i]);
}

/* Whether all that stops the plan is removals that would wait for their guests. */
static bool waits_only(const struct engine *e)
{
	for (size_t i = 0; i < e->p.nc; i++)
		if (e->p.c[i].err || e->p.w[e->p.c[i].w].what.kind != KS_REMOVE)
			return false;
	return true;
}

/* The persistent files a change writes: a line each; a dry run shows the lines that change. */
static void say_files(FILE *f, const struct engine *e, bool dry_run)
{
	for (size_t i = 0; i < e->npf; i++) {
		const char *t = e->pf[i].text;

		if (!dry_run) {
			fprintf(f, "%s %s\n", t ? "Wrote" : "Removed", e->pf[i].rel);
			continue;
		}
		fprintf(f, "Would %s %s%s\n", t ? "write" : "remove", e->pf[i].rel, t ? ":" : "");
		if (t)
			text_file_diff(f, e->pf[i].old, t, "  ");
	}
}

/* After a wait timed out: the change is made, and what the kernel still owes. */
static void say_pending(const struct engine *e)
{
	const struct strlist *l = &e->pending_removals;

	for (size_t i = 0; i < l->n; i++)
		errmsg("the change is made and stands; the kernel removes mdev %s when its guest "
		       "lets go", l->v[i]);
	if (e->pending && !apqnset_empty(e->pending))
		errmsg("the change is made and stands; the AP bus binds the %u queue%s above on "
		       "its own time ('apctl show' shows them bound)", apqnset_count(e->pending),
		       apqnset_count(e->pending) == 1 ? "" : "s");
}

/* A refusal on stderr, filled to a terminal's width. */
static void refusal(const struct engine *e, const struct change_render *r)
{
	FILE *err = wrap_open(stderr);

	if (r->reasons_only)
		text_refusal_reasons(err, e);
	else
		text_refusal(err, e);
	wrap_close(err, stderr);
}

static int verdict(const struct ctx *ctx, struct engine *e, const struct change_render *r)
{
	bool refused = e->p.refused;

	FILE *out, *err;

	if (e->o.dry_run) {
		if (ctx->json) {
			json_print(stdout, json_verdict(e));
			return finish_output(refused ? EXIT_REFUSED : EXIT_OK);
		}
		out = wrap_open(stdout);
		if (r->dry_run && (e->p.nw || !e->npf || refused || r->with_files))
			r->dry_run(out, e);
		if (!refused && !r->with_files)
			say_files(out, e, true);
		/* one that says the files ends with its own */
		if (r->dry_run && !r->with_files && (e->p.nw || e->npf))
			text_summary(out, e);
		wrap_close(out, stdout);
		if (refused)
			refusal(e, r);
		return finish_output(refused ? EXIT_REFUSED : EXIT_OK);
	}
	if (refused && !e->o.force) {
		/* a refusal's verdict is the one failure that prints on stdout */
		if (ctx->json)
			json_print(stdout, json_verdict(e));
		refusal(e, r);
		return finish_output(EXIT_REFUSED);
	}
	err = refused ? wrap_open(stderr) : stderr;
	if (refused && !waits_only(e)) {
		errmsg("warning: --force writes although apctl predicts a refusal:");
		text_conflicts(err, e);
	}
	wrap_close(err, stderr);
	return -1;
}

int change_conclude(const struct ctx *ctx, struct engine *e, const struct change_render *r)
{
	int rc = engine_plan(e);

	if (rc) {
		/* a file that could not be read is said already */
		if (rc == -ENOMEM)
			errmsg("out of memory");
		engine_end(e);
		return EXIT_RUNTIME;
	}
	/* JSON has them in the verdict */
	if (!ctx->json) {
		say_list("note", &e->p.notes);
		say_list("warning", &e->p.warnings);
	}
	rc = verdict(ctx, e, r);
	if (rc < 0 && !e->p.nw && !e->npf) {
		if (ctx->json)
			json_print(stdout, json_verdict(e));
		else if (r->nothing)
			r->nothing(stdout, e);
		rc = finish_output(EXIT_OK);
	}
	if (rc < 0) {
		rc = engine_run(e);
		/*
		 * a change that timed out waiting stands, as what it is: the result is
		 * printed; in JSON also a change that failed (written says how far it got)
		 */
		if (ctx->json)
			json_print(stdout, json_verdict(e));
		else if (e->written && r->done && (e->p.nw || !e->npf))
			r->done(stdout, e);
		if (e->written && !ctx->json)
			say_files(stdout, e, false);
		if (e->written && rc == EXIT_TIMEOUT)
			say_pending(e);
		rc = finish_output(rc);
	}
	engine_end(e);
	return rc;
}
