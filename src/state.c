/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ascii.h"
#include "masksyntax.h"
#include "paths.h"
#include "state-read.h"
#include "state.h"

bool state_parse_queue_name(const char *n, unsigned *a, unsigned *d)
{
	int v[6];

	if (strlen(n) != 7 || n[2] != '.')
		return false;
	for (int i = 0, j = 0; i < 7; i++) {
		if (i == 2)
			continue;
		if ((v[j++] = ascii_hexval(n[i])) < 0)
			return false;
	}
	*a = (unsigned)(v[0] * 16 + v[1]);
	*d = (unsigned)(((v[2] * 16 + v[3]) * 16 + v[4]) * 16 + v[5]);
	return *d <= IDSET_MAX_ID;
}

static bool parse_card_name(const char *n, unsigned *a)
{
	int hi, lo;

	if (strncmp(n, "card", 4) || strlen(n) != 6 || (hi = ascii_hexval(n[4])) < 0 ||
	    (lo = ascii_hexval(n[5])) < 0)
		return false;
	*a = (unsigned)(hi * 16 + lo);
	return true;
}

/* A hex256 attribute; *known is false for "not supported". */
static int read_mask(struct sysfs *s, const char *rel, struct idset *m, bool *known)
{
	char buf[128];
	ssize_t n = sysfs_read(s, rel, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	if (known)
		*known = strncmp(buf, "not supported", 13) != 0;
	if (known && !*known) {
		idset_clear(m);
		return 0;
	}
	return kernel_hex2bitmap(buf, m);
}

void state_read_line(struct sysfs *s, const char *rel, char *buf, size_t size, bool *present)
{
	ssize_t n = sysfs_read(s, rel, buf, size);

	*present = n >= 0;
	if (n < 0)
		buf[0] = '\0';
	else if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
}

long state_read_number(struct sysfs *s, const char *rel, long fallback)
{
	long v;

	return sysfs_read_long(s, rel, &v) ? fallback : v;
}

static int add_device(const char *name, unsigned char type, void *ctx)
{
	struct ap_state *st = ctx;
	unsigned a, d;

	(void)type;
	if (state_parse_queue_name(name, &a, &d))
		apqnset_add(&st->queues, a, d);
	else if (parse_card_name(name, &a))
		idset_add(&st->cards, a);
	return 0;
}

struct bind_ctx {
	uint8_t (*qdrv)[IDSET_BITS];
	uint8_t index;
};

static int add_binding(const char *name, unsigned char type, void *ctx)
{
	struct bind_ctx *b = ctx;
	unsigned a, d;

	(void)type;
	if (state_parse_queue_name(name, &a, &d))
		b->qdrv[a][d] = b->index;
	return 0;
}

static enum queue_driver driver_kind(const char *name)
{
	size_t n = strlen(name);

	if (!strcmp(name, AP_DRV_VFIO))
		return QDRV_VFIO;
	/* the zcrypt queue drivers are the default drivers (AP_DRIVER_FLAG_DEFAULT) */
	if (!strncmp(name, "cex", 3) && n > 5 && !strcmp(name + n - 5, "queue"))
		return QDRV_DEFAULT;
	return QDRV_OTHER;
}

static int add_driver(const char *name, unsigned char type, void *ctx)
{
	struct ap_state *st = ctx;
	struct ap_driver_info *drv;

	(void)type;
	if (st->ndrivers >= STATE_MAX_DRIVERS || strlen(name) >= DRIVER_NAME_MAX)
		return 0;
	drv = &st->drivers[st->ndrivers++];
	snprintf(drv->name, sizeof(drv->name), "%s", name);
	drv->kind = driver_kind(name);
	if (drv->kind == QDRV_VFIO)
		st->vfio_loaded = true;
	if (!strcmp(name, AP_DRV_QUEUE))
		st->default_loaded = true;
	return 0;
}

int state_read_drivers(struct sysfs *s, struct ap_state *st)
{
	int rc;

	st->ndrivers = 0;
	st->vfio_loaded = st->default_loaded = false;
	rc = sysfs_list(s, AP_BUS_DRIVERS, add_driver, st);
	return rc == -ENOENT ? 0 : rc;
}

int state_list_bound(struct sysfs *s, const struct ap_state *st, uint8_t (*qdrv)[IDSET_BITS])
{
	int rc;

	memset(qdrv, 0, IDSET_BITS * sizeof(*qdrv));
	for (size_t i = 0; i < st->ndrivers; i++) {
		struct bind_ctx b = { qdrv, (uint8_t)(i + 1) };
		char rel[PATH_MAX];

		snprintf(rel, sizeof(rel), AP_BUS_DRIVERS "/%s", st->drivers[i].name);
		rc = sysfs_list(s, rel, add_binding, &b);
		if (rc && rc != -ENOENT)
			return rc;
	}
	return 0;
}

int state_read_bindings(struct sysfs *s, struct ap_state *st)
{
	int rc = state_read_drivers(s, st);

	if (rc) {
		memset(st->qdrv, 0, sizeof(st->qdrv));
		return rc;
	}
	return state_list_bound(s, st, st->qdrv);
}

/* One attribute of card a. */
static long card_long(struct sysfs *s, unsigned a, const char *attr, long fallback)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), AP_DEVICES "/card%02x/%s", a, attr);
	return state_read_number(s, rel, fallback);
}

