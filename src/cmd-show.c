/* SPDX-License-Identifier: MIT */
/* apctl show and apctl ids: the AP configuration of a root, for a person, a script or JSON. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apctl.h"
#include "journal.h"
#include "masksyntax.h"
#include "output.h"
#include "report.h"

static int show_one(const struct ctx *ctx, const struct view *v, const char *uuid)
{
	int i = state_find_mdev(v->st, uuid);
	char lower[UUID_STR_MAX];

	if (i < 0) {
		uuid_lower(uuid, lower);
		return no_mdev(ctx, "no mdev", lower, v->st, v->persist);
	}
	if (ctx->json)
		json_print(stdout, json_mdev(v, &v->st->mdevs[i]));
	else
		text_mdev(stdout, v, &v->st->mdevs[i], false);
	return EXIT_OK;
}

/* show --boot: the prediction from the running state and the persistent configuration. */
static int show_boot(const struct ctx *ctx, const struct view *v)
{
	struct boot b;

	if (!v->persist) {
		errmsg("%s: the next boot cannot be predicted without the persistent "
		       "configuration", ctx->path);
		return EXIT_RUNTIME;
	}
	if (boot_predict(v->st, v->persist, &b)) {
		boot_free(&b);
		errmsg("out of memory");
		return EXIT_RUNTIME;
	}
	if (ctx->json)
		show_boot_json(stdout, v, &b);
	else
		show_boot_text(stdout, v, &b);
	boot_free(&b);
	return EXIT_OK;
}

static int run_show(struct ctx *ctx)
{
	const char *uuid = ctx->npos ? ctx->pos[0] : NULL;
	struct ap_state *st = NULL;
	struct journal *j = NULL;
	struct view v;
	struct root r;
	int rc;

	if (uuid && !uuid_valid(uuid))
		return args_uuid(ctx, uuid);
	if (uuid && args_has(ctx, O_BOOT))
		return usage_error(ctx, "--boot shows the whole configuration, not one mdev");
	rc = load_state(ctx, &r, STATE_GUESTS | STATE_OVERRIDES, &st);
	if (rc)
		return rc;
	if (view_init(&v, st, ctx->root.path, r.prefix)) {
		errmsg("out of memory");
		rc = EXIT_RUNTIME;
		goto out;
	}
	v.release = r.release;
	view_read_journal(&v, &r.s, &j);
	view_read_persist(&v, &r.s);
	if (args_has(ctx, O_BOOT))
		rc = show_boot(ctx, &v);
	else if (uuid)
		rc = show_one(ctx, &v, uuid);
	else if (ctx->json)
		show_json(stdout, &v);
	else
		show_text(stdout, &v);
	rc = finish_output(rc);
out:
	journal_free(j);
	view_free(&v);
	state_free(st);
	root_close(&r);
	return rc;
}

static const struct verb_opt root_opts[] = {
	{ O_ROOT, NULL }, { O_JSON, NULL }, { O_KERNEL, NULL }, { O_COUNT, NULL },
};
static const struct verb_opt show_opts[] = {
	{ O_BOOT, NULL }, { O_ROOT, NULL }, { O_JSON, NULL }, { O_KERNEL, NULL }, { O_COUNT, NULL },
};

const struct verb show_verb = {
	.name = "show",
	.params = "[UUID]",
	.max_args = 1,
	.summary = "the AP configuration, or one mdev",
	.text = "Show the AP configuration: the host's adapters and domains, apmask and\n"
		"aqmask, which APQNs belong to the host's default drivers and which to\n"
		"vfio_ap, every queue's driver and status, and every vfio_ap mediated\n"
		"device with its matrix and guest_matrix, then the persistent configuration\n"
		"(41-ap.rules, mdevctl's definitions) against it. With UUID, only that mdev.\n"
		"With --boot, what the next boot brings and how it differs from now.",
	.opts = show_opts,
	.run = run_show,
};

static const char *const id_kinds[] = { "adapters", "domains", "control-domains", "mdevs" };

static int run_ids(struct ctx *ctx)
{
	struct json_object *arr = ctx->json ? json_object_new_array() : NULL;
	struct ap_state *st = NULL;
	struct root r;
	int rc, kind = -1;

	for (int i = 0; i < 4; i++)
		if (!strcmp(ctx->pos[0], id_kinds[i]))
			kind = i;
	if (kind < 0) {
		json_object_put(arr);
		return usage_error(ctx, "'%s' is not adapters, domains, control-domains or mdevs",
				   ctx->pos[0]);
	}
	rc = load_state(ctx, &r, 0, &st);
	if (rc) {
		json_object_put(arr);
		return rc;
	}
	if (kind == 3) {
		for (size_t i = 0; i < st->nmdevs; i++)
			arr ? json_object_array_add(arr, json_object_new_string(st->mdevs[i].uuid)) :
			      (void)printf("%s\n", st->mdevs[i].uuid);
	} else {
		char id[ID_STR_MAX];

		/* adapters, domains, control-domains: the order of enum assign_kind */
		idset_foreach(x, matrix_ids(&st->host, (enum assign_kind)kind))
			arr ? json_object_array_add(arr, json_object_new_int(x)) :
			      (void)printf("%s\n", id_format((unsigned)x, id));
	}
	if (arr)
		json_print(stdout, arr);
	state_free(st);
	root_close(&r);
	return finish_output(EXIT_OK);
}

const struct verb ids_verb = {
	.name = "ids",
	.params = "adapters|domains|control-domains|mdevs",
	.min_args = 1,
	.max_args = 1,
	.summary = "adapters, domains, control-domains or mdevs, one per\nline, for scripts",
	.text = "Print the adapters, usage domains or control domains of the host's AP\n"
		"configuration, or the UUIDs of the mdevs, one per line, as apctl writes them:\n"
		"for scripts and shell completion.",
	.opts = root_opts,
	.run = run_ids,
};
