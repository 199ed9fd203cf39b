/* SPDX-License-Identifier: MIT */
/* apctl sandbox host: the sandbox's host changes, as the real one's does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apctl.h"
#include "masksyntax.h"
#include "output.h"
#include "sandbox.h"

/* What the host has after a change: its AP configuration and its queues, a line. */
static void say_host(struct root *r)
{
	char a[IDLIST_MAX], u[IDLIST_MAX], c[IDLIST_MAX];
	struct ap_state *st = NULL;
	struct diag d;
	unsigned n;

	if (root_state(r, 0, &st, &d))
		return;
	n = apqnset_count(&st->queues);
	printf("The host now has adapters %s, usage domains %s, control domains %s: %u queue%s.\n",
	       text_ids(&st->host.apm, "none", a, sizeof(a)),
	       text_ids(&st->host.aqm, "none", u, sizeof(u)),
	       text_ids(&st->host.adm, "none", c, sizeof(c)), n, n == 1 ? "" : "s");
	state_free(st);
}

static int host_change(struct ctx *ctx, bool add)
{
	static const enum opt_id opts[3] = { O_ADAPTERS, O_DOMAINS, O_CDOMS };
	const char *type = args_has(ctx, O_TYPE) ? args_last(ctx, O_TYPE) : "CEX8C";
	struct ap_matrix ids = { { { 0 } }, { { 0 } }, { { 0 } } };
	struct ap_state *st = NULL;
	struct diag d = { "" };
	struct card_type t;
	struct root r;
	int rc;

	if (!args_has(ctx, O_ADAPTERS) && !args_has(ctx, O_DOMAINS) && !args_has(ctx, O_CDOMS))
		return usage_error(ctx, "give --adapters, --domains or --control-domains");
	if (card_type_parse(type, &t, &d))
		return usage_error(ctx, "%s", d.msg);
	rc = open_sandbox(ctx, &r);
	if (rc)
		return rc;
	rc = root_state(&r, 0, &st, &d) ? EXIT_RUNTIME : EXIT_OK;
	for (int k = 0; !rc && k < 3; k++)
		rc = args_ids(ctx, opts[k], k ? st->max_domain : st->max_adapter,
			      assign_kind_name((enum assign_kind)k), matrix_ids(&ids, (enum assign_kind)k));
	state_free(st);
	if (!rc && sandbox_host_change(&r.s, add, &ids, &t, &d)) {
		errmsg("%s: %s", ctx->path, d.msg);
		rc = EXIT_RUNTIME;
	}
	if (!rc)
		say_host(&r);
	root_close(&r);
	return rc ? rc : finish_output(EXIT_OK);
}

static int run_host_add(struct ctx *ctx)
{
	return host_change(ctx, true);
}

static int run_host_remove(struct ctx *ctx)
{
	return host_change(ctx, false);
}

/* What a device event did, a line: "Configured off: adapters 6." */
static void say_devices(enum device_event what, bool on, const struct idset *adapters,
			const struct apqnset *apqns)
{
	static const char *const done[][2] = {
		[DEVICE_CONFIG] = { "Configured off", "Configured on" },
		[DEVICE_CHKSTOP] = { "Checkstopped no more", "Checkstopped" },
		[DEVICE_ONLINE] = { "Set offline", "Set online" },
	};
	char ids[IDLIST_MAX];

	printf("%s:", done[what][on]);
	if (!idset_empty(adapters))
		printf(" adapter%s %s", idset_count(adapters) == 1 ? "" : "s",
		       text_ids(adapters, "", ids, sizeof(ids)));
	if (!apqnset_empty(apqns)) {
		printf("%s", idset_empty(adapters) ? " " : "; ");
		text_apqnset(stdout, apqns, "  ");
	} else {
		printf(".\n");
	}
}

/* Cards (and queues) configured, checkstopped, set online or offline. */
static int devices(struct ctx *ctx, enum device_event what, bool on)
{
	struct apqnset *apqns = calloc(1, sizeof(*apqns));
	struct ap_state *st = NULL;
	struct diag d = { "" };
	struct idset adapters;
	struct root r;
	int rc;

	if (!apqns)
		return EXIT_RUNTIME;
	if (!args_has(ctx, O_ADAPTERS) && !args_has(ctx, O_APQNS)) {
		free(apqns);
		return usage_error(ctx, "give --adapters%s", what == DEVICE_ONLINE ? " or --apqns" : "");
	}
	rc = open_sandbox(ctx, &r);
	if (rc) {
		free(apqns);
		return rc;
	}
	rc = root_state(&r, 0, &st, &d) ? EXIT_RUNTIME : EXIT_OK;
	if (!rc)
		rc = args_ids(ctx, O_ADAPTERS, st->max_adapter, "adapter", &adapters);
	if (!rc)
		rc = args_apqns(ctx, st->max_adapter, st->max_domain, apqns);
	if (!rc && sandbox_devices(&r.s, what, on, &adapters, apqns, &d)) {
		errmsg("%s: %s", ctx->path, d.msg);
		rc = EXIT_RUNTIME;
	}
	if (!rc)
		say_devices(what, on, &adapters, apqns);
	state_free(st);
	free(apqns);
	root_close(&r);
	return rc ? rc : finish_output(EXIT_OK);
}

