/* SPDX-License-Identifier: MIT */
/*
 * The store functions of the emulated kernel: what each writable attribute
 * makes of the bytes written (how the kernel parses them), then the
 * transition in kmodel, and the kernel's log lines.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "kmodel.h"
#include "masksyntax.h"
#include "paths.h"
#include "sandbox.h"

static void klog(struct kwrite *k, const char *line)
{
	size_t n = strlen(line);
	char *more = realloc(k->log, k->loglen + n + 2);

	if (!more)
		return;
	k->log = more;
	memcpy(k->log + k->loglen, line, n);
	k->loglen += n;
	k->log[k->loglen++] = '\n';
	k->log[k->loglen] = '\0';
}

/* Writes the attribute's own new value, for attributes that are just a number. */
static int show_value(struct kwrite *k, long long v)
{
	char text[64];

	snprintf(text, sizeof(text), "%lld\n", v);
	return sysfs_put_str(k->s, k->attr, 0644, text);
}

/* apmask_store / aqmask_store (section 3.1), and the kernel's log of the in-use check */
static int store_mask(struct kwrite *k, bool is_apmask)
{
	struct khits hits = { 0 };
	int rc = kmodel_mask_write(k->st, is_apmask, k->val, &hits, false);

	for (size_t h = 0; h < hits.n; h++) {
		char line[LOG_LINE_MAX];

		rules_log_inuse(k->st->kernel, k->st->mdevs[hits.v[h].mdev].uuid, hits.v[h].a,
				hits.v[h].d, line);
		klog(k, line);
	}
	khits_free(&hits);
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

/* Any write rescans the bus; nothing changes in a sandbox but the count. */
static int store_scans(struct kwrite *k)
{
	long n = 0;

	sysfs_read_long(k->s, k->attr, &n);
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
	char now[8] = "";

	sysfs_read(k->s, k->attr, now, sizeof(now));
	return strcmp(now, "-\n") ? show_value(k, 0) : 0;
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
	struct khits hits = { 0 };
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
		rc = kmodel_assign(k->st, (size_t)i, kind, id, assign, &hits, false);
	if (rc == -EADDRINUSE)
		log_sharing(k, (size_t)i, &hits);
	khits_free(&hits);
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
	struct khits hits = { 0 };
	struct ap_matrix m;
	int i = attr_mdev(k), rc;

	/* before 6.10 an mdev has no such attribute */
	if (i < 0 || !kgen_has(k->st->kernel, KF_AP_CONFIG))
		return -ENOENT;
	if (kernel_ap_config_parse(k->val, strlen(k->val), &m))
		return -EINVAL;
	rc = kmodel_ap_config(k->st, (size_t)i, &m, &hits, false);
	if (rc == -EADDRINUSE)
		log_sharing(k, (size_t)i, &hits);
	khits_free(&hits);
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

int kernel_dispatch(struct kwrite *k)
{
	for (size_t i = 0; i < sizeof(stores) / sizeof(stores[0]); i++)
		if (!fnmatch(stores[i].pattern, k->attr, FNM_PATHNAME))
			return stores[i].fn(k);
	return -EOPNOTSUPP;
}
