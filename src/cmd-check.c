/* SPDX-License-Identifier: MIT */
/*
 * apctl check: the host's findings for a person, a monitoring system (the
 * plugins' exit status and status line), JSON or Prometheus. apctl recover:
 * what a killed change left, taken care of.
 */
#include <stdio.h>
#include <stdlib.h>

#include "apctl.h"
#include "check.h"
#include "lock.h"
#include "output.h"

/* A check that could not look: the status line of UNKNOWN, and exit 3. */
static int unknown(const struct ctx *ctx, const char *why)
{
	if (ctx->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "status", json_object_new_string("unknown"));
		json_object_object_add(o, "exit_status", json_object_new_int(SEV_UNKNOWN));
		json_object_object_add(o, "summary", json_object_new_string(why));
		json_object_object_add(o, "counts", NULL);
		json_object_object_add(o, "findings", json_object_new_array());
		json_print(stdout, o);
	} else if (args_has(ctx, O_PROMETHEUS)) {
		printf("# HELP apctl_check_status The worst finding of apctl check: 0 OK, 1 WARNING, "
		       "2 CRITICAL, 3 UNKNOWN.\n# TYPE apctl_check_status gauge\n"
		       "apctl_check_status 3\n");
	} else {
		printf("APCTL UNKNOWN - %s\n", why);
	}
	fflush(stdout);
	return SEV_UNKNOWN;
}

static int run_check(struct ctx *ctx)
{
	struct check_input in = { 0 };
	struct ap_state *st = NULL;
	struct journal *j = NULL;
	struct diag d = { "" };
	struct check c;
	struct view v;
	struct root r;
	int rc;

	if (ctx->json && args_has(ctx, O_PROMETHEUS))
		return usage_error(ctx, "--json and --prometheus: one format at a time");
	if (load_state(ctx, &r, STATE_GUESTS | STATE_OVERRIDES, &st))
		return unknown(ctx, errmsg_first() ? errmsg_first() :
				   "the AP configuration cannot be read");
	if (view_init(&v, st, ctx->root.path, r.prefix)) {
		state_free(st);
		root_close(&r);
		return unknown(ctx, "out of memory");
	}
	if (view_load_persist(&v, &r.s, &d))
		in.persist_error = d.msg;
	view_read_journal(&v, &r.s, &j);
	in.lock = (int)aplock_inspect(&r.s, &in.lock_pid);
	if (check_collect(&v, &in, &c)) {
		rc = unknown(ctx, "out of memory");
	} else {
		if (ctx->json)
			check_print_json(stdout, &v, &c);
		else if (args_has(ctx, O_PROMETHEUS))
			check_print_prometheus(stdout, &v, &c);
		else
			check_print_text(stdout, &v, &c);
		rc = finish_output(EXIT_OK) ? SEV_UNKNOWN : (int)check_status(&c);
	}
	check_free(&c);
	journal_free(j);
	view_free(&v);
	state_free(st);
	root_close(&r);
	return rc;
}

static const struct verb_opt check_opts[] = {
	{ O_PROMETHEUS, NULL }, ROOT_VERB_OPTS, { O_COUNT, NULL },
};

const struct verb check_verb = {
	.name = "check",
	.summary = "what is wrong with the AP configuration, for monitoring",
	.text = "Check the host's AP configuration, running and persistent, and say every\n"
		"finding with its severity, its object, the reason and the command that\n"
		"removes its cause: cards configured off, checkstopped or offline, guests\n"
		"that lack APQNs of their matrix, masks and mdevs that the next boot brings\n"
		"otherwise, autostart definitions it would not start, files apctl cannot\n"
		"read, vfio_ap not loaded, the default domain given away, a change that was\n"
		"interrupted, a stale lock. The first line is a monitoring plugin's status\n"
		"line, and the exit status is the plugins' (0 OK, 1 WARNING, 2 CRITICAL, 3\n"
		"UNKNOWN), so that Nagios, Icinga or Checkmk run it as it stands.",
	.opts = check_opts,
	.run = run_check,
	.usage_exit = SEV_UNKNOWN,
};

static int run_recover(struct ctx *ctx)
{
	struct change_opts o;
	struct root r;
	int rc = args_change(ctx, &o);

	if (rc)
		return rc;
	rc = open_root(ctx, &r);
	if (rc)
		return rc;
	rc = engine_recover(&r, ctx->path, &o, ctx->json ? stderr : stdout);
	if (!rc && ctx->json) {
		struct json_object *obj = json_object_new_object();

		json_object_object_add(obj, "recovered", json_object_new_boolean(true));
		json_print(stdout, obj);
	}
	root_close(&r);
	return finish_output(rc);
}

static const struct verb_opt recover_opts[] = {
	{ O_LOCK_TIMEOUT, NULL }, ROOT_VERB_OPTS, { O_COUNT, NULL },
};

const struct verb recover_verb = {
	.name = "recover",
	.summary = "undo or finish a change that a killed apctl left",
	.text = "Take care of what a change killed midway left, as every change does\n"
		"before it starts: its journal's writes undone (or finished, where the\n"
		"kernel refuses an undo), the AP configuration lock of a process that is\n"
		"gone taken over and released, temporary files removed.",
	.opts = recover_opts,
	.run = run_recover,
};
