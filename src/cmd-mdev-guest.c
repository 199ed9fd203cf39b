/* SPDX-License-Identifier: MIT */
/*
 * apctl mdev guest: what hands an mdev to a guest, for each mdev named: the
 * libvirt <hostdev> element, the libvirt node device, or the QEMU argument.
 * The IDs come from the running mdev, else from its mdevctl definition.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apctl.h"
#include "guest-domain.h"
#include "output.h"
#include "report.h"

enum { F_LIBVIRT, F_NODEDEV, F_QEMU, F_HMP, F_QMP, F_COUNT };
static const char *const formats[F_COUNT] = { "libvirt", "nodedev", "qemu", "hmp", "qmp" };

/* One mdev in every form, as JSON; NULL after the message when it is not there. */
static struct json_object *guest_json(const struct ctx *ctx, const struct ap_state *st,
				      const struct persist *p, const char *uuid, const char *id)
{
	int i = state_find_mdev(st, uuid);
	const struct mdev_def *def = p ? persist_find(p, uuid) : NULL;
	const struct ap_matrix *m = i >= 0 ? &st->mdevs[i].matrix : def ? &def->ids : NULL;
	char *text[F_QMP] = { NULL }, own[GUEST_ID_MAX];
	struct json_object *o;

	if (!m) {
		no_mdev(ctx, "no mdev (running or defined)", uuid, st, p);
		return NULL;
	}
	if (!id) {
		guest_device_id(uuid, own, sizeof(own));
		id = own;
	}
	text[F_LIBVIRT] = guest_hostdev(uuid);
	text[F_NODEDEV] = guest_nodedev(uuid, m);
	text[F_QEMU] = guest_qemu(uuid, id);
	text[F_HMP] = guest_hmp(uuid, id);
	o = json_object_new_object();
	json_object_object_add(o, "uuid", json_object_new_string(uuid));
	json_object_object_add(o, "id", json_object_new_string(id));
	for (int k = 0; k < F_QMP; k++) {
		json_object_object_add(o, formats[k], json_object_new_string(text[k] ? text[k] : ""));
		free(text[k]);
	}
	json_object_object_add(o, formats[F_QMP], guest_qmp(uuid, id));
	return o;
}

