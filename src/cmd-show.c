/* SPDX-License-Identifier: MIT */
/* apctl show: the whole AP configuration of a root, for a person or as JSON. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apctl.h"
#include "cardtype.h"
#include "masksyntax.h"
#include "output.h"
#include "rules.h"
#include "state.h"

struct view {
	const struct ctx *ctx;
	struct ap_state *st;
	struct kview_store *ks;    /* what the kernel's rules look at */
	size_t *order;             /* mdev indices by UUID */
	int16_t (*owner)[IDSET_BITS]; /* index of the mdev that holds an APQN, or -1 */
	struct idset grid_apm, grid_aqm; /* the host configuration, or what exists */
};

static int view_init(struct view *v, const struct ctx *ctx, struct ap_state *st)
{
	struct idset upa = idset_upto(st->max_adapter), upd = idset_upto(st->max_domain);

	v->ctx = ctx;
	v->st = st;
	v->ks = state_kview(st);
	v->order = state_mdevs_by_uuid(st);
	v->owner = malloc(sizeof(int16_t[IDSET_BITS][IDSET_BITS]));
	if (!v->order || !v->owner || !v->ks)
		return -1;
	memset(v->owner, 0xff, sizeof(int16_t[IDSET_BITS][IDSET_BITS]));
	/* the mdev that holds an APQN, the first one as state_apqn_mdev() finds it */
	for (size_t i = st->nmdevs; i-- > 0;) {
		idset_foreach(a, &st->mdevs[i].matrix.apm)
			idset_foreach(d, &st->mdevs[i].matrix.aqm)
				v->owner[a][d] = (int16_t)i;
	}
	if (st->qci) {
		v->grid_apm = idset_and(&st->host.apm, &upa);
		v->grid_aqm = idset_and(&st->host.aqm, &upd);
	} else {
		v->grid_apm = apqnset_adapters(&st->queues);
		idset_clear(&v->grid_aqm);
		for (unsigned a = 0; a < IDSET_BITS; a++)
			v->grid_aqm = idset_or(&v->grid_aqm, &st->queues.dom[a]);
	}
	return 0;
}

static void view_free(struct view *v)
{
	state_kview_free(v->ks);
	free(v->order);
	free(v->owner);
}

/* Why APQN (a, d) of m's matrix is not in its guest_matrix: a code and a sentence. */
static const char *missing(const struct view *v, const struct ap_mdev *m, unsigned a, unsigned d,
			   char *text, size_t size)
{
	unsigned other = 0;
	char x[ID_STR_MAX], y[ID_STR_MAX], apqn[APQN_STR_MAX];
	const char *drv = state_queue_driver_name(v->st, a, d);

	switch (rules_explain_missing(&v->ks->k, &m->matrix, a, d, &other)) {
	case MISSING_ADAPTER_NOT_IN_HOST:
		snprintf(text, size, "adapter %s is not in the host's AP configuration; it joins "
			 "the guest when it appears", id_format(a, x));
		return "adapter_not_in_host";
	case MISSING_DOMAIN_NOT_IN_HOST:
		snprintf(text, size, "domain %s is not in the host's AP configuration; it joins "
			 "the guest when it appears", id_format(d, x));
		return "domain_not_in_host";
	case MISSING_NO_QUEUE:
		snprintf(text, size, "there is no queue device %s", apqn_format(a, d, apqn));
		return "no_queue";
	case MISSING_HOST_OWNED:
		snprintf(text, size, "the host's default drivers have the queue (apmask bit %s and "
			 "aqmask bit %s are set): 'apctl reserve --apqns %s' gives it to vfio_ap",
			 id_format(a, x), id_format(d, y), apqn_format(a, d, apqn));
		return "host_owned";
	case MISSING_NOT_BOUND:
		snprintf(text, size, "the queue is %s%s, not to vfio_ap", drv ? "bound to " : "unbound",
			 drv ? drv : "");
		return "not_bound";
	case MISSING_ADAPTER_FILTERED:
		snprintf(text, size, "adapter %s is left out of the guest as a whole, because queue "
			 "%s is not bound to vfio_ap", id_format(a, x), apqn_format(a, other, apqn));
		return "adapter_filtered";
	default:
		snprintf(text, size, "left out since an earlier unassign; the next assignment to "
			 "this mdev (or an ap_config write, a queue bound to vfio_ap, a change of the "
			 "host configuration) brings it back");
		return "history";
	}
}