/*
 * A card: type, what it can do, and whether it can be used (configured, not
 * checkstopped, online); with STATE_DETAILS all that a copy needs besides.
 */
void state_read_card(struct sysfs *s, unsigned a, unsigned flags, struct ap_card *c)
{
	char rel[PATH_MAX], buf[64];
	bool present;

	snprintf(rel, sizeof(rel), AP_DEVICES "/card%02x/type", a);
	state_read_line(s, rel, c->type, sizeof(c->type), &present);
	c->hwtype = (int)card_long(s, a, "hwtype", -1);
	c->online = (int)card_long(s, a, "online", -1);
	c->config = (int)card_long(s, a, "config", -1);
	c->chkstop = (int)card_long(s, a, "chkstop", -1);
	/* online reads 0 for a card that cannot be used: set offline only if it could */
	c->zoffline = c->online == 0 && c->config != 0 && c->chkstop != 1;
	snprintf(rel, sizeof(rel), AP_DEVICES "/card%02x/ap_functions", a);
	state_read_line(s, rel, buf, sizeof(buf), &present);
	c->functions = present ? (uint32_t)strtoul(buf, NULL, 16) : 0;
	c->raw_hwtype = c->hwtype;
	c->depth = -1;
	if (!(flags & STATE_DETAILS))
		return;
	c->raw_hwtype = (int)card_long(s, a, "raw_hwtype", c->hwtype);
	c->depth = (int)card_long(s, a, "depth", -1);
	snprintf(rel, sizeof(rel), AP_DEVICES "/card%02x/serialnr", a);
	state_read_line(s, rel, c->serialnr, sizeof(c->serialnr), &present);
}

int state_add_override(struct ap_state *st, unsigned a, unsigned d, const char *driver)
{
	struct ap_override *o = realloc(st->overrides, (st->noverrides + 1) * sizeof(*o));

	if (!o)
		return -ENOMEM;
	st->overrides = o;
	o += st->noverrides++;
	o->adapter = (uint8_t)a;
	o->domain = (uint8_t)d;
	snprintf(o->driver, sizeof(o->driver), "%.*s", (int)sizeof(o->driver) - 1, driver);
	return 0;
}

/* The oldest generation that has everything this sysfs offers (spec 6.2). */
static struct kgen kernel_evidence(struct sysfs *s, const struct ap_state *st, bool ap_config,
				   bool guest)
{
	struct kgen g = KGEN_OLDEST;
	const struct {
		bool present;
		enum kfeature f;
	} evidence[] = {
		{ sysfs_exists(s, AP_BUS "/scans"), KF_BUS_SCANS },
		{ st->has_features, KF_BUS_FEATURES },
		{ st->has_matrix_features, KF_MATRIX_FEATURES },
		{ sysfs_exists(s, AP_BUS "/bindings_complete_count"), KF_DRIVER_OVERRIDE },
		{ guest, KF_DYNAMIC },
		{ ap_config, KF_AP_CONFIG },
	};

	for (size_t i = 0; i < sizeof(evidence) / sizeof(evidence[0]); i++) {
		struct kgen since = kfeature_since(evidence[i].f);

		if (evidence[i].present && kgen_cmp(since, g) > 0)
			g = since;
	}
	return g;
}

