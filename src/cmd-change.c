/* SPDX-License-Identifier: MIT */
/* What every changing command does with its change, once it is built. */
#include <stdio.h>

#include "apctl.h"
#include "output.h"
#include "report.h"

static void say_list(const char *what, const struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		errmsg("%s: %s", what, l->v[i]);
}

/* Whether all that stops the plan is removals that would wait for their guests. */
static bool waits_only(const struct engine *e)
{
	for (size_t i = 0; i < e->p.nc; i++)
		if (e->p.c[i].err || e->p.w[e->p.c[i].w].kind != W_REMOVE)
			return false;
	return true;
}

static int verdict(const struct ctx *ctx, struct engine *e, const struct change_render *r)
{
	bool refused = e->p.refused;

	if (e->o.dry_run) {
		if (ctx->json)
			json_print(stdout, json_verdict(e));
		else if (r->dry_run)
			r->dry_run(stdout, e);
		return finish_output(refused ? EXIT_REFUSED : EXIT_OK);
	}
	if (refused && !e->o.force) {
		/* a refusal's verdict is the one failure that prints on stdout */
		if (ctx->json)
			json_print(stdout, json_verdict(e));
		text_refusal(stderr, e);
		return finish_output(EXIT_REFUSED);
	}
	if (refused && !waits_only(e)) {
		errmsg("warning: --force writes although apctl predicts a refusal:");
		text_conflicts(stderr, e);
	}
	return -1;
}

int change_conclude(const struct ctx *ctx, struct engine *e, const struct change_render *r)
{
	int rc = engine_plan(e);

	if (rc) {
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
		if (!rc && ctx->json)
			json_print(stdout, json_verdict(e));
		else if (!rc && r->done)
			r->done(stdout, e);
		rc = finish_output(rc);
	}
	engine_end(e);
	return rc;
}