static bool host_owned(const struct ap_state *st, unsigned a, unsigned d)
{
	return rules_default_owned(&st->apmask, &st->aqmask, a, d);
}

static const struct ap_mdev *apqn_mdev(const struct view *v, unsigned a, unsigned d)
{
	int i = v->owner[a][d];

	return i >= 0 ? &v->st->mdevs[i] : NULL;
}

static enum vfio_status queue_status(const struct view *v, unsigned a, unsigned d)
{
	return state_mdev_vfio_status(v->st, apqn_mdev(v, a, d), a, d);
}

/* The letter that stands for the n-th mdev (in UUID order) in the grid. */
static char mdev_letter(size_t n)
{
	if (n < 26)
		return (char)('A' + n);
	if (n < 52)
		return (char)('a' + n - 26);
	return '#';
}

static size_t mdev_rank(const struct view *v, const struct ap_mdev *m)
{
	for (size_t k = 0; k < v->st->nmdevs; k++)
		if (&v->st->mdevs[v->order[k]] == m)
			return k;
	return 0;
}

static void host_pools(const struct ap_state *st, const struct view *v, struct apqnset *host,
		       struct apqnset *vfio)
{
	struct idset ha = idset_and(&v->grid_apm, &st->apmask);
	struct idset hd = idset_and(&v->grid_aqm, &st->aqmask);

	apqnset_clear(host);
	apqnset_clear(vfio);
	apqnset_add_product(host, &ha, &hd);
	apqnset_add_product(vfio, &v->grid_apm, &v->grid_aqm);
	apqnset_minus(vfio, vfio, host);
}

/* ---- JSON ---- */

static struct json_object *json_mdev(const struct view *v, const struct ap_mdev *m)
{
	struct json_object *o = json_object_new_object(), *miss = NULL;

	json_object_object_add(o, "uuid", json_object_new_string(m->uuid));
	json_object_object_add(o, "adapters", json_idset(&m->matrix.apm));
	json_object_object_add(o, "domains", json_idset(&m->matrix.aqm));
	json_object_object_add(o, "control_domains", json_idset(&m->matrix.adm));
	json_object_object_add(o, "matrix", json_apqns(&m->matrix.apm, &m->matrix.aqm));
	json_object_object_add(o, "guest_matrix",
			       m->has_guest ? json_apqns(&m->guest.apm, &m->guest.aqm) : NULL);
	json_object_object_add(o, "in_use",
			       m->in_use < 0 ? NULL : json_object_new_boolean(m->in_use == 1));
	if (m->has_guest) {
		miss = json_object_new_array();
		idset_foreach(a, &m->matrix.apm) {
			idset_foreach(d, &m->matrix.aqm) {
				struct json_object *e;
				char text[512], apqn[APQN_STR_MAX];
				const char *code;

				if (idset_has(&m->guest.apm, (unsigned)a) &&
				    idset_has(&m->guest.aqm, (unsigned)d))
					continue;
				code = missing(v, m, (unsigned)a, (unsigned)d, text, sizeof(text));
				e = json_object_new_object();
				json_object_object_add(e, "apqn", json_object_new_string(apqn_format(
									  (unsigned)a, (unsigned)d, apqn)));
				json_object_object_add(e, "reason", json_object_new_string(code));
				json_object_object_add(e, "detail", json_object_new_string(text));
				json_object_array_add(miss, e);
			}
		}
	}
	json_object_object_add(o, "missing", miss);
	return o;
}

static struct json_object *json_bus(const struct ap_state *st)
{
	struct json_object *bus = json_object_new_object(), *host = NULL, *features = NULL;
	char hex[IDSET_HEX_LEN];

	json_object_object_add(bus, "max_adapter_id", json_object_new_int((int)st->max_adapter));
	json_object_object_add(bus, "max_domain_id", json_object_new_int((int)st->max_domain));
	idset_to_hex(&st->apmask, hex);
	json_object_object_add(bus, "apmask", json_object_new_string(hex));
	idset_to_hex(&st->aqmask, hex);
	json_object_object_add(bus, "aqmask", json_object_new_string(hex));
	if (st->has_features && strcmp(st->features, "-")) {
		char copy[sizeof(st->features)];

		features = json_object_new_array();
		snprintf(copy, sizeof(copy), "%s", st->features);
		for (char *w = strtok(copy, " "); w; w = strtok(NULL, " "))
			json_object_array_add(features, json_object_new_string(w));
	}
	json_object_object_add(bus, "features", features);
	json_object_object_add(bus, "default_domain",
			       st->ap_domain < 0 ? NULL : json_object_new_int(st->ap_domain));
	if (st->qci) {
		host = json_object_new_object();
		json_object_object_add(host, "adapters", json_idset(&st->host.apm));
		json_object_object_add(host, "usage_domains", json_idset(&st->host.aqm));
		json_object_object_add(host, "control_domains", json_idset(&st->host.adm));
	}
	json_object_object_add(bus, "host", host);
	return bus;
}

