/* SPDX-License-Identifier: MIT */
/*
 * apctl mdev: create, assign, unassign, remove and list vfio_ap mediated
 * devices. Each command reads its arguments into a change; the engine plans,
 * checks and makes it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "apctl.h"
#include "output.h"
#include "paths.h"
#include "report.h"

/* The IDs of --adapters, --domains and --control-domains; the kernel checks the maxima. */
static int parse_ids(const struct ctx *ctx, struct ap_matrix *ids)
{
	static const enum opt_id opts[3] = { O_ADAPTERS, O_DOMAINS, O_CDOMS };

	for (int k = 0; k < 3; k++)
		if (args_ids(ctx, opts[k], IDSET_MAX_ID, assign_kind_name((enum assign_kind)k),
			     matrix_ids(ids, (enum assign_kind)k)))
			return EXIT_USAGE;
	return EXIT_OK;
}

bool mdev_defined(const struct engine *e, const char *uuid)
{
	return e->o.scope == SCOPE_PERSISTENT && e->pers && persist_find(e->pers, uuid);
}

int mdev_begin(const struct ctx *ctx, struct root *r, struct engine *e, const char *cmd,
	       const struct change_opts *o, const char *uuid, int *i)
{
	int rc = open_root(ctx, r);

	if (rc)
		return rc;
	rc = engine_begin(e, r, cmd, o, STATE_OVERRIDES | STATE_LAZY);
	if (!rc && !e->st->matrix_present) {
		errmsg("%s: vfio_ap is not loaded (%s does not exist): modprobe vfio_ap", ctx->path,
		       MATRIX_DEV);
		rc = EXIT_NOTFOUND;
	}
	*i = rc || !uuid ? -1 : state_find_mdev(e->st, uuid);
	if (!rc && uuid && *i >= 0 && e->st->mdevs[*i].incomplete) {
		errmsg("%s: mdev %s could not be read (%s): it is being removed or made", ctx->path,
		       e->st->mdevs[*i].uuid, strerror(-e->st->mdevs[*i].incomplete));
		rc = EXIT_RUNTIME;
	}
	if (rc) {
		engine_end(e);
		root_close(r);
	}
	return rc;
}

static void print_uuid(FILE *f, const struct engine *e)
{
	fprintf(f, "%s\n", e->ops[0].uuid);
}

static void print_result(FILE *f, const struct engine *e)
{
	const struct ap_mdev *m = engine_mdev(e, e->ops[0].uuid);

	if (m)
		text_mdev_result(f, m);
}

static void print_nothing(FILE *f, const struct engine *e)
{
	fprintf(f, "Nothing to change: mdev %s reads so already.\n", e->ops[0].uuid);
}

static const struct change_render create_render = {
	.dry_run = text_mdev_dry_run, .done = print_uuid,
};
static const struct change_render assign_render = {
	.dry_run = text_mdev_dry_run, .nothing = print_nothing, .done = print_result,
};

static int new_uuid(char out[UUID_STR_MAX])
{
	uint8_t b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -errno;
	uuid_v4(b, out);
	return 0;
}

/* create, assign and unassign: one change of one mdev's matrix. */
static int change_matrix(struct ctx *ctx, enum op_kind kind)
{
	struct change_op op = { .kind = kind };
	const char *given = ctx->npos ? ctx->pos[0] : NULL;
	char cmd[sizeof(ctx->path) + UUID_STR_MAX];
	struct change_opts o;
	struct engine e;
	struct root r;
	int rc = parse_ids(ctx, &op.ids), i;

	if (!rc)
		rc = args_change(ctx, &o);
	if (rc)
		return rc;
	if (o.start && o.scope == SCOPE_RUNNING)
		return usage_error(ctx, "--%s goes with --persistent or --persistent-only",
				   o.start > 0 ? "autostart" : "manual");
	if (kind != OP_CREATE && !args_has(ctx, O_ADAPTERS) && !args_has(ctx, O_DOMAINS) &&
	    !args_has(ctx, O_CDOMS))
		return usage_error(ctx, "nothing to %s: give --adapters, --domains or "
				   "--control-domains", kind == OP_ASSIGN ? "assign" : "unassign");
	if (given && !uuid_valid(given))
		return args_uuid(ctx, given);
	if (given)
		uuid_lower(given, op.uuid);
	else if (new_uuid(op.uuid))
		return usage_error(ctx, "cannot make a random UUID: %s; give one", strerror(errno));
	/* a UUID made up here is not named before the mdev exists */
	snprintf(cmd, sizeof(cmd), "%s%s%s", ctx->path, given ? " " : "", given ? op.uuid : "");
	rc = mdev_begin(ctx, &r, &e, cmd, &o, op.uuid, &i);
	if (rc)
		return rc;
	if (kind != OP_CREATE && i < 0 && !mdev_defined(&e, op.uuid)) {
		rc = no_mdev(ctx, "no mdev", op.uuid, e.st, e.pers);
		engine_end(&e);
		root_close(&r);
		return rc;
	}
	rc = engine_add(&e, &op) ? (engine_end(&e), EXIT_RUNTIME) :
	     change_conclude(ctx, &e, kind == OP_CREATE ? &create_render : &assign_render);
	root_close(&r);
	return rc;
}

/* mdev create, assign, unassign: the verb says which */
static int run_matrix(struct ctx *ctx)
{
	const char *verb = strrchr(ctx->path, ' ') + 1;

	return change_matrix(ctx, !strcmp(verb, "create") ? OP_CREATE :
				  !strcmp(verb, "assign") ? OP_ASSIGN : OP_UNASSIGN);
}

