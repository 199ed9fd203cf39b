/* SPDX-License-Identifier: MIT */
/*
 * apctl sandbox reboot: the sandbox's machine reboots. Its emulated kernel
 * forgets the running configuration; then the boot is played through it as
 * udev and mdevctl play it (boot.h), each write answered by the emulated
 * kernel, so that what `show --boot` predicted can be seen to come true.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "apctl.h"
#include "lock.h"
#include "output.h"
#include "report.h"
#include "sandbox.h"

/* The sandbox's machine as the boot sees it: its files, and its state when a callout reads it. */
struct machine {
	struct root *r;
	struct ap_state *st;
};

static int write_attr(void *ctx, const char *attr, const char *val)
{
	return sysfs_write(&((struct machine *)ctx)->r->s, attr, val, strlen(val));
}

static const struct ap_state *read_machine(void *ctx)
{
	struct machine *m = ctx;
	struct ap_state *st = NULL;
	struct diag d;

	if (!root_state(m->r, STATE_GUESTS, &st, &d)) {
		state_free(m->st);
		m->st = st;
	}
	return m->st;
}

/* udev's rule runs once the AP bus has bound its queues: a delayed bus is waited for. */
static void wait_bindings(void *ctx)
{
	struct sysfs *s = &((struct machine *)ctx)->r->s;
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	long rounds = (long)sandbox_rebind_delay(s) / 10 + 1000;

	while (rounds-- > 0 && sysfs_exists(s, SANDBOX_REBIND)) {
		sandbox_catch_up(s);
		nanosleep(&tick, NULL);
	}
}

static void print_boot(const struct ctx *ctx, const struct persist *p, const struct boot *b)
{
	struct json_object *arr = json_object_new_array();

	if (!ctx->json && b->blocked != BOOT_NO_DEF)
		printf("mdevctl started no definition: it cannot load %s (%s)\n",
		       p->defs[b->blocked].uuid, p->defs[b->blocked].bad);
	for (size_t i = 0; i < b->nstarts; i++) {
		const struct boot_start *s = &b->starts[i];
		char words[512];

		if (!ctx->json && s->started)
			printf("mdevctl started %s\n", p->defs[s->def].uuid);
		else if (!ctx->json)
			printf("mdevctl could not start %s: %s\n", p->defs[s->def].uuid,
			       boot_start_words(b, s, words, sizeof(words)));
		json_object_array_add(arr, json_boot_start(p, b, s));
	}
	if (ctx->json)
		json_print(stdout, arr);
	else
		json_object_put(arr);
}

static int reboot(const struct ctx *ctx, struct root *r)
{
	struct diag d = { "" };
	struct persist p;
	struct boot b = { 0 };
	struct machine m = { r, NULL };
	struct boot_host h = { write_attr, wait_bindings, read_machine, &m };
	pid_t holder = 0;
	int rc = aplock_take(&r->s, 90, &holder);

	if (rc) {
		errmsg("%s: the AP configuration lock stays held (process %ld)", ctx->path,
		       (long)holder);
		return EXIT_RUNTIME;
	}
	/* /run is empty after a reboot: journals, temporaries, udev's runtime rules */
	rc = sandbox_clear_run(&r->s);
	if (rc) {
		errmsg("%s: cannot clear %s/run: %s", ctx->path, r->s.root, strerror(-rc));
		aplock_release(&r->s);
		return EXIT_RUNTIME;
	}
	if (persist_read(&r->s, &p, &d)) {
		errmsg("%s: %s", ctx->path, d.msg);
		aplock_release(&r->s);
		return EXIT_RUNTIME;
	}
	rc = sandbox_boot(&r->s, &d);
	if (!rc && !args_has(ctx, O_BARE))
		rc = boot_play(&p, &h, &b);
	state_free(m.st);
	aplock_release(&r->s);
	if (rc)
		errmsg("%s: %s", ctx->path, d.msg[0] ? d.msg : strerror(-rc));
	else
		print_boot(ctx, &p, &b);
	boot_free(&b);
	persist_free(&p);
	return rc ? EXIT_RUNTIME : finish_output(EXIT_OK);
}

static int run_reboot(struct ctx *ctx)
{
	struct root r;
	int rc;

	if (ctx->npos) {
		ctx->root.path = ctx->pos[0];
		ctx->root.given = true;
	}
	rc = open_sandbox(ctx, &r);
	if (rc)
		return rc;
	rc = reboot(ctx, &r);
	root_close(&r);
	return rc;
}

static const struct verb_opt reboot_opts[] = {
	{ O_BARE, NULL }, { O_JSON, NULL }, { O_ROOT, "the sandbox" }, { O_COUNT, NULL },
};

const struct verb sandbox_reboot_verb = {
	"reboot", "[DIR]", 0, 1, false, "the sandbox's machine reboots",
	"The machine of the sandbox DIR (or --root) reboots: its kernel forgets the\n"
	"masks, every mdev and every guest, then udev writes the masks of 41-ap.rules\n"
	"once the AP bus has bound its queues, and mdevctl starts each autostart\n"
	"definition in its order: its callout (ap-check's rules), create, one write per\n"
	"attribute, remove after the first write that fails. Prints how each start\n"
	"ended. With --bare only the kernel forgets, and udev's and mdevctl's part is\n"
	"left to the real tools (apctl sandbox run DIR -- mdevctl start-parent-mdevs\n"
	"matrix).",
	reboot_opts, run_reboot, NULL, 0,
};