/* The generation: what the opener knows, or the release, or what sysfs shows. */
static void decide_kernel(struct ap_state *st, const struct kernel_hint *hint)
{
	enum kernel_source src = hint ? hint->source : KERNEL_EVIDENCE;

	st->kernel = st->evidence;
	st->kernel_source = KERNEL_EVIDENCE;
	if (src == KERNEL_SANDBOX || src == KERNEL_GIVEN) {
		st->kernel = hint->gen;
		st->kernel_source = src;
	} else if (src == KERNEL_RELEASE) {
		/* distribution kernels carry backports: positive evidence wins */
		bool backport = kgen_cmp(st->evidence, hint->gen) > 0;

		st->kernel = backport ? st->evidence : hint->gen;
		st->kernel_source = backport ? KERNEL_BACKPORT : KERNEL_RELEASE;
	}
}

/* The bus attributes: masks, maxima, default domain, features. */
int state_read_bus(struct sysfs *s, struct ap_state *st, struct diag *d)
{
	char path[PATH_MAX];
	bool known, present;
	long v;
	/* all three say "not supported" without QCI */
	int rc = read_mask(s, AP_BUS "/ap_adapter_mask", &st->host.apm, &known);

	st->qci = known;
	if (!rc)
		rc = read_mask(s, AP_BUS "/ap_usage_domain_mask", &st->host.aqm, &known);
	if (!rc)
		rc = read_mask(s, AP_BUS "/ap_control_domain_mask", &st->host.adm, &known);
	if (!rc)
		rc = read_mask(s, AP_BUS "/apmask", &st->apmask, NULL);
	if (!rc)
		rc = read_mask(s, AP_BUS "/aqmask", &st->aqmask, NULL);
	if (rc) {
		diag_set(d, "cannot read the AP bus masks under %s: %s",
			 sysfs_path(s, AP_BUS, path, sizeof(path)), strerror(-rc));
		return rc;
	}
	v = state_read_number(s, AP_BUS "/ap_max_adapter_id", AP_DEFAULT_MAX_ADAPTER);
	st->max_adapter = v >= 0 && v <= IDSET_MAX_ID ? (unsigned)v : AP_DEFAULT_MAX_ADAPTER;
	v = state_read_number(s, AP_BUS "/ap_max_domain_id", AP_DEFAULT_MAX_DOMAIN);
	st->max_domain = v >= 0 && v <= IDSET_MAX_ID ? (unsigned)v : AP_DEFAULT_MAX_DOMAIN;
	st->ap_domain = (int)state_read_number(s, AP_BUS "/ap_domain", -1);
	state_read_line(s, AP_BUS "/features", st->features, sizeof(st->features), &present);
	st->has_features = present;
	state_read_line(s, MATRIX_DEV "/features", st->matrix_features, sizeof(st->matrix_features),
		  &present);
	st->has_matrix_features = present;
	return 0;
}

int state_read_devices(struct sysfs *s, struct ap_state *st)
{
	int rc = sysfs_list(s, AP_BUS_DEVICES, add_device, st);

	/* the drivers were listed with the cards (read_present()) */
	return rc ? rc : state_list_bound(s, st, st->qdrv);
}

/* The cards present, with attributes unknown until read, and the drivers registered. */
static int read_present(struct sysfs *s, struct ap_state *st)
{
	int rc = sysfs_list(s, AP_DEVICES, add_device, st);

	if (rc && rc != -ENOENT)
		return rc;
	idset_foreach(a, &st->cards)
		st->card[a] = (struct ap_card){ .hwtype = -1, .raw_hwtype = -1, .depth = -1,
						.online = -1, .config = -1, .chkstop = -1 };
	return state_read_drivers(s, st);
}

