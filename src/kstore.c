/* SPDX-License-Identifier: MIT */
/*
 * Every store function of the kernel: what each writable attribute makes of
 * the bytes written (how the kernel parses them, section 1.2 and each
 * attribute's), then the transition in kmodel, the errno, and the kernel's
 * log lines. The emulated kernel answers every write with it, and the change
 * engine and the boot prediction predict with it what they will write.
 */
#include "kstore.h"

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmodel.h"
#include "masksyntax.h"
#include "paths.h"

/* One write under way: what it is, the state it changes, what it answers. */
struct kwrite {
	const struct kstore_write *w;
	const char *attr, *val;
	size_t len;
	struct ap_state *st;
	struct kstore_answer *a;
};

static void klog(struct kwrite *k, const char *line)
{
	strlist_addf(&k->a->log, "%s", line);
}

/* The attribute's own new value, for attributes that are just a number. */
static int show_value(struct kwrite *k, long long v)
{
	free(k->a->show);
	if (asprintf(&k->a->show, "%lld\n", v) < 0) {
		k->a->show = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* apmask_store / aqmask_store (section 3.1), and the kernel's log of the in-use check */
static int store_mask(struct kwrite *k, bool is_apmask)
{
	struct khits *hits = &k->a->hits;
	int rc = kmodel_mask_write(k->st, is_apmask, k->val, hits, k->w->all_hits);

	for (size_t h = 0; rc && h < hits->n; h++) {
		char line[LOG_LINE_MAX];

		rules_log_inuse(k->st->kernel, k->st->mdevs[hits->v[h].mdev].uuid, hits->v[h].a,
				hits->v[h].d, line);
		klog(k, line);
	}
	return rc;
}

static int store_apmask(struct kwrite *k)
{
	return store_mask(k, true);
}

static int store_aqmask(struct kwrite *k)
{
	return store_mask(k, false);
}

/* ap_domain_store: sscanf "%i" */
static int store_ap_domain(struct kwrite *k)
{
	long domain;

	if (sscanf(k->val, "%li", &domain) != 1)
		return -EINVAL;
	return kmodel_ap_domain(k->st, domain);
}

static int store_config_time(struct kwrite *k)
{
	int t;

	if (sscanf(k->val, "%d", &t) != 1 || t < 5 || t > 120)
		return -EINVAL;
	return show_value(k, t);
}

static int store_poll_thread(struct kwrite *k)
{
	int flag;

	if (sscanf(k->val, "%d", &flag) != 1)
		return -EINVAL;
	return show_value(k, flag != 0);
}

static int store_poll_timeout(struct kwrite *k)
{
	uint64_t t;

	if (kernel_kstrtoul(k->val, &t) || t > UINT64_C(120000000000))
		return -EINVAL;
	return show_value(k, (long long)t);
}

/* Any write rescans the bus; nothing changes but the count. */
static int store_scans(struct kwrite *k)
{
	long n = k->w->now ? strtol(k->w->now, NULL, 10) : 0;

	return show_value(k, n + 1);
}

/* driver_override of a queue (6.19, section 3.8): a trailing newline is stripped */
static int store_driver_override(struct kwrite *k)
{
	const char *dev = strrchr(k->attr, '/');
	size_t len = strlen(k->val);
	char name[DRIVER_NAME_MAX];
	unsigned a, d;

	while (dev > k->attr && dev[-1] != '/')
		dev--;
	if (sscanf(dev, "%x.%x", &a, &d) != 2 || a > IDSET_MAX_ID || d > IDSET_MAX_ID)
		return -EINVAL;
	if (len && k->val[len - 1] == '\n')
		len--;
	if (len >= sizeof(name))
		return -EINVAL;
	memcpy(name, k->val, len);
	name[len] = '\0';
	return kmodel_driver_override(k->st, a, d, name);
}

/* The card or queue a device attribute belongs to: adapter and, for a queue, domain (-1). */
static int attr_device(struct kwrite *k, unsigned *a, int *d)
{
	const char *p = k->attr + strlen(AP_DEVICES "/card");
	unsigned dom;

	if (sscanf(p, "%2x", a) != 1)
		return -ENODEV;
	*d = sscanf(p + 2, "/%*2x.%4x", &dom) == 1 ? (int)dom : -1;
	return 0;
}

/* config, online of a card; online of a queue: sscanf "%d", 0 or 1 (section 2.2) */
static int store_device_state(struct kwrite *k)
{
	const char *name = strrchr(k->attr, '/') + 1;
	unsigned a;
	int d, on;

	if (attr_device(k, &a, &d) || sscanf(k->val, "%d", &on) != 1 || (on != 0 && on != 1))
		return -EINVAL;
	if (d >= 0)
		return kmodel_queue_online(k->st, a, (unsigned)d, on);
	if (!strcmp(name, "config"))
		return kmodel_card_config(k->st, a, on);
	return kmodel_card_online(k->st, a, on);
}

/* request_count: any write resets the count; a queue not started stays "-" */
static int store_request_count(struct kwrite *k)
{
	return k->w->now && !strcmp(k->w->now, "-\n") ? 0 : show_value(k, 0);
}

/* reset of a queue: it is reset, and nothing shows */
static int store_reset(struct kwrite *k)
{
	(void)k;
	return 0;
}

/* ---- mdevs (sections 2.4 to 4) ---- */

/* The mdev whose attribute k writes: its index in k->st. */
static int attr_mdev(struct kwrite *k)
{
	char uuid[UUID_STR_MAX];
	const char *p = k->attr + strlen(MATRIX_DEV "/");

	snprintf(uuid, sizeof(uuid), "%.36s", p);
	return state_find_mdev(k->st, uuid);
}

/* The kernel's log lines for an assignment that shares APQNs with another mdev. */
static void log_sharing(struct kwrite *k, size_t i, const struct khits *hits)
{
	if (k->w->all_hits)
		return;
	for (size_t h = 0; h < hits->n; h++) {
		char line[LOG_LINE_MAX];

		rules_log_sharing(k->st->kernel, k->st->mdevs[i].uuid,
				  k->st->mdevs[hits->v[h].mdev].uuid, hits->v[h].a, hits->v[h].d,
				  line);
		klog(k, line);
	}
}

/* create_store() of the mdev core (section 2.4) */
static int store_create(struct kwrite *k)
{
	char uuid[UUID_STR_MAX];

	if (k->len < 36 || k->len > 37)
		return -EINVAL;
	snprintf(uuid, sizeof(uuid), "%.36s", k->val);
	return kmodel_create(k->st, uuid);
}

/* remove_store(): -EINPROGRESS while the write waits for the guest to let go */
static int store_remove(struct kwrite *k)
{
	int i = attr_mdev(k), rc;
	uint64_t v;

	rc = kernel_kstrtoul(k->val, &v);
	if (rc)
		return rc;
	if (!v || i < 0)
		return 0;
	return kmodel_remove(k->st, (size_t)i);
}

/* assign_* and unassign_* (sections 3.2 to 3.5, 3.10) */
static int store_assignment(struct kwrite *k, enum assign_kind kind, bool assign)
{
	struct kview_store *ks;
	struct khits *hits = &k->a->hits;
	int i = attr_mdev(k), rc;
	uint64_t id;

	if (i < 0)
		return -ENODEV;
	/* before 6.0 a guest using the mdev is EBUSY even before the value is read */
	ks = state_kview(k->st);
	if (!ks)
		return -ENOMEM;
	rc = rules_mdev_busy(&ks->k, (size_t)i);
	state_kview_free(ks);
	if (!rc)
		rc = kernel_kstrtoul(k->val, &id);
	if (!rc)
		rc = kmodel_assign(k->st, (size_t)i, kind, id, assign, hits, k->w->all_hits);
	if (rc == -EADDRINUSE)
		log_sharing(k, (size_t)i, hits);
	return rc;
}

/* The six assign_* and unassign_* attributes, told apart by their names */
static int store_assign(struct kwrite *k)
{
	const char *name = strrchr(k->attr, '/') + 1;

	for (int kind = ASSIGN_ADAPTER; kind <= ASSIGN_CONTROL_DOMAIN; kind++)
		for (int assign = 0; assign < 2; assign++)
			if (!strcmp(name, assign_attr_name(kind, assign)))
				return store_assignment(k, kind, assign);
	return -EOPNOTSUPP;
}

/* ap_config_store() (section 3.6): all three masks at once, all or nothing */
static int store_ap_config(struct kwrite *k)
{
	struct khits *hits = &k->a->hits;
	struct ap_matrix m;
	int i = attr_mdev(k), rc;

	/* before 6.10 an mdev has no such attribute */
	if (i < 0 || !kgen_has(k->st->kernel, KF_AP_CONFIG))
		return -ENOENT;
	if (kernel_ap_config_parse(k->val, strlen(k->val), &m))
		return -EINVAL;
	rc = kmodel_ap_config(k->st, (size_t)i, &m, hits, k->w->all_hits);
	if (rc == -EADDRINUSE)
		log_sharing(k, (size_t)i, hits);
	return rc;
}

struct store {
	const char *pattern; /* fnmatch() of the canonical path */
	int (*fn)(struct kwrite *k);
};

/* An mdev's directory name */
#define UUID_GLOB "*-*-*-*-*"

static const struct store stores[] = {
	{ AP_BUS "/apmask", store_apmask },
	{ AP_BUS "/aqmask", store_aqmask },
	{ AP_BUS "/ap_domain", store_ap_domain },
	{ AP_BUS "/config_time", store_config_time },
	{ AP_BUS "/poll_thread", store_poll_thread },
	{ AP_BUS "/poll_timeout", store_poll_timeout },
	{ AP_BUS "/scans", store_scans },
	{ AP_DEVICES "/card[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f].[0-9a-f][0-9a-f][0-9a-f][0-9a-f]"
		     "/driver_override", store_driver_override },
	{ AP_DEVICES "/card[0-9a-f][0-9a-f]/config", store_device_state },
	{ AP_DEVICES "/card[0-9a-f][0-9a-f]/online", store_device_state },
	{ AP_DEVICES "/card[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f].[0-9a-f][0-9a-f][0-9a-f][0-9a-f]"
		     "/online", store_device_state },
	{ AP_DEVICES "/card[0-9a-f][0-9a-f]/request_count", store_request_count },
	{ AP_DEVICES "/card[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f].[0-9a-f][0-9a-f][0-9a-f][0-9a-f]"
		     "/request_count", store_request_count },
	{ AP_DEVICES "/card[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f].[0-9a-f][0-9a-f][0-9a-f][0-9a-f]"
		     "/reset", store_reset },
	{ MDEV_TYPE "/create", store_create },
	{ MATRIX_DEV "/" UUID_GLOB "/remove", store_remove },
	{ MATRIX_DEV "/" UUID_GLOB "/assign_*", store_assign },
	{ MATRIX_DEV "/" UUID_GLOB "/unassign_*", store_assign },
	{ MATRIX_DEV "/" UUID_GLOB "/ap_config", store_ap_config },
};

int kstore(struct ap_state *st, const struct kstore_write *w, struct kstore_answer *a)
{
	struct kwrite k = { w, w->attr, w->val, w->len, st, a };

	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < sizeof(stores) / sizeof(stores[0]); i++)
		if (!fnmatch(stores[i].pattern, w->attr, FNM_PATHNAME))
			return stores[i].fn(&k);
	return -EOPNOTSUPP;
}

void kstore_answer_free(struct kstore_answer *a)
{
	free(a->show);
	strlist_free(&a->log);
	khits_free(&a->hits);
	memset(a, 0, sizeof(*a));
}

int kstore_answer(struct ap_state *st, const char *attr, const char *val, struct khits *hits)
{
	struct kstore_write w = { attr, val, strlen(val), NULL, true };
	struct kstore_answer a;
	int rc = kstore(st, &w, &a);

	if (hits) {
		*hits = a.hits;
		a.hits = (struct khits){ 0 };
	}
	kstore_answer_free(&a);
	return rc;
}

/* "sys/devices/vfio_ap/matrix/UUID/NAME": the UUID and the name, or false. */
static bool mdev_attr_of(const char *attr, char uuid[UUID_STR_MAX], const char **name)
{
	const char *p = attr + strlen(MATRIX_DEV "/");

	if (strncmp(attr, MATRIX_DEV "/", strlen(MATRIX_DEV "/")) || strlen(p) < UUID_STR_MAX ||
	    p[UUID_STR_MAX - 1] != '/')
		return false;
	snprintf(uuid, UUID_STR_MAX, "%.36s", p);
	*name = p + UUID_STR_MAX;
	return uuid_valid(uuid);
}

void kstore_what(const struct ap_state *st, const char *attr, const char *val,
		 struct kstore_what *w)
{
	const char *name;
	uint64_t id = 0;

	memset(w, 0, sizeof(*w));
	if (!strcmp(attr, AP_BUS "/apmask") || !strcmp(attr, AP_BUS "/aqmask")) {
		w->kind = KS_MASK;
		w->is_apmask = !strcmp(attr, AP_BUS "/apmask");
		w->old_mask = w->is_apmask ? st->apmask : st->aqmask;
		w->parse = kernel_mask_parse(val, &w->old_mask, &w->new_mask);
	} else if (!strcmp(attr, MDEV_TYPE "/create")) {
		w->kind = KS_CREATE;
		snprintf(w->uuid, sizeof(w->uuid), "%.36s", val);
		uuid_lower(w->uuid, w->uuid);
	} else if (mdev_attr_of(attr, w->uuid, &name)) {
		if (!strcmp(name, "remove")) {
			w->kind = KS_REMOVE;
		} else if (!strcmp(name, "ap_config")) {
			w->kind = KS_AP_CONFIG;
			w->parse = kernel_ap_config_parse(val, strlen(val), &w->config);
		}
		for (int k = ASSIGN_ADAPTER; k <= ASSIGN_CONTROL_DOMAIN; k++)
			for (int a = 0; a < 2; a++)
				if (!strcmp(name, assign_attr_name((enum assign_kind)k, a))) {
					w->kind = KS_ASSIGN;
					w->akind = (enum assign_kind)k;
					w->assign = a;
					w->parse = kernel_kstrtoul(val, &id);
					w->id = id > UINT_MAX ? UINT_MAX : (unsigned)id;
				}
	}
}
