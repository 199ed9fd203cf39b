/* SPDX-License-Identifier: MIT */
/*
 * apctl reserve and apctl release: edit apmask and aqmask. The command reads
 * what is asked for into the new masks; the engine checks the edit against
 * every mdev with the in-use rule of the system's kernel, orders the writes,
 * and makes them as one change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apctl.h"
#include "masksyntax.h"
#include "output.h"
#include "report.h"
#include "reserve.h"

/* Each --apmask (or --aqmask) edit in turn, on the mask as the ones before leave it. */
static int mask_edits(const struct ctx *ctx, enum opt_id o, struct idset *mask)
{
	for (size_t i = 0; i < ctx->nval[o]; i++) {
		struct diag d;

		if (mask_edit_parse(ctx->val[o][i], mask, mask, NULL, &d))
			return usage_error(ctx, "--%s %s", cli_optdefs[o].name, d.msg);
	}
	return EXIT_OK;
}

/* The IDs of --adapters or --domains taken from (or given back to) a mask. */
static int id_edits(const struct ctx *ctx, enum opt_id o, unsigned max, const char *what,
		    bool release, struct idset *mask)
{
	struct idset ids;
	int rc = args_ids(ctx, o, max, what, &ids);

	if (!rc)
		*mask = release ? idset_or(mask, &ids) : idset_minus(mask, &ids);
	return rc;
}

/* The new masks asked for: EXIT_OK or a usage error. */
static int new_masks(const struct ctx *ctx, const struct ap_state *st, bool release,
		     struct idset *apmask, struct idset *aqmask, struct apqnset *asked)
{
	struct reserve_plan rp;
	struct idset sa, sd;
	int rc;

	*apmask = st->apmask;
	*aqmask = st->aqmask;
	rc = id_edits(ctx, O_ADAPTERS, st->max_adapter, "adapter", release, apmask);
	if (!rc)
		rc = id_edits(ctx, O_DOMAINS, st->max_domain, "domain", release, aqmask);
	if (!rc)
		rc = mask_edits(ctx, O_APMASK, apmask);
	if (!rc)
		rc = mask_edits(ctx, O_AQMASK, aqmask);
	if (rc || !args_has(ctx, O_APQNS))
		return rc;
	rc = args_apqns(ctx, st->max_adapter, st->max_domain, asked);
	if (rc)
		return rc;
	state_mask_scope(st, &sa, &sd);
	reserve_smallest(&st->apmask, &st->aqmask, &sa, &sd, asked, &rp);
	*apmask = idset_minus(&st->apmask, &rp.clear_apm);
	*aqmask = idset_minus(&st->aqmask, &rp.clear_aqm);
	return EXIT_OK;
}

static int check_combination(const struct ctx *ctx, bool release)
{
	bool ids = args_has(ctx, O_ADAPTERS) || args_has(ctx, O_DOMAINS);
	bool edits = args_has(ctx, O_APMASK) || args_has(ctx, O_AQMASK);

	if (!ids && !edits && !args_has(ctx, O_APQNS))
		return usage_error(ctx, "nothing to %s: give --adapters or --domains%s", ctx->path,
				   release ? "" : ", --apqns, --apmask or --aqmask");
	if (args_has(ctx, O_APQNS) && (ids || edits))
		return usage_error(ctx, "--apqns chooses the mask edit itself; it does not go with "
				   "--adapters, --domains, --apmask or --aqmask");
	if (args_has(ctx, O_ADAPTERS) && args_has(ctx, O_APMASK))
		return usage_error(ctx, "--adapters and --apmask both edit apmask; give one");
	if (args_has(ctx, O_DOMAINS) && args_has(ctx, O_AQMASK))
		return usage_error(ctx, "--domains and --aqmask both edit aqmask; give one");
	return EXIT_OK;
}

static void dry_run(FILE *f, const struct engine *e)
{
	/* --persistent-only plans no mask write */
	if (e->p.to_vfio)
		text_mask_change(f, e);
	if (!e->p.refused)
		fprintf(f, "Dry run: nothing was written.\n");
}

static void nothing(FILE *f, const struct engine *e)
{
	bool release = !strncmp(e->command, "release", 7);

	fprintf(f, "Nothing to change: %s %s those %s already (their mask bits are %s).\n",
		release ? "the host's default drivers" : "vfio_ap", release ? "have" : "has",
		e->asked ? "APQNs" : "IDs", release ? "set" : "clear");
}

static void done(FILE *f, const struct engine *e)
{
	unsigned n = apqnset_count(e->p.to_vfio);

	text_mask_change(f, e);
	fprintf(f, "Done: %u APQN%s to vfio_ap, %u to the host.\n", n, n == 1 ? "" : "s",
		apqnset_count(e->p.to_host));
	n = e->pending ? apqnset_count(e->pending) : 0;
	if (!n)
		return;
	fprintf(f, "Not yet bound by the AP bus ('%s show' tells when they are): ",
		e->root->prefix);
	text_apqnset(f, e->pending, "  ");
}