/* ---- remove ---- */

static void remove_dry_run(FILE *f, const struct engine *e)
{
	if (e->p.refused)
		return;
	for (size_t i = 0; i < e->p.nw; i++)
		fprintf(f, "Dry run: would remove mdev %s%s.\n", e->p.w[i].what.uuid,
			e->p.w[i].predicted == -EINPROGRESS ? " once its guest lets go" : "");
}

static void removed(FILE *f, const struct engine *e)
{
	for (size_t i = 0; i < e->p.nw; i++) {
		char def[128], path[PATH_MAX];

		if (strlist_has(&e->pending_removals, e->p.w[i].what.uuid))
			fprintf(f, "mdev %s goes when its guest lets go.\n", e->p.w[i].what.uuid);
		else
			fprintf(f, "Removed mdev %s.\n", e->p.w[i].what.uuid);
		snprintf(def, sizeof(def), MATRIX_DEFS_DIR "/%s", e->p.w[i].what.uuid);
		if (e->o.scope == SCOPE_RUNNING && sysfs_exists(&e->root->s, def))
			errmsg("note: mdevctl still defines %s (%s): '%s mdev remove %s "
			       "--persistent-only' drops it", e->p.w[i].what.uuid,
			       sysfs_path(&e->root->s, def, path, sizeof(path)), e->root->prefix,
			       e->p.w[i].what.uuid);
	}
}

static const struct change_render remove_render = {
	.dry_run = remove_dry_run, .done = removed,
};

/* The mdevs named, each once: EXIT_OK or the exit code after the message. */
static int add_removals(const struct ctx *ctx, struct engine *e)
{
	for (int k = 0; k < ctx->npos; k++) {
		struct change_op op = { .kind = OP_REMOVE };
		int i = state_find_mdev(e->st, ctx->pos[k]);
		bool twice = false;

		for (int j = 0; j < k; j++)
			twice |= !strcasecmp(ctx->pos[j], ctx->pos[k]);
		if (twice)
			continue;
		uuid_lower(ctx->pos[k], op.uuid);
		if (i < 0 && !mdev_defined(e, op.uuid))
			return no_mdev(ctx, "no mdev", op.uuid, e->st, e->pers);
		if (engine_add(e, &op))
			return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static int run_remove(struct ctx *ctx)
{
	struct change_opts o;
	struct engine e;
	struct root r;
	int rc = args_change(ctx, &o), i;

	for (int k = 0; !rc && k < ctx->npos; k++)
		if (!uuid_valid(ctx->pos[k]))
			return args_uuid(ctx, ctx->pos[k]);
	if (!rc)
		rc = mdev_begin(ctx, &r, &e, ctx->path, &o, NULL, &i);
	if (rc)
		return rc;
	rc = add_removals(ctx, &e);
	rc = rc ? (engine_end(&e), rc) : change_conclude(ctx, &e, &remove_render);
	root_close(&r);
	return rc;
}

/* ---- the verbs ---- */

#define ID_OPTS { O_ADAPTERS, NULL }, { O_DOMAINS, NULL }, { O_CDOMS, NULL }

static const struct verb_opt matrix_opts[] = {
	ID_OPTS, CHANGE_VERB_OPTS, { O_AUTOSTART, NULL }, { O_MANUAL, NULL }, ROOT_VERB_OPTS,
	{ O_COUNT, NULL },
};
static const struct verb_opt remove_opts[] = {
	CHANGE_VERB_OPTS, ROOT_VERB_OPTS, { O_COUNT, NULL },
};

static const struct verb create_verb = {
	"create", "[UUID]", 0, 1, false, "create a vfio_ap mediated device and give it a\nmatrix",
	"Create a vfio_ap mediated device with the UUID given (or a random one), give\n"
	"it its matrix, and print its UUID. When the kernel would refuse, apctl says\n"
	"which APQN conflicts with what and what to run, and writes nothing.",
	matrix_opts, run_matrix, NULL, 0,
};
static const struct verb assign_verb = {
	"assign", "UUID", 1, 1, false, "assign adapters, domains, control domains to it",
	"Assign adapters, domains and control domains to an mdev, as one change.",
	matrix_opts, run_matrix, NULL, 0,
};
static const struct verb unassign_verb = {
	"unassign", "UUID", 1, 1, false, "take them away again",
	"Take adapters, domains and control domains away from an mdev, as one change.",
	matrix_opts, run_matrix, NULL, 0,
};
static const struct verb remove_verb = {
	"remove", "UUID...", 1, -1, false, "remove mdevs",
	"Remove mdevs, all or none. An mdev in use by a guest is refused unless --force,\n"
	"which waits up to --wait seconds for the guest to let go.",
	remove_opts, run_remove, NULL, 0,
};

static const struct verb *const mdev_verbs[] = {
	&create_verb, &assign_verb, &unassign_verb, &remove_verb, &mdev_define_verb,
	&mdev_start_verb, &mdev_stop_verb, &mdev_list_verb, &mdev_guest_verb, NULL,
};

const struct verb mdev_verb = {
	.name = "mdev",
	.summary = "create, change, remove and list mdevs",
	.text = "Create, change, remove and list vfio_ap mediated devices. Every change is\n"
		"checked first against the kernel's rules for this system's kernel.",
	.subs = mdev_verbs,
};
