/* SPDX-License-Identifier: MIT */
/*
 * apctl callout: mdevctl's callout for vfio_ap mdevs. Installed in mdevctl's
 * callout directories as a link to apctl named CALLOUT_LINK_NAME, it is what
 * mdevctl asks before it defines, modifies, starts, stops or undefines a
 * vfio_ap mdev: apctl's own check (the kernel's rules, the next boot) says
 * yes or refuses with the APQN, the holder and the fix. Where s390-tools'
 * ap-check is installed it is asked first, as mdevctl runs only one callout.
 * The lock is held on behalf of mdevctl from the "pre" call to the "post" call.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apctl.h"
#include "callout.h"
#include "lock.h"
#include "output.h"
#include "paths.h"
#include "report.h"

struct call {
	const char *type, *event, *action, *state, *uuid, *parent;
	char lower[UUID_STR_MAX];
	char *in;                 /* stdin: the definition's JSON */
	size_t len;
	struct mdev_def def;
};

static bool is(const char *a, const char *b)
{
	return a && !strcmp(a, b);
}

/*
 * What mdevctl passes, checked: EXIT_OK, or a usage error (exit 1 through
 * the callout's link, where 2 would tell mdevctl "not my type").
 */
static int read_call(const struct ctx *ctx, struct call *c)
{
	static const enum opt_id ids[] = { O_MDEV_TYPE, O_EVENT, O_ACTION, O_STATE, O_UUID,
					   O_PARENT };
	const char **v[] = { &c->type, &c->event, &c->action, &c->state, &c->uuid, &c->parent };

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		*v[i] = args_last(ctx, ids[i]);
		if (!*v[i])
			return usage_error(ctx, "callout needs -%c: mdevctl passes -t TYPE -e EVENT "
					   "-a ACTION -s STATE -u UUID -p PARENT",
					   cli_optdefs[ids[i]].shortopt);
	}
	if (!uuid_valid(c->uuid))
		return args_uuid(ctx, c->uuid);
	uuid_lower(c->uuid, c->lower);
	return EXIT_OK;
}

