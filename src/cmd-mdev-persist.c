/* SPDX-License-Identifier: MIT */
/*
 * apctl mdev define, start, stop and list: mdevs beside their mdevctl
 * definitions. The commands build one op; the engine checks and makes it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "apctl.h"
#include "output.h"
#include "paths.h"
#include "report.h"

static const struct change_render define_render = { .dry_run = NULL };

/* The definition of uuid (EXIT_OK), or EXIT_NOTFOUND after the message. */
static int find_def(const struct ctx *ctx, const struct engine *e, const char *uuid,
		    const struct mdev_def **def)
{
	*def = e->pers ? persist_find(e->pers, uuid) : NULL;
	if (!*def) {
		no_mdev(ctx, "mdevctl defines no mdev", uuid, e->st, e->pers);
		return EXIT_NOTFOUND;
	}
	if ((*def)->bad[0]) {
		errmsg("%s: the definition of %s cannot be read: %s", ctx->path, uuid, (*def)->bad);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/*
 * define, start and stop: one op on mdev UUID. define and start need what
 * the other has: a running mdev, a definition.
 */
static int one_op(struct ctx *ctx, enum op_kind kind, const struct change_render *render)
{
	struct change_op op = { .kind = kind };
	const struct mdev_def *def;
	struct change_opts o;
	struct engine e;
	struct root r;
	int rc = args_change(ctx, &o), i;

	if (!rc && !uuid_valid(ctx->pos[0]))
		return args_uuid(ctx, ctx->pos[0]);
	/* a definition is the persistent configuration only */
	o.scope = kind == OP_DEFINE ? SCOPE_PERSISTENT : o.scope;
	if (!rc)
		rc = mdev_begin(ctx, &r, &e, ctx->path, &o, ctx->pos[0], &i);
	if (rc)
		return rc;
	uuid_lower(ctx->pos[0], op.uuid);
	if (kind == OP_CREATE)
		rc = find_def(ctx, &e, op.uuid, &def);
	else if (i < 0)
		rc = EXIT_NOTFOUND;
	if (rc == EXIT_NOTFOUND && kind != OP_CREATE)
		no_mdev(ctx, "no mdev", op.uuid, e.st, e.pers);
	if (!rc)
		op.ids = kind == OP_CREATE ? def->ids : e.st->mdevs[i].matrix;
	if (!rc && engine_add(&e, &op))
		rc = EXIT_RUNTIME;
	rc = rc ? (engine_end(&e), rc) : change_conclude(ctx, &e, render);
	root_close(&r);
	return rc;
}

/* The definition of a running mdev, as mdevctl writes it. */
static int run_define(struct ctx *ctx)
{
	return one_op(ctx, OP_DEFINE, &define_render);
}

static void print_started(FILE *f, const struct engine *e)
{
	const struct ap_mdev *m = engine_mdev(e, e->ops[0].uuid);

	if (m)
		text_mdev_result(f, m);
}

static const struct change_render start_render = {
	.dry_run = text_mdev_dry_run, .done = print_started,
};

/* A definition started as one change: create and the whole matrix, checked first. */
static int run_start(struct ctx *ctx)
{
	return one_op(ctx, OP_CREATE, &start_render);
}

static void print_stopped(FILE *f, const struct engine *e)
{
	fprintf(f, "Stopped mdev %s.\n", e->ops[0].uuid);
}

static void stop_dry_run(FILE *f, const struct engine *e)
{
	if (!e->p.refused)
		fprintf(f, "Dry run: would stop mdev %s.\n", e->ops[0].uuid);
}

static const struct change_render stop_render = {
	.dry_run = stop_dry_run, .done = print_stopped,
};

/* The running mdev removed; its definition stays. */
static int run_stop(struct ctx *ctx)
{
	return one_op(ctx, OP_REMOVE, &stop_render);
}

/* ---- list ---- */

static int run_list(struct ctx *ctx)
{
	struct ap_state *st = NULL;
	struct view v;
	struct root r;
	int rc = load_state(ctx, &r, STATE_GUESTS | STATE_OVERRIDES, &st);

	if (rc)
		return rc;
	if (view_init(&v, st, ctx->root.path, r.prefix)) {
		errmsg("out of memory");
		rc = EXIT_RUNTIME;
	} else if (ctx->json) {
		struct json_object *arr = json_object_new_array();

		view_read_persist(&v, &r.s);
		for (size_t k = 0; k < st->nmdevs; k++) {
			const struct ap_mdev *m = &st->mdevs[v.order[k]];
			const struct mdev_def *def = v.persist ? persist_find(v.persist, m->uuid) : NULL;
			struct json_object *o = json_mdev(&v, m);

			/* what its mdevctl definition says, as show --json has it */
			json_object_object_add(o, "running", json_object_new_boolean(true));
			json_object_object_add(o, "definition", def ? json_def(&v, def) : NULL);
			json_object_array_add(arr, o);
		}
		/* and, as the text lists them, the definitions that do not run */
		for (size_t i = 0; v.persist && i < v.persist->ndefs; i++) {
			const struct mdev_def *def = &v.persist->defs[i];
			struct json_object *o;

			if (state_find_mdev(st, def->uuid) >= 0)
				continue;
			o = json_object_new_object();
			json_object_object_add(o, "uuid", json_object_new_string(def->uuid));
			json_object_object_add(o, "running", json_object_new_boolean(false));
			json_object_object_add(o, "definition", json_def(&v, def));
			json_object_array_add(arr, o);
		}
		json_print(stdout, arr);
	} else {
		view_read_persist(&v, &r.s);
		text_mdev_table(stdout, &v);
	}
	view_free(&v);
	state_free(st);
	root_close(&r);
	return finish_output(rc);
}

static const struct verb_opt list_opts[] = { ROOT_VERB_OPTS, { O_COUNT, NULL } };

static const struct verb_opt define_opts[] = {
	{ O_AUTOSTART, NULL }, { O_MANUAL, NULL }, RUN_VERB_OPTS, ROOT_VERB_OPTS,
	{ O_COUNT, NULL },
};
static const struct verb_opt start_opts[] = {
	RUN_VERB_OPTS, ROOT_VERB_OPTS, { O_COUNT, NULL },
};

const struct verb mdev_define_verb = {
	"define", "UUID", 1, 1, false, "write the mdevctl definition of a running mdev",
	"Write the mdevctl definition of a running mdev, with the adapters, domains and\n"
	"control domains it has, as mdevctl writes it (etc/mdevctl.d/matrix/UUID), so\n"
	"that mdevctl can start it again. With --autostart, mdevctl starts it at boot.",
	define_opts, run_define, NULL, 0,
};

const struct verb mdev_start_verb = {
	"start", "UUID", 1, 1, false, "start a defined mdev, as one change",
	"Start the mdev that mdevctl's definition UUID describes: create it and give it\n"
	"its matrix as one change, checked first against the kernel's rules (unlike\n"
	"mdevctl's one write per attribute). The definition stays as it is.",
	start_opts, run_start, NULL, 0,
};

const struct verb mdev_stop_verb = {
	"stop", "UUID", 1, 1, false, "remove a running mdev, keep its definition",
	"Remove the running mdev UUID; its mdevctl definition stays, so that it can be\n"
	"started again.",
	start_opts, run_stop, NULL, 0,
};

const struct verb mdev_list_verb = {
	"list", "", 0, 0, false, "one line per mdev",
	"One line per mdev: its IDs, the sizes of matrix and guest_matrix, whether a\n"
	"guest uses it and what its mdevctl definition says; then the definitions of\n"
	"mdevs that do not run.",
	list_opts, run_list, NULL, 0,
};
