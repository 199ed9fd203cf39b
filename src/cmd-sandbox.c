/* SPDX-License-Identifier: MIT */
/* apctl sandbox write, fault, attach, detach, host: drive a sandbox's emulated kernel. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apctl.h"
#include "errnames.h"
#include "masksyntax.h"
#include "output.h"
#include "sandbox.h"

int open_sandbox(const struct ctx *ctx, struct root *r)
{
	int rc = open_root(ctx, r);

	if (rc)
		return rc;
	if (!r->sandbox) {
		root_close(r);
		errmsg("%s: '%s' is not a sandbox (it has no %s file); give one with --root",
		       ctx->path, ctx->root.path, SANDBOX_MARKER);
		return EXIT_NOTFOUND;
	}
	return EXIT_OK;
}

static int run_write(struct ctx *ctx)
{
	const char *attr = ctx->pos[0], *value = ctx->pos[1];
	size_t len = strlen(value);
	struct root r;
	char *buf;
	int rc;

	while (*attr == '/')
		attr++;
	if (!*attr)
		return usage_error(ctx, "'%s' is not an attribute path", ctx->pos[0]);
	rc = open_sandbox(ctx, &r);
	if (rc)
		return rc;
	buf = malloc(len + 2);
	if (buf) {
		memcpy(buf, value, len);
		if (!args_has(ctx, O_NO_NEWLINE))
			buf[len++] = '\n';
		rc = sysfs_write(&r.s, attr, buf, len);
		free(buf);
	} else {
		rc = -ENOMEM;
	}
	root_close(&r);
	if (rc) {
		errmsg("%s: %s (%s)", attr, errno_name(-rc), strerror(-rc));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* The faults waiting, one per line or as JSON. */
static int list_faults(const struct ctx *ctx, struct root *r)
{
	int err = 0;
	char *text = sysfs_read_alloc(&r->s, SANDBOX_FAULTS, &err), *save = NULL;
	struct json_object *arr = ctx->json ? json_object_new_array() : NULL;

	for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct sandbox_fault f;
		struct json_object *o;

		if (sandbox_fault_parse(line, &f))
			continue;
		if (!arr) {
			printf("%s %s %d\n", f.pattern, errno_name(f.err), f.countdown);
			continue;
		}
		o = json_object_new_object();
		json_object_object_add(o, "attribute", json_object_new_string(f.pattern));
		json_object_object_add(o, "errno", json_object_new_string(errno_name(f.err)));
		json_object_object_add(o, "write", json_object_new_int(f.countdown));
		json_object_array_add(arr, o);
	}
	free(text);
	if (arr)
		json_print(stdout, arr);
	return finish_output(EXIT_OK);
}

static int run_fault(struct ctx *ctx)
{
	struct sandbox_fault f = { .countdown = 1 };
	bool clear = args_has(ctx, O_CLEAR);
	unsigned n = 1;
	struct diag d;
	struct root r;
	int rc;

	if ((clear && ctx->npos) || ctx->npos == 1)
		return usage_error(ctx, "give ATTRIBUTE ERRNO [N], or --clear, or nothing");
	if (ctx->npos >= 2) {
		if (!ctx->pos[0][0] || strpbrk(ctx->pos[0], " \t\n"))
			return usage_error(ctx, "'%s' is not an attribute path", ctx->pos[0]);
		f.err = errno_parse(ctx->pos[1]);
		if (f.err <= 0)
			return usage_error(ctx, "'%s' is not an errno (EIO, EBUSY, 5, ...)",
					   ctx->pos[1]);
		if (ctx->npos == 3 && (id_parse(ctx->pos[2], 1000000, "write count", &n, &d) || !n))
			return usage_error(ctx, "'%s' is not a write count (1 for the next write)",
					   ctx->pos[2]);
		f.countdown = (int)n;
		snprintf(f.pattern, sizeof(f.pattern), "%s",
			 ctx->pos[0][0] == '/' ? ctx->pos[0] + 1 : ctx->pos[0]);
	}
	rc = open_sandbox(ctx, &r);
	if (rc)
		return rc;
	rc = clear ? sysfs_remove(&r.s, SANDBOX_FAULTS) : ctx->npos ? sandbox_fault_add(&r.s, &f) : 0;
	if (rc && rc != -ENOENT) {
		errmsg("cannot change %s/%s: %s", ctx->root.path, SANDBOX_FAULTS, strerror(-rc));
		rc = EXIT_RUNTIME;
	} else {
		/* what is waiting now: always as JSON, in text only when asked */
		rc = ctx->json || (!clear && !ctx->npos) ? list_faults(ctx, &r) : EXIT_OK;
	}
	root_close(&r);
	return rc;
}

