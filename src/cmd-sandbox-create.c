/* SPDX-License-Identifier: MIT */
/* apctl sandbox create: a sandbox of the demo host, of a host described, or a copy of a root. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apctl.h"
#include "masksyntax.h"
#include "output.h"
#include "sandbox.h"

/* An hour: longer than any wait apctl is asked for */
#define REBIND_DELAY_MAX 3600000

/* Every --type, each a comma list, given to the adapters in turn. */
static int parse_types(const struct ctx *ctx, struct sandbox_spec *sp)
{
	struct diag d;

	sp->ntypes = 0;
	for (size_t i = 0; i < ctx->nval[O_TYPE]; i++) {
		char *copy = strdup(ctx->val[O_TYPE][i]), *save = NULL;
		int rc = copy ? EXIT_OK : EXIT_RUNTIME;

		for (char *t = strtok_r(copy, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
			if (sp->ntypes == SANDBOX_MAX_TYPES)
				rc = usage_error(ctx, "more than %d card types", SANDBOX_MAX_TYPES);
			else if (card_type_parse(t, &sp->types[sp->ntypes++], &d))
				rc = usage_error(ctx, "%s", d.msg);
		}
		free(copy);
		if (rc)
			return rc;
	}
	return sp->ntypes ? EXIT_OK : usage_error(ctx, "--type needs a card type");
}

static int parse_max(const struct ctx *ctx, enum opt_id o, const char *what, unsigned *out)
{
	const char *v = args_last(ctx, o);
	struct diag d;

	if (v && id_parse(v, IDSET_MAX_ID, what, out, &d))
		return usage_error(ctx, "%s", d.msg);
	return EXIT_OK;
}

/*
 * The generation of --kernel (not APCTL_KERNEL, which is for the roots apctl
 * works on): EXIT_OK, a note said where it is taken as another, or a usage error.
 */
static int parse_kernel(const struct ctx *ctx, struct kgen *g)
{
	const char *v = args_last(ctx, O_KERNEL);
	struct diag d;
	int rc = v ? kgen_parse(v, g, &d) : 0;

	if (rc < 0)
		return usage_error(ctx, "%s", d.msg);
	if (rc)
		errmsg("note: %s", d.msg);
	return EXIT_OK;
}

/* The host of the options, each checked before anything is written. */
static int build_spec(const struct ctx *ctx, struct sandbox_spec *sp)
{
	bool a = args_has(ctx, O_ADAPTERS), d = args_has(ctx, O_DOMAINS), c = args_has(ctx, O_CDOMS);
	struct idset upa, upd;
	char m[ID_STR_MAX];

	sandbox_spec_demo(sp);
	if (parse_max(ctx, O_MAX_ADAPTER, "maximum adapter ID", &sp->max_adapter) ||
	    parse_max(ctx, O_MAX_DOMAIN, "maximum domain ID", &sp->max_domain) ||
	    parse_kernel(ctx, &sp->kernel) ||
	    (a && args_ids(ctx, O_ADAPTERS, sp->max_adapter, "adapter", &sp->adapters)) ||
	    (d && args_ids(ctx, O_DOMAINS, sp->max_domain, "domain", &sp->domains)) ||
	    (c && args_ids(ctx, O_CDOMS, sp->max_domain, "control domain", &sp->control_domains)))
		return EXIT_USAGE;
	if (d && !c)
		sp->control_domains = sp->domains;
	/* the demo's IDs that stay must fit the maxima too */
	upa = idset_upto(sp->max_adapter);
	upd = idset_upto(sp->max_domain);
	if (!idset_subset(&sp->adapters, &upa) || !idset_subset(&sp->domains, &upd) ||
	    !idset_subset(&sp->control_domains, &upd))
		return usage_error(ctx, "the default adapters 5,6 and domains 4,0x47,0xab,0xff do not "
				   "fit under maximum IDs %s and %u; give --adapters and --domains",
				   id_format(sp->max_adapter, m), sp->max_domain);
	return args_has(ctx, O_TYPE) ? parse_types(ctx, sp) : EXIT_OK;
}

/* The AP state of another root, to copy: EXIT_OK or the exit code after the message. */
static int read_from(const struct ctx *ctx, struct root *from, struct ap_state **st)
{
	static const enum opt_id host_opts[] = { O_ADAPTERS, O_DOMAINS, O_CDOMS, O_TYPE,
						 O_MAX_ADAPTER, O_MAX_DOMAIN };
	struct ctx fctx = { .root = { .path = args_last(ctx, O_FROM), .given = true } };
	struct kgen g;
	int rc;

	for (size_t i = 0; i < sizeof(host_opts) / sizeof(host_opts[0]); i++)
		if (args_has(ctx, host_opts[i]))
			return usage_error(ctx, "--from copies the host configuration of %s; it does "
					   "not go with --adapters, --domains, --control-domains, "
					   "--type or --max-*-id", fctx.root.path);
	if (parse_kernel(ctx, &g))
		return EXIT_USAGE;
	rc = load_state(&fctx, from, STATE_DETAILS | STATE_QUEUE_STATES | STATE_GUESTS |
			STATE_OVERRIDES_ALL, st);
	if (rc)
		return rc;
	(*st)->sandbox = true;
	if (args_has(ctx, O_KERNEL))
		(*st)->kernel = g;
	return EXIT_OK;
}

static void print_created(const struct ctx *ctx, const char *dir, const struct ap_state *st)
{
	char gen[KGEN_STR_MAX], a[IDLIST_MAX], q[IDLIST_MAX];

	kgen_format(st->kernel, gen);
	if (ctx->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "sandbox", json_object_new_string(dir));
		json_object_object_add(o, "kernel", json_object_new_string(gen));
		json_object_object_add(o, "adapters", json_idset(&st->host.apm));
		json_object_object_add(o, "usage_domains", json_idset(&st->host.aqm));
		json_object_object_add(o, "control_domains", json_idset(&st->host.adm));
		json_object_object_add(o, "queues",
				       json_object_new_int((int)apqnset_count(&st->queues)));
		json_object_object_add(o, "mdevs", json_object_new_int((int)st->nmdevs));
		json_print(stdout, o);
		return;
	}
	printf("Created sandbox %s emulating kernel %s: adapters %s, usage domains %s, "
	       "%u queues, %zu mdev%s.\nUse it with: apctl --root %s show\n",
	       dir, gen, text_ids(&st->host.apm, "none", a, sizeof(a)),
	       text_ids(&st->host.aqm, "none", q, sizeof(q)), apqnset_count(&st->queues),
	       st->nmdevs, st->nmdevs == 1 ? "" : "s", dir);
}