/* stdin, and the definition in it where the action has one. */
static int read_input(struct call *c)
{
	c->in = callout_read_all(stdin, &c->len);
	if (!c->in) {
		errmsg("callout: cannot read the definition on stdin: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	if (is(c->event, "get"))
		return EXIT_OK;
	def_parse(&c->def, c->lower, c->in, c->len);
	return EXIT_OK;
}

/* ap-check, asked first with the same call; its refusal is said on our stderr. */
static int ask_ap_check(const struct call *c)
{
	const char *const argv[] = { "ap-check", "-t", c->type, "-e", c->event, "-a", c->action,
				     "-s", c->state, "-u", c->uuid, "-p", c->parent, NULL };
	int rc = callout_run_peer(AP_CHECK_PATH, argv, c->in, c->len);

	if (rc < 0)
		errmsg("callout: cannot run %s: %s", AP_CHECK_PATH, strerror(-rc));
	return rc < 0 ? EXIT_RUNTIME : rc;
}

/* The lock, held for mdevctl (our parent) until its "post" call. */
static int lock_for_mdevctl(const struct ctx *ctx, struct root *r, bool ap_check_took_it)
{
	pid_t holder = 0;
	int rc = ap_check_took_it ? aplock_hand_over(&r->s, getpid(), getppid()) :
				    aplock_take_for(&r->s, getppid(), LOCK_DEFAULT_TIMEOUT, &holder);

	if (rc == -EBUSY)
		errmsg("callout: process %d holds the AP configuration lock under %s for longer "
		       "than %d seconds", (int)holder, ctx->root.path, LOCK_DEFAULT_TIMEOUT);
	else if (rc < 0)
		errmsg("callout: cannot take the AP configuration lock under %s: %s",
		       ctx->root.path, strerror(-rc));
	if (rc < 0)
		return EXIT_RUNTIME;
	return EXIT_OK;
}

/* mdevctl has no --force to offer: a refusal's reasons and their fixes */
static const struct change_render pre_render = { .with_files = true, .reasons_only = true };

/* Whether the definition on stdin can be read; why not is said. */
static bool def_readable(const struct call *c)
{
	if (c->def.bad[0])
		errmsg("callout: the definition of %s: %s", c->lower, c->def.bad);
	return !c->def.bad[0];
}

/*
 * apctl's check of what mdevctl is about to do: a dry run of the same change
 * (its refusal names the APQN, the holder and the fix), and for a start
 * mdevctl's writes themselves, as the kernel answers them.
 */
static int check(const struct ctx *ctx, struct root *r, struct call *c)
{
	struct change_op op = { .kind = is(c->action, "start") ? OP_CREATE : OP_DEFINE };
	struct change_opts o = { .scope = op.kind == OP_CREATE ? SCOPE_RUNNING : SCOPE_PERSISTENT,
				 .dry_run = true, .lock_timeout_s = LOCK_DEFAULT_TIMEOUT };
	char command[32], why[400] = "";
	struct engine e;
	int rc;

	if (!def_readable(c))
		return EXIT_REFUSED;
	snprintf(command, sizeof(command), "mdevctl %s", c->action);
	rc = engine_begin(&e, r, command, &o, STATE_OVERRIDES);
	if (rc)
		return rc;
	if (op.kind == OP_CREATE && !e.st->matrix_present) {
		errmsg("callout: vfio_ap is not loaded (%s does not exist): modprobe vfio_ap",
		       MATRIX_DEV);
		engine_end(&e);
		return EXIT_REFUSED;
	}
	memcpy(op.uuid, c->lower, sizeof(op.uuid));
	op.ids = c->def.ids;
	op.def = &c->def;
	op.start = c->def.autostart ? 1 : -1;
	/* mdevctl's very writes, as the kernel answers them: what IDs cannot say */
	if (op.kind == OP_CREATE && callout_start_fails(e.st, &c->def, why, sizeof(why)) < 0) {
		engine_end(&e);
		return EXIT_RUNTIME;
	}
	if (engine_add(&e, &op)) {
		engine_end(&e);
		return EXIT_RUNTIME;
	}
	rc = change_conclude(ctx, &e, &pre_render);
	if (!rc && why[0]) {
		errmsg("mdevctl start of %s would fail: %s", c->lower, why);
		rc = EXIT_REFUSED;
	}
	return rc;
}

static int pre(const struct ctx *ctx, struct root *r, struct call *c)
{
	bool checks = is(c->action, "define") || is(c->action, "modify") || is(c->action, "start");
	bool peer = checks && !ctx->root.given && access(AP_CHECK_PATH, X_OK) == 0;
	int rc = peer ? ask_ap_check(c) : EXIT_OK;

	if (!rc)
		rc = lock_for_mdevctl(ctx, r, peer);
	if (!rc && checks) {
		rc = check(ctx, r, c);
		if (rc)
			aplock_release_for(&r->s, getppid());
	}
	return rc;
}

/* a live change prints nothing but its refusal or failure, on stderr */
static const struct change_render live_render = { .dry_run = NULL };

/* mdevctl modify --live: the running mdev takes the definition's IDs, as one change. */
static int live(const struct ctx *ctx, struct root *r, struct call *c)
{
	struct change_opts o = { .scope = SCOPE_RUNNING, .wait = true, .wait_s = WAIT_DEFAULT,
				 .lock_timeout_s = LOCK_DEFAULT_TIMEOUT };
	struct engine e;
	int rc;

	if (!def_readable(c))
		return EXIT_REFUSED;
	rc = engine_begin(&e, r, "mdevctl modify --live", &o, STATE_OVERRIDES);
	if (rc)
		return rc;
	if (state_find_mdev(e.st, c->lower) < 0) {
		errmsg("callout: mdev %s is not running under %s", c->lower, ctx->root.path);
		engine_end(&e);
		return EXIT_NOTFOUND;
	}
	if (engine_set_running(&e, c->lower, &c->def.ids)) {
		engine_end(&e);
		return EXIT_RUNTIME;
	}
	return change_conclude(ctx, &e, &live_render);
}

/* get attributes: the running mdev's IDs, for the definition mdevctl writes of it. */
static int attributes(const struct ctx *ctx, struct root *r, const struct call *c)
{
	struct ap_state *st = NULL;
	struct diag d = { "" };
	int rc = state_read(&r->s, 0, &r->hint, &st, &d), i;

	if (rc) {
		errmsg("callout: cannot read the AP state under %s: %s", ctx->root.path,
		       d.msg[0] ? d.msg : strerror(-rc));
		return EXIT_RUNTIME;
	}
	i = state_find_mdev(st, c->lower);
	/* a device that is going has nothing to say, as with ap-check */
	rc = i < 0 ? EXIT_OK : callout_attrs(stdout, &st->mdevs[i].matrix) ? EXIT_RUNTIME : EXIT_OK;
	state_free(st);
	return finish_output(rc);
}

static int dispatch(struct ctx *ctx, struct call *c)
{
	char err[256];
	struct root r;
	int rc;

	if (is(c->event, "get") && is(c->action, "capabilities"))
		return callout_capabilities(c->in, stdout, err, sizeof(err)) ?
			       (errmsg("callout: %s", err), EXIT_RUNTIME) : finish_output(EXIT_OK);
	if (!is(c->parent, "matrix")) {
		errmsg("callout: vfio_ap mdevs have the parent matrix, not '%s'", c->parent);
		return EXIT_RUNTIME;
	}
	rc = open_root(ctx, &r);
	if (rc)
		return rc;
	if (is(c->event, "pre"))
		rc = pre(ctx, &r, c);
	else if (is(c->event, "post"))
		aplock_release_for(&r.s, getppid());
	else if (is(c->event, "get") && is(c->action, "attributes"))
		rc = attributes(ctx, &r, c);
	else if (is(c->event, "live") && is(c->action, "modify"))
		rc = live(ctx, &r, c);
	root_close(&r);
	return rc;
}

static int run_callout(struct ctx *ctx)
{
	struct call c = { 0 };
	int rc = read_call(ctx, &c);

	if (rc)
		return rc;
	/* another type: mdevctl asks the next callout */
	if (strcmp(c.type, MDEV_TYPE_NAME))
		return CALLOUT_NOT_MINE;
	rc = read_input(&c);
	if (!rc)
		rc = dispatch(ctx, &c);
	def_free(&c.def);
	free(c.in);
	return rc;
}

static const struct verb_opt callout_opts[] = {
	{ O_MDEV_TYPE, NULL }, { O_EVENT, NULL }, { O_ACTION, NULL }, { O_STATE, NULL },
	{ O_UUID, NULL }, { O_PARENT, NULL }, { O_ROOT, NULL }, { O_COUNT, NULL },
};

const struct verb callout_verb = {
	"callout", "", 0, 0, false, "mdevctl's callout for vfio_ap mdevs",
	"What mdevctl runs before it defines, modifies, starts, stops or undefines a\n"
	"vfio_ap mdev, installed as " CALLOUT_LINK_NAME " in mdevctl's callout directories: a\n"
	"definition or a start that would fail now or at the next boot is refused\n"
	"with apctl's explanation on stderr. 'get attributes' prints the running\n"
	"mdev's IDs (what 'mdevctl define' of it records); 'live modify' makes the\n"
	"running mdev's IDs those of the definition, as one change. s390-tools'\n"
	"ap-check, where it is installed, is asked first. Exits 2 for another mdev\n"
	"type, as mdevctl expects; through its link, a bad call exits 1, not 2.",
	callout_opts, run_callout, NULL, 0,
};