static int run_configure(struct ctx *ctx)
{
	return devices(ctx, DEVICE_CONFIG, true);
}

static int run_deconfigure(struct ctx *ctx)
{
	return devices(ctx, DEVICE_CONFIG, false);
}

static int run_checkstop(struct ctx *ctx)
{
	return devices(ctx, DEVICE_CHKSTOP, true);
}

static int run_uncheckstop(struct ctx *ctx)
{
	return devices(ctx, DEVICE_CHKSTOP, false);
}

static int run_online(struct ctx *ctx)
{
	return devices(ctx, DEVICE_ONLINE, true);
}

static int run_offline(struct ctx *ctx)
{
	return devices(ctx, DEVICE_ONLINE, false);
}

static const struct verb_opt host_add_opts[] = {
	{ O_ADAPTERS, NULL }, { O_DOMAINS, NULL }, { O_CDOMS, NULL },
	{ O_TYPE, "card type of the adapters added (default CEX8C)" },
	{ O_ROOT, "the sandbox" }, { O_COUNT, NULL },
};
static const struct verb_opt host_remove_opts[] = {
	{ O_ADAPTERS, NULL }, { O_DOMAINS, NULL }, { O_CDOMS, NULL },
	{ O_ROOT, "the sandbox" }, { O_COUNT, NULL },
};

static const struct verb_opt card_opts[] = {
	{ O_ADAPTERS, "the cards" }, { O_ROOT, "the sandbox" }, { O_COUNT, NULL },
};
static const struct verb_opt online_opts[] = {
	{ O_ADAPTERS, "the cards, and their queues with them" },
	{ O_APQNS, "the queues" }, { O_ROOT, "the sandbox" }, { O_COUNT, NULL },
};

static const struct verb host_add_verb = {
	"add", "", 0, 0, false, "the host's AP configuration gains IDs",
	"The host's AP configuration of the sandbox gains adapters, domains or control\n"
	"domains, as when they are configured on for the LPAR: queue devices appear,\n"
	"are bound by the masks, and the IDs assigned to mdevs are plugged into their\n"
	"guests when all their queues are bound to vfio_ap.",
	host_add_opts, run_host_add, NULL, 0,
};
static const struct verb host_remove_verb = {
	"remove", "", 0, 0, false, "the host's AP configuration loses IDs",
	"The host's AP configuration of the sandbox loses adapters, domains or control\n"
	"domains: their queue devices go, and they leave every guest.",
	host_remove_opts, run_host_remove, NULL, 0,
};
static const struct verb configure_verb = {
	"configure", "", 0, 0, false, "cards are configured on (SCLP)",
	"Cards of the sandbox are configured on again, as with 'chzcrypt -e': they join\n"
	"the host's AP configuration, and the IDs assigned to mdevs are plugged into\n"
	"their guests again.",
	card_opts, run_configure, NULL, 0,
};
static const struct verb deconfigure_verb = {
	"deconfigure", "", 0, 0, false, "cards are configured off",
	"Cards of the sandbox are configured off (SCLP): they leave the host's AP\n"
	"configuration and every guest, but their devices stay, with config 0.",
	card_opts, run_deconfigure, NULL, 0,
};
static const struct verb checkstop_verb = {
	"checkstop", "", 0, 0, false, "cards are checkstopped",
	"Cards of the sandbox are checkstopped: they and their queues read chkstop 1 and\n"
	"online 0; the guests keep them.",
	card_opts, run_checkstop, NULL, 0,
};
static const struct verb uncheckstop_verb = {
	"uncheckstop", "", 0, 0, false, "cards are checkstopped no more",
	"Cards of the sandbox come back from a checkstop.",
	card_opts, run_uncheckstop, NULL, 0,
};
static const struct verb online_verb = {
	"online", "", 0, 0, false, "cards or queues are set online in zcrypt",
	"Cards (with their queues) or queues of the sandbox are set online in zcrypt, as\n"
	"a write of 1 to their online attribute does.",
	online_opts, run_online, NULL, 0,
};
static const struct verb offline_verb = {
	"offline", "", 0, 0, false, "cards or queues are set offline in zcrypt",
	"Cards (with their queues) or queues of the sandbox are set offline in zcrypt,\n"
	"as a write of 0 to their online attribute does.",
	online_opts, run_offline, NULL, 0,
};
static const struct verb *const host_verbs[] = {
	&host_add_verb, &host_remove_verb, &configure_verb, &deconfigure_verb, &checkstop_verb,
	&uncheckstop_verb, &online_verb, &offline_verb, NULL,
};
const struct verb sandbox_host_verb = {
	.name = "host",
	.summary = "the host's AP configuration and cards change",
	.text = "Rehearse a change of the host's AP configuration.",
	.subs = host_verbs,
};