static int attach(struct ctx *ctx, bool on)
{
	struct diag d = { "" };
	struct root r;
	int rc;

	const char *guest = args_last(ctx, O_GUEST);

	if (!uuid_valid(ctx->pos[0]))
		return args_uuid(ctx, ctx->pos[0]);
	if (guest && (!*guest || strlen(guest) > 63 || strpbrk(guest, " \t\n,")))
		return usage_error(ctx, "'%s' is not a guest name (1 to 63 characters, no blank "
				   "or comma)", guest);
	rc = open_sandbox(ctx, &r);
	if (rc)
		return rc;
	rc = sandbox_attach(&r.s, ctx->pos[0], on, guest, args_has(ctx, O_IOMMUFD), &d);
	root_close(&r);
	if (rc)
		errmsg("%s: %s", ctx->path, d.msg[0] ? d.msg : strerror(-rc));
	return !rc ? EXIT_OK : rc == -ENOENT ? EXIT_NOTFOUND : EXIT_RUNTIME;
}

static int run_attach(struct ctx *ctx)
{
	return attach(ctx, true);
}

static int run_detach(struct ctx *ctx)
{
	return attach(ctx, false);
}

static const struct verb_opt root_only[] = { { O_ROOT, "the sandbox" }, { O_COUNT, NULL } };
static const struct verb_opt write_opts[] = {
	{ O_NO_NEWLINE, NULL }, { O_ROOT, "the sandbox" }, { O_COUNT, NULL },
};
static const struct verb_opt fault_opts[] = {
	{ O_CLEAR, NULL }, { O_ROOT, "the sandbox" }, { O_JSON, "list the faults waiting as JSON" },
	{ O_COUNT, NULL },
};
static const struct verb write_verb = {
	"write", "ATTRIBUTE VALUE", 2, 2, true, "write to an attribute as a process would",
	"Write VALUE to ATTRIBUTE of the sandbox the way a process writing to sysfs\n"
	"would: one write() of VALUE and a newline (as echo adds one), through the\n"
	"emulated kernel and nothing of apctl's own. ATTRIBUTE is relative to the\n"
	"root, e.g. sys/bus/ap/apmask. Exits 0 when the kernel accepts, 1 with the\n"
	"errno's name when it refuses.",
	write_opts, run_write, NULL, 0,
};
static const struct verb fault_verb = {
	"fault", "[ATTRIBUTE ERRNO [N]]", 0, 3, true, "make the Nth write to an attribute fail",
	"Make the Nth write from now (default: the next) to ATTRIBUTE of the sandbox\n"
	"fail with ERRNO (a name such as EIO, or a number). ATTRIBUTE is the\n"
	"attribute's own path relative to the root, where * stands for any\n"
	"characters, / included: sys/devices/vfio_ap/matrix/*/assign_domain. Without\n"
	"arguments, list the faults waiting; --clear removes them.",
	fault_opts, run_fault, NULL, 0,
};
static const struct verb_opt attach_opts[] = {
	{ O_GUEST, NULL }, { O_IOMMUFD, NULL }, { O_ROOT, "the sandbox" }, { O_COUNT, NULL },
};
static const struct verb attach_verb = {
	"attach", "UUID", 1, 1, false, "a guest starts using an mdev",
	"A guest starts using the mdev UUID of the sandbox, as when QEMU opens it: its\n"
	"queues in guest_matrix turn 'in use', and the kernel's rules for an mdev in\n"
	"use apply. --guest names the guest, as show then reports it. The guest holds\n"
	"the mdev's VFIO group (/dev/vfio/N, see its iommu_group link) or, with\n"
	"--iommufd, the mdev's own device file (/dev/vfio/devices/vfioN, of its\n"
	"vfio-dev directory).",
	attach_opts, run_attach, NULL, 0,
};
static const struct verb detach_verb = {
	"detach", "UUID", 1, 1, false, "the guest stops using it",
	"The guest stops using the mdev UUID of the sandbox, as when QEMU closes it; a\n"
	"remove of the mdev that waited for the guest is then made.",
	root_only, run_detach, NULL, 0,
};
static const struct verb *const sandbox_verbs[] = {
	&sandbox_create_verb, &write_verb, &fault_verb, &attach_verb, &detach_verb, &sandbox_host_verb,
	&sandbox_reboot_verb, &sandbox_mount_verb, &sandbox_umount_verb, &sandbox_run_verb, NULL,
};

const struct verb sandbox_verb = {
	.name = "sandbox",
	.summary = "make a sandbox, and drive its emulated kernel",
	.text = "Sandboxes: directories with an emulated AP bus and vfio_ap, to rehearse on.",
	.subs = sandbox_verbs,
};