static struct json_object *json_adapter(const struct ap_state *st, unsigned a)
{
	const struct ap_card *c = &st->card[a];
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int((int)a));
	json_object_object_add(o, "type", c->type[0] ? json_object_new_string(c->type) : NULL);
	json_object_object_add(o, "mode", json_object_new_string(card_mode_name(
						  card_mode_from_functions(c->functions))));
	json_object_object_add(o, "hwtype", c->hwtype < 0 ? NULL : json_object_new_int(c->hwtype));
	json_object_object_add(o, "online",
			       c->online < 0 ? NULL : json_object_new_boolean(c->online == 1));
	return o;
}

static struct json_object *json_queue(const struct view *v, unsigned a, unsigned d)
{
	const struct ap_state *st = v->st;
	const char *drv = state_queue_driver_name(st, a, d);
	const struct ap_mdev *m = apqn_mdev(v, a, d);
	struct json_object *o = json_object_new_object();
	char apqn[APQN_STR_MAX];

	json_object_object_add(o, "apqn", json_object_new_string(apqn_format(a, d, apqn)));
	json_object_object_add(o, "adapter", json_object_new_int((int)a));
	json_object_object_add(o, "domain", json_object_new_int((int)d));
	json_object_object_add(o, "owner",
			       json_object_new_string(host_owned(st, a, d) ? "host" : "vfio_ap"));
	json_object_object_add(o, "driver", drv ? json_object_new_string(drv) : NULL);
	json_object_object_add(o, "status",
			       state_queue_driver(st, a, d) == QDRV_VFIO ?
				       json_object_new_string(vfio_status_name(queue_status(v, a, d))) :
				       NULL);
	json_object_object_add(o, "mdev", m ? json_object_new_string(m->uuid) : NULL);
	return o;
}

static void show_json(const struct view *v)
{
	const struct ap_state *st = v->st;
	char gen[KGEN_STR_MAX];
	struct jstream js;

	js_begin(&js, stdout);
	js_member(&js, "root", json_object_new_string(v->ctx->root));
	js_member(&js, "sandbox", json_object_new_boolean(st->sandbox));
	js_member(&js, "kernel", json_object_new_string(kgen_format(st->kernel, gen)));
	js_member(&js, "bus", json_bus(st));
	js_begin_array(&js, "adapters");
	idset_foreach(a, &st->cards)
		js_element(&js, json_adapter(st, (unsigned)a));
	js_end_array(&js);
	js_begin_array(&js, "queues");
	for (unsigned a = 0; a < IDSET_BITS; a++)
		idset_foreach(d, &st->queues.dom[a])
			js_element(&js, json_queue(v, a, (unsigned)d));
	js_end_array(&js);
	js_begin_array(&js, "mdevs");
	for (size_t k = 0; k < st->nmdevs; k++)
		js_element(&js, json_mdev(v, &st->mdevs[v->order[k]]));
	js_end_array(&js);
	js_end(&js);
}

/* ---- text ---- */

static void text_header(const struct view *v)
{
	const struct ap_state *st = v->st;
	char gen[KGEN_STR_MAX];

	kgen_format(st->kernel, gen);
	if (st->sandbox)
		printf("AP configuration of %s (sandbox emulating kernel %s)\n", v->ctx->root, gen);
	else
		printf("AP configuration of %s (live system, kernel generation %s by what sysfs "
		       "offers)\n", v->ctx->root, gen);
}