/* Each mdev in format k: XML documents and monitor lines as they end, QEMU's on one line. */
static void print_format(const struct json_object *all, int k)
{
	for (size_t n = 0; n < json_object_array_length(all); n++) {
		struct json_object *v = json_object_object_get(json_object_array_get_idx(all, n),
							       formats[k]);

		if (k == F_QMP)
			for (size_t c = 0; c < json_object_array_length(v); c++)
				printf("%s\n", json_object_to_json_string_ext(
					json_object_array_get_idx(v, c), JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
		else
			printf("%s%s", n && k == F_QEMU ? " " : "", json_object_get_string(v));
	}
	if (k == F_QEMU)
		putchar('\n');
}

static int guest_args(struct ctx *ctx, int *k, const char **id)
{
	const char *format = args_last(ctx, O_FORMAT);

	*k = 0;
	*id = args_last(ctx, O_DEVICE_ID);
	while (format && *k < F_COUNT && strcmp(format, formats[*k]))
		(*k)++;
	if (format && *k == F_COUNT)
		return usage_error(ctx, "'%s' is not a format: libvirt, nodedev, qemu, hmp or qmp",
				   format);
	if (*id && !guest_id_valid(*id))
		return usage_error(ctx, "'%s' is not a QEMU device id: a letter, then letters, "
				   "digits, '-', '.' or '_', at most %d", *id, GUEST_ID_MAX - 1);
	if (*id && ctx->npos > 1)
		return usage_error(ctx, "--id '%s' names one device, and %d mdevs are given", *id,
				   ctx->npos);
	for (int n = 0; n < ctx->npos; n++)
		if (!uuid_valid(ctx->pos[n]))
			return args_uuid(ctx, ctx->pos[n]);
	return EXIT_OK;
}

/* --domain FILE: whether that domain gives its guest each mdev's APQNs; exit 4 where not. */
static int run_domain(struct ctx *ctx)
{
	const char *path = args_last(ctx, O_DOMAIN);
	struct json_object *all = json_object_new_array();
	struct domain_info di;
	struct diag d = { "" };
	char *text = NULL, prefix[PATH_MAX + 32] = "apctl", root[PATH_MAX];
	int rc = args_read_file(ctx, path, &text), bad = 0;

	if (ctx->root.given) {
		shell_word(ctx->root.path, root, sizeof(root));
		snprintf(prefix, sizeof(prefix), "apctl --root %s", root);
	}
	for (int n = 0; !rc && n < ctx->npos; n++) {
		char uuid[UUID_STR_MAX];
		struct json_object *o;

		uuid_lower(ctx->pos[n], uuid);
		rc = domain_read(text, strlen(text), uuid, &di, &d);
		if (rc == -ELIBACC) {
			errmsg("%s: %s", ctx->path, d.msg);
			rc = EXIT_RUNTIME;
			break;
		} else if (rc) {
			errmsg("%s: '%s' is not a libvirt domain: %s", ctx->path, path, d.msg);
			rc = EXIT_USAGE;
			break;
		}
		o = guest_domain_json(&di, uuid, prefix);
		bad += json_object_array_length(json_object_object_get(o, "findings")) > 0;
		if (!ctx->json)
			guest_domain_text(stdout, o, &di);
		json_object_array_add(all, o);
	}
	if (!rc && ctx->json)
		json_print(stdout, json_object_get(all));
	json_object_put(all);
	free(text);
	return finish_output(rc ? rc : bad ? EXIT_REFUSED : EXIT_OK);
}

static int run_guest(struct ctx *ctx)
{
	struct json_object *all;
	struct ap_state *st = NULL;
	const char *id;
	struct persist p;
	struct diag d;
	struct root r;
	int rc, k;

	rc = guest_args(ctx, &k, &id);
	if (!rc && args_has(ctx, O_DOMAIN))
		return args_has(ctx, O_FORMAT) || id ?
			       usage_error(ctx, "--domain checks a domain; --format and --id are "
					   "for what hands the mdev to one") :
			       run_domain(ctx);
	if (!rc)
		rc = load_state(ctx, &r, 0, &st);
	if (rc)
		return rc;
	if (persist_read(&r.s, &p, &d)) {
		errmsg("warning: the mdevctl definitions are left out: %s", d.msg);
		memset(&p, 0, sizeof(p));
	}
	all = json_object_new_array();
	for (int n = 0; !rc && n < ctx->npos; n++) {
		char uuid[UUID_STR_MAX];
		struct json_object *o;

		uuid_lower(ctx->pos[n], uuid);
		o = guest_json(ctx, st, &p, uuid, id);
		if (!o)
			rc = EXIT_NOTFOUND;
		else
			json_object_array_add(all, o);
	}
	if (!rc && ctx->json)
		json_print(stdout, json_object_get(all));
	else if (!rc)
		print_format(all, k);
	json_object_put(all);
	persist_free(&p);
	state_free(st);
	root_close(&r);
	return finish_output(rc);
}

static const struct verb_opt guest_opts[] = {
	{ O_FORMAT, NULL }, { O_DEVICE_ID, NULL }, { O_DOMAIN, NULL }, ROOT_VERB_OPTS,
	{ O_COUNT, NULL },
};

const struct verb mdev_guest_verb = {
	"guest", "UUID...", 1, -1, false, "what hands mdevs to a guest (libvirt, QEMU)",
	"Print, for each mdev (running, or defined by mdevctl), what gives it to a\n"
	"guest: the libvirt domain's <hostdev> element (--format libvirt, the\n"
	"default), the libvirt node device that defines the mdev for 'virsh\n"
	"nodedev-define' (--format nodedev), the QEMU -device argument (--format\n"
	"qemu), or the QEMU monitor's commands that plug it into a running guest and\n"
	"unplug it: device_add and device_del lines for the human monitor (--format\n"
	"hmp), or QMP's commands, a JSON line each (--format qmp). The QEMU device's\n"
	"id is ap-UUID, or --id. --json gives every form for each mdev. With --domain\n"
	"FILE (a libvirt domain's XML, as virsh dumpxml writes it), whether that\n"
	"domain gives its guest each mdev's APQNs: its hostdev, and a CPU model with\n"
	"the AP features (ap, apqci, apft, apqi), each finding with its fix; exit 4\n"
	"where it does not.",
	guest_opts, run_guest, NULL, 0,
};
