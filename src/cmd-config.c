/* SPDX-License-Identifier: MIT */
/*
 * apctl export, plan and apply: a whole configuration as a file. export
 * writes the root's configuration in the file's form; plan and apply read a
 * file, and the engine makes the change from what is to what it says.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apctl.h"
#include "conffile.h"
#include "output.h"
#include "report.h"

/* The UUIDs of every --mdev (comma lists too), lower case, in *out: EXIT_OK or a usage error. */
static int mdev_uuids(const struct ctx *ctx, struct strlist *out)
{
	for (size_t i = 0; i < ctx->nval[O_MDEV]; i++) {
		char *list = strdup(ctx->val[O_MDEV][i]), *save = NULL;

		if (!list)
			return EXIT_RUNTIME;
		for (char *u = strtok_r(list, ",", &save); u; u = strtok_r(NULL, ",", &save)) {
			char lower[UUID_STR_MAX];

			if (!uuid_valid(u)) {
				int rc = args_uuid(ctx, u);

				free(list);
				return rc;
			}
			uuid_lower(u, lower);
			if (!strlist_has(out, lower))
				strlist_addf(out, "%s", lower);
		}
		free(list);
	}
	return EXIT_OK;
}

static int run_export(struct ctx *ctx)
{
	struct strlist uuids = { 0 }, skipped = { 0 };
	struct ap_state *st = NULL;
	struct json_object *o;
	const char *missing = NULL;
	struct persist p;
	struct diag d;
	struct root r;
	int rc = mdev_uuids(ctx, &uuids);

	if (!rc)
		rc = load_state(ctx, &r, STATE_OVERRIDES, &st);
	if (rc) {
		strlist_free(&uuids);
		return rc;
	}
	if (persist_read(&r.s, &p, &d)) {
		/* a rule or names apctl cannot read would be lost: said, never dropped */
		errmsg("%s: %s", ctx->path, d.msg);
		rc = EXIT_RUNTIME;
	} else {
		o = args_has(ctx, O_MDEV) ?
			    config_export_mdevs(st, &p, uuids.v, uuids.n, &skipped, &missing) :
			    config_export(st, &p, &skipped);
		if (o)
			json_print(stdout, o);
		else
			rc = no_mdev(ctx, "no mdev (running or defined)", missing, st, &p);
		for (size_t i = 0; !rc && i < skipped.n; i++)
			errmsg("warning: %s", skipped.v[i]);
		persist_free(&p);
	}
	strlist_free(&skipped);
	strlist_free(&uuids);
	state_free(st);
	root_close(&r);
	return finish_output(rc);
}

static void nothing(FILE *f, const struct engine *e)
{
	(void)e;
	fprintf(f, "Nothing to change: the configuration is as the file says.\n");
}

static void done(FILE *f, const struct engine *e)
{
	fprintf(f, "Done: %zu write%s.\n", e->p.nw, e->p.nw == 1 ? "" : "s");
}

static const struct change_render plan_render = {
	.dry_run = text_plan, .nothing = nothing, .with_files = true,
};
static const struct change_render apply_render = {
	.dry_run = text_plan, .nothing = nothing, .done = done, .with_files = true,
};

/* plan and apply: the file read against the root, then one change. */
static int config_change(struct ctx *ctx, bool apply)
{
	char *text;
	struct change_opts o;
	struct config c = { 0 };
	struct diag d;
	struct engine e;
	struct root r;
	int rc = args_read_file(ctx, ctx->pos[0], &text);

	if (rc)
		return rc;
	rc = args_change(ctx, &o);
	/* the file says what persists; the change may write both */
	o.scope = SCOPE_BOTH;
	o.dry_run |= !apply;
	if (!rc)
		rc = open_root(ctx, &r);
	if (rc) {
		free(text);
		return rc;
	}
	rc = engine_begin(&e, &r, ctx->path, &o, STATE_OVERRIDES_ALL);
	if (!rc && config_parse(text, e.st->max_adapter, e.st->max_domain, &c, &d)) {
		rc = usage_error(ctx, "%s: %s", ctx->pos[0], d.msg);
	} else if (!rc) {
		int err = engine_add_config(&e, &c, args_has(ctx, O_PRUNE), &d);

		if (err == -EINVAL)
			rc = usage_error(ctx, "%s: %s", ctx->pos[0], d.msg);
		else if (err)
			rc = EXIT_RUNTIME;
	}
	free(text);
	/* the change points into the configuration until it is over */
	rc = rc ? (engine_end(&e), rc) : change_conclude(ctx, &e, apply ? &apply_render : &plan_render);
	config_free(&c);
	root_close(&r);
	return rc;
}

static int run_plan(struct ctx *ctx)
{
	return config_change(ctx, false);
}

static int run_apply(struct ctx *ctx)
{
	return config_change(ctx, true);
}

static const struct verb_opt export_opts[] = { { O_MDEV, NULL }, ROOT_VERB_OPTS, { O_COUNT, NULL } };
/* a plan is a dry run: it takes no lock */
static const struct verb_opt plan_opts[] = { { O_PRUNE, NULL }, ROOT_VERB_OPTS, { O_COUNT, NULL } };
static const struct verb_opt apply_opts[] = {
	{ O_PRUNE, NULL }, RUN_VERB_OPTS, ROOT_VERB_OPTS, { O_COUNT, NULL },
};

const struct verb export_verb = {
	"export", "", 0, 0, false, "the configuration as a file for apply",
	"Print the configuration of the root as apctl plan and apply read it: the IDs\n"
	"reserved for vfio_ap, whether the masks persist, and every running mdev with\n"
	"its IDs and whether mdevctl defines it and starts it at boot. With --mdev,\n"
	"those mdevs alone and the type and mode of every card they use, and no\n"
	"masks: plan and apply of it on another host make the same mdevs there, and\n"
	"refuse a host whose cards differ.",
	export_opts, run_export, NULL, 0,
};

const struct verb plan_verb = {
	"plan", "FILE", 1, 1, false, "what apply FILE would do, in its order",
	"Print the change from the root's configuration to FILE's (- for standard\n"
	"input): every write in its order with the kernel's answer, and the\n"
	"persistent files, checked as one change. Exits 4 when it would be refused.",
	plan_opts, run_plan, NULL, 0,
};

const struct verb apply_verb = {
	"apply", "FILE", 1, 1, false, "bring the configuration of FILE about",
	"Make the root's configuration FILE's (- for standard input) as one change:\n"
	"checked first, under the lock, journaled, undone whole when a write fails.\n"
	"mdevs and definitions FILE does not name are left alone unless --prune.",
	apply_opts, run_apply, NULL, 0,
};