static void text_host(const struct ap_state *st)
{
	char buf[IDLIST_MAX], m[ID_STR_MAX];

	printf("\nHost AP configuration\n");
	if (!st->qci) {
		printf("  not available (the AP Query Configuration Information facility is "
		       "missing)\n");
	} else {
		printf("  adapters         %s\n", text_ids(&st->host.apm, "none", buf, sizeof(buf)));
		printf("  usage domains    %s\n", text_ids(&st->host.aqm, "none", buf, sizeof(buf)));
		printf("  control domains  %s\n", text_ids(&st->host.adm, "none", buf, sizeof(buf)));
	}
	printf("  maximum IDs      adapter %s, domain ", id_format(st->max_adapter, m));
	printf("%s\n", id_format(st->max_domain, m));
	if (st->ap_domain >= 0)
		printf("  default domain   %s\n", id_format((unsigned)st->ap_domain, m));
	else
		printf("  default domain   none\n");
	if (st->has_features)
		printf("  bus features     %s\n", st->features[0] ? st->features : "none");
}

static void text_masks(const struct ap_state *st, const struct view *v)
{
	char hex[IDSET_HEX_LEN], ids[IDLIST_MAX];
	struct apqnset *host = malloc(sizeof(*host)), *vfio = malloc(sizeof(*vfio));

	printf("\nMasks (a set bit keeps the APQNs of that ID for the host's default drivers)\n");
	idset_to_hex(&st->apmask, hex);
	printf("  apmask  %s\n          adapters %s\n", hex,
	       text_ids(&st->apmask, "none", ids, sizeof(ids)));
	idset_to_hex(&st->aqmask, hex);
	printf("  aqmask  %s\n          domains %s\n", hex,
	       text_ids(&st->aqmask, "none", ids, sizeof(ids)));
	if (!host || !vfio)
		goto out;
	host_pools(st, v, host, vfio);
	printf("\nAPQNs of the host configuration\n");
	printf("  host's default drivers  ");
	text_apqnset(stdout, host, "                            ");
	printf("  vfio_ap                 ");
	text_apqnset(stdout, vfio, "                            ");
out:
	free(host);
	free(vfio);
}

static void text_adapters(const struct ap_state *st)
{
	printf("\nAdapters\n");
	if (idset_empty(&st->cards)) {
		printf("  none\n");
		return;
	}
	printf("  CARD  TYPE   MODE         HWTYPE  ONLINE\n");
	idset_foreach(a, &st->cards) {
		const struct ap_card *c = &st->card[a];

		printf("  %02x    %-6s %-12s %-7d %s\n", a, c->type[0] ? c->type : "-",
		       card_mode_name(card_mode_from_functions(c->functions)), c->hwtype,
		       c->online < 0 ? "-" : c->online ? "yes" : "no");
	}
}

static void text_queues(const struct view *v)
{
	const struct ap_state *st = v->st;

	printf("\nQueues\n");
	if (apqnset_empty(&st->queues)) {
		printf("  none\n");
		return;
	}
	printf("  APQN     OWNER    DRIVER      STATUS      MDEV\n");
	for (unsigned a = 0; a < IDSET_BITS; a++) {
		idset_foreach(d, &st->queues.dom[a]) {
			const char *drv = state_queue_driver_name(st, a, (unsigned)d);
			const struct ap_mdev *m = apqn_mdev(v, a, (unsigned)d);
			bool vfio = state_queue_driver(st, a, (unsigned)d) == QDRV_VFIO;

			printf("  %02x.%04x  %-8s %-11s %-11s %s\n", a, d,
			       host_owned(st, a, (unsigned)d) ? "host" : "vfio_ap", drv ? drv : "-",
			       vfio ? vfio_status_name(queue_status(v, a, (unsigned)d)) : "-",
			       m ? m->uuid : "-");
		}
	}
}

/* One grid cell: who holds the APQN, and marks for in use and a wrong binding. */
static void grid_cell(const struct view *v, unsigned a, unsigned d, char cell[4])
{
	const struct ap_state *st = v->st;
	const struct ap_mdev *m = apqn_mdev(v, a, d);
	enum queue_driver drv = state_queue_driver(st, a, d);
	bool host = host_owned(st, a, d);
	size_t n = 0;

	if (!apqnset_has(&st->queues, a, d)) {
		cell[n++] = '-';
	} else if (host) {
		cell[n++] = 'H';
	} else {
		cell[n++] = m ? mdev_letter(mdev_rank(v, m)) : '.';
		if (drv == QDRV_VFIO && queue_status(v, a, d) == VFIO_STATUS_IN_USE)
			cell[n++] = '*';
	}
	if (apqnset_has(&st->queues, a, d) && drv != (host ? QDRV_DEFAULT : QDRV_VFIO))
		cell[n++] = '!';
	cell[n] = '\0';
}

#define GRID_COLUMNS 16

