/* SPDX-License-Identifier: MIT */
#include "change.h"

#include <errno.h>
#include <string.h>

#include "lock.h"
#include "masksyntax.h"
#include "paths.h"
#include "wait.h"

#define WAIT_DEFAULT 30

void change_opts_init(struct change_opts *o)
{
	*o = (struct change_opts){ .wait = true, .wait_s = WAIT_DEFAULT,
				   .lock_timeout_s = LOCK_DEFAULT_TIMEOUT };
}

/* A number of seconds for option name: 0, or -1 after the usage error */
static int seconds(const char *cmd, const char *name, const char *arg, unsigned *out)
{
	struct diag d;

	if (id_parse(arg, 86400, "number of seconds", out, &d)) {
		usage_error(cmd, "%s %s", name, d.msg);
		return -1;
	}
	return 0;
}

int change_option(struct change_opts *o, const char *cmd, int opt, const char *arg)
{
	switch (opt) {
	case OPT_DRY_RUN:
		o->dry_run = true;
		return 1;
	case OPT_FORCE:
		o->force = true;
		return 1;
	case OPT_NO_WAIT:
		o->wait = false;
		return 1;
	case OPT_WAIT:
		o->wait = true;
		return seconds(cmd, "--wait", arg, &o->wait_s) ? -1 : 1;
	case OPT_LOCK_TIMEOUT:
		return seconds(cmd, "--lock-timeout", arg, &o->lock_timeout_s) ? -1 : 1;
	default:
		return 0;
	}
}

int change_begin(struct change *ch, const struct ctx *ctx, const struct change_opts *o,
		 const char *cmd, unsigned state_flags)
{
	struct diag d = { "" };
	char path[256];
	pid_t holder;
	int rc;

	memset(ch, 0, sizeof(*ch));
	ch->ctx = ctx;
	rc = open_root(ctx, &ch->sysfs);
	if (rc)
		return rc;
	ch->s = &ch->sysfs;
	if (!o->dry_run) {
		rc = aplock_take(ch->s, o->lock_timeout_s, &holder);
		if (rc == -EBUSY) {
			errmsg("%s: the AP configuration lock %s is held by process %d, still after "
			       "%u s; another tool (chzdev, mdevctl, apctl) is changing the AP "
			       "configuration: try again, or wait longer with --lock-timeout",
			       cmd, sysfs_path(ch->s, AP_LOCK_FILE, path, sizeof(path)), (int)holder,
			       o->lock_timeout_s);
			change_end(ch);
			return EXIT_RUNTIME;
		}
		if (rc) {
			errmsg("%s: cannot take the AP configuration lock %s: %s", cmd,
			       sysfs_path(ch->s, AP_LOCK_FILE, path, sizeof(path)), strerror(-rc));
			change_end(ch);
			return EXIT_RUNTIME;
		}
		ch->locked = true;
	}
	rc = state_read(ch->s, state_flags, &ch->st, &d);
	if (rc) {
		errmsg("%s", d.msg);
		change_end(ch);
		return rc == -ENOENT ? EXIT_NOTFOUND : EXIT_RUNTIME;
	}
	return EXIT_OK;
}

void change_end(struct change *ch)
{
	state_free(ch->st);
	ch->st = NULL;
	if (ch->s) {
		if (ch->locked)
			aplock_release(ch->s);
		sysfs_close(ch->s);
	}
	ch->s = NULL;
	ch->locked = false;
}

bool change_live(const struct change *ch)
{
	return !ch->ctx->root_given && !ch->s->sandbox;
}

int change_verify_masks(struct change *ch, const struct idset *apmask, const struct idset *aqmask)
{
	static const char *const names[] = { AP_BUS "/apmask", AP_BUS "/aqmask" };
	const struct idset *want[] = { apmask, aqmask };

	for (int i = 0; i < 2; i++) {
		char buf[128];
		struct idset got;

		if (sysfs_read(ch->s, names[i], buf, sizeof(buf)) < 0 ||
		    kernel_hex2bitmap(buf, &got) || !idset_equal(&got, want[i])) {
			char hex[IDSET_HEX_LEN];

			idset_to_hex(want[i], hex);
			errmsg("warning: %s reads '%.*s' after the write, not %s: did another tool "
			       "change it meanwhile?", names[i] + 11, (int)strcspn(buf, "\n"), buf,
			       hex);
		}
	}
	return EXIT_OK;
}
