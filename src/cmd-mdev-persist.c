/* SPDX-License-Identifier: MIT */
/*
 * apctl mdev define: the persistent side of an mdev, as mdevctl keeps it. The
 * command builds the definition; the engine writes it under the lock.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "apctl.h"
#include "output.h"
#include "paths.h"
#include "report.h"

static void print_defined(FILE *f, const struct engine *e)
{
	fprintf(f, "Defined: %s\n", e->pf[0].rel);
}

static void print_define_plan(FILE *f, const struct engine *e)
{
	fprintf(f, "Would %s %s:\n%s\n", e->pf[0].old ? "replace" : "write", e->pf[0].rel,
		e->pf[0].text);
}

static const struct change_render define_render = { print_define_plan, NULL, print_defined };

/* --autostart or --manual: EXIT_OK, or a usage error when both are given. */
static int start_mode(const struct ctx *ctx, bool *autostart)
{
	if (args_has(ctx, O_AUTOSTART) && args_has(ctx, O_MANUAL))
		return usage_error(ctx, "--autostart and --manual exclude each other");
	*autostart = args_has(ctx, O_AUTOSTART);
	return EXIT_OK;
}

/* The definition of a running mdev, as mdevctl writes it. */
static int run_define(struct ctx *ctx)
{
	struct change_opts o;
	struct mdev_def def;
	struct engine e;
	struct root r;
	char rel[128], *text;
	bool autostart = false;
	int rc = args_change(ctx, &o), i;

	if (!rc)
		rc = start_mode(ctx, &autostart);
	if (!rc && !uuid_valid(ctx->pos[0]))
		return usage_error(ctx, "'%s' is not a UUID", ctx->pos[0]);
	if (!rc)
		rc = mdev_begin(ctx, &r, &e, ctx->path, &o, ctx->pos[0], &i);
	if (rc)
		return rc;
	if (i < 0) {
		uuid_lower(ctx->pos[0], def.uuid);
		errmsg("%s: no mdev %s under %s", ctx->path, def.uuid, ctx->root.path);
		engine_end(&e);
		root_close(&r);
		return EXIT_NOTFOUND;
	}
	rc = def_from_matrix(&def, e.st->mdevs[i].uuid, &e.st->mdevs[i].matrix, autostart);
	snprintf(rel, sizeof(rel), "%s/%s", MATRIX_DEFS_DIR, def.uuid);
	text = rc ? NULL : def_format(&def);
	rc = text ? engine_add_file(&e, rel, text) : -ENOMEM;
	def_free(&def);
	if (rc) {
		if (rc == -ENOMEM)
			errmsg("out of memory");
		engine_end(&e);
		root_close(&r);
		return EXIT_RUNTIME;
	}
	rc = change_conclude(ctx, &e, &define_render);
	root_close(&r);
	return rc;
}

#define ROOT_OPTS { O_JSON, NULL }, { O_ROOT, NULL }, { O_KERNEL, NULL }

static const struct verb_opt define_opts[] = {
	{ O_AUTOSTART, NULL }, { O_MANUAL, NULL }, CHANGE_VERB_OPTS, ROOT_OPTS, { O_COUNT, NULL },
};

const struct verb mdev_define_verb = {
	"define", "UUID", 1, 1, false, "write the mdevctl definition of a running mdev",
	"Write the mdevctl definition of a running mdev, with the adapters, domains and\n"
	"control domains it has, as mdevctl writes it (etc/mdevctl.d/matrix/UUID), so\n"
	"that mdevctl can start it again. With --autostart, mdevctl starts it at boot.",
	define_opts, run_define, NULL,
};