static void text_grid(const struct view *v)
{
	unsigned ndom = idset_count(&v->grid_aqm);
	int first = idset_first(&v->grid_aqm);

	printf("\nAPQN grid of the host configuration\n");
	if (idset_empty(&v->grid_apm) || !ndom) {
		printf("  empty\n");
		return;
	}
	printf("  H host's default drivers   . free for vfio_ap   A-Z assigned to that mdev\n"
	       "  * in use by a guest   ! not bound to its owner's driver   - no queue device\n");
	while (first >= 0) {
		int cols[GRID_COLUMNS], n = 0;

		for (int d = first; d >= 0 && n < GRID_COLUMNS;
		     d = idset_next(&v->grid_aqm, (unsigned)d + 1))
			cols[n++] = d;
		printf("\n  %-6s", "");
		for (int i = 0; i < n; i++)
			printf(" %04x", cols[i]);
		putchar('\n');
		idset_foreach(a, &v->grid_apm) {
			char row[16 + GRID_COLUMNS * 5];
			size_t len = (size_t)snprintf(row, sizeof(row), "  %02x    ", a);

			for (int i = 0; i < n; i++) {
				char cell[4];

				grid_cell(v, (unsigned)a, (unsigned)cols[i], cell);
				len += (size_t)snprintf(row + len, sizeof(row) - len, " %-4s", cell);
			}
			while (len && row[len - 1] == ' ')
				row[--len] = '\0';
			puts(row);
		}
		first = idset_next(&v->grid_aqm, (unsigned)cols[n - 1] + 1);
	}
}

static void text_mdev(const struct view *v, const struct ap_mdev *m, bool letter)
{
	char buf[IDLIST_MAX];
	unsigned nm = idset_count(&m->matrix.apm) * idset_count(&m->matrix.aqm);
	unsigned ng = idset_count(&m->guest.apm) * idset_count(&m->guest.aqm);

	if (letter)
		printf("  %c  %s", mdev_letter(mdev_rank(v, m)), m->uuid);
	else
		printf("  %s", m->uuid);
	printf("  %s\n", m->in_use < 0 ? "use by a guest unknown" :
			 m->in_use ? "in use by a guest" : "not in use");
	printf("     adapters         %s\n", text_ids(&m->matrix.apm, "none", buf, sizeof(buf)));
	printf("     domains          %s\n", text_ids(&m->matrix.aqm, "none", buf, sizeof(buf)));
	printf("     control domains  %s\n", text_ids(&m->matrix.adm, "none", buf, sizeof(buf)));
	if (!m->has_guest) {
		printf("     matrix           %u APQN%s (this kernel has no guest_matrix)\n", nm,
		       nm == 1 ? "" : "s");
		return;
	}
	if (idset_equal(&m->matrix.apm, &m->guest.apm) &&
	    idset_equal(&m->matrix.aqm, &m->guest.aqm)) {
		printf("     matrix           %u APQN%s, all in guest_matrix\n", nm,
		       nm == 1 ? "" : "s");
		return;
	}
	/* the guest's APQNs are always a part of the matrix: one line per matrix APQN */
	snprintf(buf, sizeof(buf), "matrix (%u APQN%s)", nm, nm == 1 ? "" : "s");
	printf("     %-22s guest_matrix (%u APQN%s)\n", buf, ng, ng == 1 ? "" : "s");
	idset_foreach(a, &m->matrix.apm) {
		idset_foreach(d, &m->matrix.aqm) {
			char apqn[APQN_STR_MAX];
			bool in = idset_has(&m->guest.apm, (unsigned)a) &&
				  idset_has(&m->guest.aqm, (unsigned)d);

			apqn_format((unsigned)a, (unsigned)d, apqn);
			if (in) {
				printf("     %-22s %s\n", apqn, apqn);
			} else {
				char why[512];

				missing(v, m, (unsigned)a, (unsigned)d, why, sizeof(why));
				printf("     %-22s %-12s %s\n", apqn, "-", why);
			}
		}
	}
}

static void text_mdevs(const struct view *v)
{
	const struct ap_state *st = v->st;

	if (!st->matrix_present) {
		printf("\nMediated devices: vfio_ap is not loaded (no %s)\n",
		       "sys/devices/vfio_ap/matrix");
		return;
	}
	if (!st->nmdevs) {
		printf("\nMediated devices: none\n");
		return;
	}
	printf("\nMediated devices\n");
	for (size_t k = 0; k < st->nmdevs; k++)
		text_mdev(v, &st->mdevs[v->order[k]], true);
}