static int run_create(struct ctx *ctx)
{
	const char *dir = ctx->pos[0];
	bool from = args_has(ctx, O_FROM);
	struct sandbox_spec spec;
	struct ap_state *st = NULL;
	struct diag d = { "" };
	struct root fr;
	unsigned delay = 0;
	int rc;

	if (!*dir)
		return usage_error(ctx, "the directory name is empty");
	if (args_number(ctx, O_REBIND_DELAY, REBIND_DELAY_MAX, "number of milliseconds", &delay))
		return EXIT_USAGE;
	rc = from ? read_from(ctx, &fr, &st) : build_spec(ctx, &spec);
	if (rc)
		return rc;
	if (!from && sandbox_spec_state(&spec, &st)) {
		errmsg("out of memory");
		return EXIT_RUNTIME;
	}
	st->rebind_delay_ms = delay;
	rc = sandbox_create(dir, st, from ? &fr.s : NULL, &d);
	if (rc) {
		errmsg("%s", d.msg);
		rc = (rc == -EEXIST || rc == -ENOTDIR) ? EXIT_USAGE : EXIT_RUNTIME;
	} else {
		print_created(ctx, dir, st);
		rc = finish_output(EXIT_OK);
	}
	state_free(st);
	if (from)
		root_close(&fr);
	return rc;
}

static const struct verb_opt create_opts[] = {
	{ O_ADAPTERS, "adapters of the host configuration (5,6,0x0a-0x0c)" },
	{ O_DOMAINS, "usage domains of the host configuration" },
	{ O_CDOMS, "control domains (default: the usage domains)" },
	{ O_TYPE, "card type, CEX4A to CEX8P; repeat it or give a\ncomma list to give the "
		  "adapters types in turn" },
	{ O_MAX_ADAPTER, NULL },
	{ O_MAX_DOMAIN, NULL },
	{ O_KERNEL, "kernel to emulate, 5.10 to 6.19 (default 6.19,\na newer one as 6.19)" },
	{ O_FROM, NULL },
	{ O_REBIND_DELAY, NULL },
	{ O_JSON, NULL },
	{ O_COUNT, NULL },
};

const struct verb sandbox_create_verb = {
	"create", "DIR", 1, 1, false, "write a sandbox: an emulated AP bus to rehearse on",
	"Write a sandbox at DIR (new or empty): a sysfs tree with the real layout of\n"
	"the AP bus and vfio_ap, and an emulated kernel behind it, for\n"
	"'apctl --root DIR'. Without host options it is the host of the kernel\n"
	"document's example: adapters 5 (CEX5C) and 6 (CEX5A), usage and control\n"
	"domains 4,0x47,0xab,0xff, maximum IDs 255, default masks. With --from ROOT\n"
	"it is a copy of that root (/ for this system).",
	create_opts, run_create, NULL, 0,
};
