/* SPDX-License-Identifier: MIT */
/*
 * apctl mdev guest: what hands an mdev to a guest, for each mdev named: the
 * libvirt <hostdev> element, the libvirt node device, or the QEMU argument.
 * The IDs come from the running mdev, else from its mdevctl definition.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apctl.h"
#include "output.h"
#include "report.h"

static const char *const formats[] = { "libvirt", "nodedev", "qemu" };

/* One mdev in every form, as JSON; NULL after the message when it is not there. */
static struct json_object *guest_json(const struct ctx *ctx, const struct ap_state *st,
				      const struct persist *p, const char *uuid)
{
	int i = state_find_mdev(st, uuid);
	const struct mdev_def *def = p ? persist_find(p, uuid) : NULL;
	const struct ap_matrix *m = i >= 0 ? &st->mdevs[i].matrix : def ? &def->ids : NULL;
	char *text[3] = { NULL };
	struct json_object *o;

	if (!m) {
		no_mdev(ctx, "no mdev (running or defined)", uuid, st, p);
		return NULL;
	}
	text[0] = guest_hostdev(uuid);
	text[1] = guest_nodedev(uuid, m);
	text[2] = guest_qemu(uuid);
	o = json_object_new_object();
	json_object_object_add(o, "uuid", json_object_new_string(uuid));
	for (int k = 0; k < 3; k++) {
		json_object_object_add(o, formats[k], json_object_new_string(text[k] ? text[k] : ""));
		free(text[k]);
	}
	return o;
}

static int run_guest(struct ctx *ctx)
{
	const char *format = args_last(ctx, O_FORMAT);
	struct json_object *all = json_object_new_array();
	struct ap_state *st = NULL;
	struct persist p;
	struct diag d;
	struct root r;
	int rc, k = 0;

	while (format && k < 3 && strcmp(format, formats[k]))
		k++;
	if (format && k == 3) {
		json_object_put(all);
		return usage_error(ctx, "'%s' is not a format: libvirt, nodedev or qemu", format);
	}
	for (int n = 0; n < ctx->npos; n++)
		if (!uuid_valid(ctx->pos[n])) {
			json_object_put(all);
			return args_uuid(ctx, ctx->pos[n]);
		}
	rc = load_state(ctx, &r, 0, &st);
	if (rc) {
		json_object_put(all);
		return rc;
	}
	if (persist_read(&r.s, &p, &d)) {
		errmsg("warning: the mdevctl definitions are left out: %s", d.msg);
		memset(&p, 0, sizeof(p));
	}
	for (int n = 0; !rc && n < ctx->npos; n++) {
		char uuid[UUID_STR_MAX];
		struct json_object *o;

		uuid_lower(ctx->pos[n], uuid);
		o = guest_json(ctx, st, &p, uuid);
		if (!o)
			rc = EXIT_NOTFOUND;
		else
			json_object_array_add(all, o);
	}
	/* QEMU's arguments on one line, one after another; XML documents as they end */
	for (size_t n = 0; !rc && !ctx->json && n < json_object_array_length(all); n++)
		printf("%s%s", n && k == 2 ? " " : "",
		       json_object_get_string(json_object_object_get(
			       json_object_array_get_idx(all, n), formats[k])));
	if (!rc && !ctx->json && k == 2)
		putchar('\n');
	if (!rc && ctx->json)
		json_print(stdout, json_object_get(all));
	json_object_put(all);
	persist_free(&p);
	state_free(st);
	root_close(&r);
	return finish_output(rc);
}

static const struct verb_opt guest_opts[] = {
	{ O_FORMAT, NULL }, ROOT_VERB_OPTS, { O_COUNT, NULL },
};

const struct verb mdev_guest_verb = {
	"guest", "UUID...", 1, -1, false, "what hands mdevs to a guest (libvirt, QEMU)",
	"Print, for each mdev (running, or defined by mdevctl), what gives it to a\n"
	"guest: the libvirt domain's <hostdev> element (--format libvirt, the\n"
	"default), the libvirt node device that defines the mdev for 'virsh\n"
	"nodedev-define' (--format nodedev), or the QEMU -device argument (--format\n"
	"qemu). --json gives all three for each mdev.",
	guest_opts, run_guest, NULL, 0,
};