static const struct change_render render = {
	.dry_run = dry_run, .nothing = nothing, .done = done,
};

/*
 * The ops of the change: the running masks (unless --persistent-only), and
 * with a persistent scope the same edit of the masks a boot starts with, as
 * 41-ap.rules has them (all ones where it sets none).
 */
static int mask_ops(struct ctx *ctx, struct engine *e, bool release, struct apqnset *asked)
{
	struct change_op op = { .kind = OP_MASK };
	struct idset mask[2], boot[2];
	struct ap_state pst = *e->st;
	int rc = EXIT_OK;

	if (e->o.scope != SCOPE_PERSISTENT)
		rc = new_masks(ctx, e->st, release, &mask[0], &mask[1], asked);
	for (int k = 0; !rc && e->o.scope != SCOPE_PERSISTENT && k < 2; k++) {
		op.is_apmask = !k;
		op.mask = mask[k];
		rc = engine_add(e, &op) ? EXIT_RUNTIME : EXIT_OK;
	}
	if (rc || e->o.scope == SCOPE_RUNNING)
		return rc;
	/* the same edit of the persistent masks */
	engine_persistent_masks(e, &pst.apmask, &pst.aqmask);
	boot[0] = pst.apmask;
	boot[1] = pst.aqmask;
	/* a copy: the index by UUID stays the original's */
	pst.index = NULL;
	rc = new_masks(ctx, &pst, release, &mask[0], &mask[1], asked);
	state_mdevs_changed(&pst);
	op.kind = OP_PMASK;
	for (int k = 0; !rc && k < 2; k++) {
		if (idset_equal(&mask[k], &boot[k]))
			continue;
		op.is_apmask = !k;
		op.mask = mask[k];
		rc = engine_add(e, &op) ? EXIT_RUNTIME : EXIT_OK;
	}
	return rc;
}

static int edit_masks(struct ctx *ctx, bool release)
{
	struct apqnset *asked = NULL;
	struct change_opts o;
	struct engine e;
	struct root r;
	int rc = check_combination(ctx, release);

	if (!rc)
		rc = args_change(ctx, &o);
	if (!rc)
		rc = open_root(ctx, &r);
	if (rc)
		return rc;
	asked = args_has(ctx, O_APQNS) ? malloc(sizeof(*asked)) : NULL;
	if (args_has(ctx, O_APQNS) && !asked) {
		root_close(&r);
		return EXIT_RUNTIME;
	}
	rc = engine_begin(&e, &r, ctx->path, &o, STATE_OVERRIDES_ALL | STATE_LAZY);
	if (rc) {
		engine_end(&e);
		goto out;
	}
	e.asked = asked;
	rc = mask_ops(ctx, &e, release, asked);
	rc = rc ? (engine_end(&e), rc) : change_conclude(ctx, &e, &render);
out:
	free(asked);
	root_close(&r);
	return rc;
}

static int run_reserve(struct ctx *ctx)
{
	return edit_masks(ctx, false);
}

static int run_release(struct ctx *ctx)
{
	return edit_masks(ctx, true);
}

static const struct verb_opt reserve_opts[] = {
	{ O_ADAPTERS, "clear these apmask bits (5,6 is the kernel's -5,-6)" },
	{ O_DOMAINS, "clear these aqmask bits" },
	{ O_APQNS, "reserve these APQNs (05.0047) with the smallest edit" },
	{ O_APMASK, "edit apmask in the kernel's syntax: +N, -N, +N-M, comma\n"
		    "separated, or 0x and up to 64 hex digits" },
	{ O_AQMASK, "edit aqmask the same way" },
	CHANGE_VERB_OPTS,
	{ O_JSON, NULL }, { O_ROOT, NULL }, { O_KERNEL, NULL }, { O_COUNT, NULL },
};

const struct verb reserve_verb = {
	.name = "reserve",
	.params = "",
	.summary = "take APQNs from the host's default drivers for\nvfio_ap (--adapters, "
		   "--domains, --apqns, --apmask,\n--aqmask)",
	.text = "Take APQNs from the host's default drivers for vfio_ap by clearing apmask\n"
		"and aqmask bits. Shows which APQNs of the host configuration move.",
	.opts = reserve_opts,
	.run = run_reserve,
};

static const struct verb_opt release_opts[] = {
	{ O_ADAPTERS, "set these apmask bits (5,6 is the kernel's +5,+6)" },
	{ O_DOMAINS, "set these aqmask bits" },
	CHANGE_VERB_OPTS,
	{ O_JSON, NULL }, { O_ROOT, NULL }, { O_KERNEL, NULL }, { O_COUNT, NULL },
};

const struct verb release_verb = {
	.name = "release",
	.params = "",
	.summary = "give APQNs back to the host (--adapters, --domains)",
	.text = "Give APQNs back to the host's default drivers by setting apmask and aqmask\n"
		"bits. Refused while an mdev holds an APQN that would move (the kernel's\n"
		"in-use rule of this system's generation), naming each APQN, its mdev, and\n"
		"the command that frees it.",
	.opts = release_opts,
	.run = run_release,
};