static void show_text(const struct view *v)
{
	const struct ap_state *st = v->st;

	text_header(v);
	text_host(st);
	text_masks(st, v);
	text_adapters(st);
	text_queues(v);
	text_grid(v);
	text_mdevs(v);
}

static const char show_help[] =
	"Usage: apctl [--root DIR] show [--json] [UUID]\n"
	"\n"
	"Show the AP configuration: the host's adapters and domains, apmask and\n"
	"aqmask, which APQNs belong to the host's default drivers and which to\n"
	"vfio_ap, every queue's driver and status, and every vfio_ap mediated\n"
	"device with its matrix and guest_matrix. With UUID, only that mdev.\n"
	"\n"
	"Options:\n"
	"  -j, --json       print JSON\n"
	"  -r, --root DIR   work on the sysfs tree under DIR (default /)\n"
	"  -h, --help       print this help\n";

int cmd_show(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = { COMMON_LONGOPTS, { NULL, 0, NULL, 0 } };
	struct ap_state *st = NULL;
	const char *uuid = NULL;
	struct view v = { 0 };
	int opt, rc;

	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, opts, NULL)) != -1) {
		if (opt == 'h')
			return print_help(show_help);
		if (!common_option(ctx, opt, optarg))
			return option_error("show", opt, argv);
	}
	if (optind < argc)
		uuid = argv[optind++];
	if (optind < argc)
		return usage_error("show", "unexpected argument '%s'", argv[optind]);
	if (uuid && !uuid_valid(uuid))
		return usage_error("show", "'%s' is not a UUID", uuid);

	rc = load_state(ctx, 0, &st);
	if (rc)
		return rc;
	if (view_init(&v, ctx, st)) {
		errmsg("out of memory");
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (uuid) {
		int i = state_find_mdev(st, uuid);
		char lower[UUID_STR_MAX];

		if (i < 0) {
			uuid_lower(uuid, lower);
			errmsg("no mdev %s under %s", lower, ctx->root);
			rc = EXIT_NOTFOUND;
			goto out;
		}
		if (ctx->json)
			json_print(stdout, json_mdev(&v, &st->mdevs[i]));
		else
			text_mdev(&v, &st->mdevs[i], false);
	} else if (ctx->json) {
		show_json(&v);
	} else {
		show_text(&v);
	}
	rc = finish_output(EXIT_OK);
out:
	view_free(&v);
	state_free(st);
	return rc;
}

static const char ids_help[] =
	"Usage: apctl [--root DIR] ids adapters|domains|control-domains|mdevs\n"
	"\n"
	"Print the adapters, usage domains or control domains of the host's AP\n"
	"configuration, or the UUIDs of the mdevs, one per line, as apctl writes them:\n"
	"for scripts and shell completion.\n"
	"\n"
	"Options:\n"
	"  -r, --root DIR   work on the sysfs tree under DIR (default /)\n"
	"  -h, --help       print this help\n";

int cmd_ids(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = { COMMON_LONGOPTS, { NULL, 0, NULL, 0 } };
	static const char *const kinds[] = { "adapters", "domains", "control-domains", "mdevs" };
	struct ap_state *st = NULL;
	int opt, rc, kind = -1;

	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, opts, NULL)) != -1) {
		if (opt == 'h')
			return print_help(ids_help);
		if (!common_option(ctx, opt, optarg))
			return option_error("ids", opt, argv);
	}
	if (argc - optind != 1)
		return usage_error("ids", "say adapters, domains, control-domains or mdevs");
	for (int i = 0; i < 4; i++)
		if (!strcmp(argv[optind], kinds[i]))
			kind = i;
	if (kind < 0)
		return usage_error("ids", "'%s' is not adapters, domains, control-domains or mdevs",
				   argv[optind]);
	rc = load_state(ctx, 0, &st);
	if (rc)
		return rc;
	if (kind == 3) {
		for (size_t i = 0; i < st->nmdevs; i++)
			printf("%s\n", st->mdevs[i].uuid);
	} else {
		char id[ID_STR_MAX];

		/* adapters, domains, control-domains: the order of enum assign_kind */
		idset_foreach(x, matrix_ids(&st->host, (enum assign_kind)kind))
			printf("%s\n", id_format((unsigned)x, id));
	}
	state_free(st);
	return finish_output(EXIT_OK);
}