/* Whether the kernel shows guest_matrix: an mdev that can be read tells. */
static bool shows_guest(struct sysfs *s, const struct ap_state *st)
{
	char rel[PATH_MAX];

	for (size_t i = 0; i < st->nmdevs; i++) {
		if (st->mdevs[i].incomplete)
			continue;
		snprintf(rel, sizeof(rel), MATRIX_DEV "/%s/guest_matrix", st->mdevs[i].uuid);
		return sysfs_exists(s, rel);
	}
	return false;
}

int state_read(struct sysfs *s, unsigned flags, const struct kernel_hint *hint,
	       struct ap_state **out, struct diag *d)
{
	struct ap_state *st;
	char path[PATH_MAX];
	bool ap_config;
	int rc;

	if (!sysfs_is_dir(s, AP_BUS)) {
		diag_set(d, "no AP bus: %s does not exist (is this Linux on IBM Z with the ap "
			 "module loaded?)", sysfs_path(s, AP_BUS, path, sizeof(path)));
		return -ENOENT;
	}
	st = calloc(1, sizeof(*st));
	if (!st || !(st->scope = calloc(1, sizeof(*st->scope)))) {
		free(st);
		return -ENOMEM;
	}
	st->flags = flags;
	rc = state_read_bus(s, st, d);
	if (rc)
		goto fail;
	rc = read_present(s, st);
	if (rc) {
		diag_set(d, "cannot read the AP devices under %s: %s",
			 sysfs_path(s, AP_BUS, path, sizeof(path)), strerror(-rc));
		goto fail;
	}
	st->matrix_present = sysfs_is_dir(s, MATRIX_DEV);
	st->available_instances = state_read_number(s, MDEV_TYPE "/available_instances", -1);
	rc = state_read_mdevs(s, st, &ap_config);
	if (rc) {
		diag_set(d, "cannot read the mdevs under %s: %s",
			 sysfs_path(s, MATRIX_DEV, path, sizeof(path)), strerror(-rc));
		goto fail;
	}
	st->evidence = kernel_evidence(s, st, ap_config, shows_guest(s, st));
	decide_kernel(st, hint);
	rc = flags & STATE_LAZY ? 0 : state_fill(s, st, NULL);
	if (rc) {
		diag_set(d, "cannot read the AP devices under %s: %s",
			 sysfs_path(s, AP_BUS, path, sizeof(path)), strerror(-rc));
		goto fail;
	}
	*out = st;
	return 0;
fail:
	state_free(st);
	return rc;
}

void state_free(struct ap_state *st)
{
	if (!st)
		return;
	free(st->mdevs);
	free(st->overrides);
	state_mdevs_changed(st);
	free(st->scope);
	free(st);
}

struct ap_state *state_dup(const struct ap_state *st)
{
	struct ap_state *c = malloc(sizeof(*c));

	if (!c)
		return NULL;
	*c = *st;
	c->mdevs = NULL;
	c->capmdevs = 0;
	c->overrides = NULL;
	c->index = NULL;
	c->scope = NULL;
	if (st->scope) {
		c->scope = malloc(sizeof(*c->scope));
		if (!c->scope)
			goto fail;
		*c->scope = *st->scope;
	}
	if (st->nmdevs) {
		c->mdevs = malloc(st->nmdevs * sizeof(*c->mdevs));
		if (!c->mdevs)
			goto fail;
		memcpy(c->mdevs, st->mdevs, st->nmdevs * sizeof(*c->mdevs));
		c->capmdevs = st->nmdevs;
	}
	if (st->noverrides) {
		c->overrides = malloc(st->noverrides * sizeof(*c->overrides));
		if (!c->overrides)
			goto fail;
		memcpy(c->overrides, st->overrides, st->noverrides * sizeof(*c->overrides));
	}
	return c;
fail:
	state_free(c);
	return NULL;
}

