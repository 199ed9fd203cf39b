/* SPDX-License-Identifier: MIT */
/*
 * The sandbox's emulated kernel: one attribute write applied to the tree with
 * the store function's semantics, checks in the kernel's order and the
 * kernel's errno (behaviour reference, sections 1 to 4). The state is read
 * from the files, changed as the kernel would change its memory, and the
 * files that show it are rewritten. Every decision is a rule of lib/.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kmodel.h"
#include "masksyntax.h"
#include "paths.h"
#include "rules.h"
#include "sandbox.h"
#include "sandbox-tree.h"
#include "state.h"

/* Sysfs attributes take at most one page per write (section 1.1). */
#define SYSFS_PAGE_SIZE 4096
/* An mdev's directory name */
#define UUID_GLOB "*-*-*-*-*"
/* How long an emulated remove waits for the guest to let go, polling */
#define REMOVE_POLL_MS 50
#define REMOVE_WAIT_MAX_S 3600

struct kwrite {
	struct sysfs *s;
	const char *attr;    /* canonical path, relative to the root */
	const char *val;     /* what the store sees: the bytes written, NUL-terminated */
	size_t len;          /* how many bytes were written */
	struct ap_state *st; /* the kernel's state, changed by the store */
	char *log;           /* kernel log lines of this write */
	size_t loglen;
};

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

/*
 * ap_bus_revise_bindings(): every queue whose ownership changed is reprobed in
 * bus order. A queue leaving vfio_ap takes its adapter out of its mdev's guest
 * (section 4.3); a queue bound to vfio_ap makes its mdev's guest be computed
 * again (section 4.2).
 */
static void revise_bindings(struct ap_state *st, const struct idset *old_apmask,
			    const struct idset *old_aqmask)
{
	bool dynamic = kgen_has(st->kernel, KF_DYNAMIC);
	struct apqnset *ready = malloc(sizeof(*ready));

	if (!ready)
		return;
	state_vfio_ready(st, ready);
	for (unsigned a = 0; a < IDSET_BITS; a++) {
		idset_foreach(d, &st->queues.dom[a]) {
			bool was = rules_default_owned(old_apmask, old_aqmask, a, (unsigned)d);
			bool owned = rules_default_owned(&st->apmask, &st->aqmask, a, (unsigned)d);
			int holder = state_apqn_mdev(st, a, (unsigned)d);

			if (was == owned)
				continue;
			if (state_queue_driver(st, a, (unsigned)d) == QDRV_VFIO) {
				apqnset_del(ready, a, (unsigned)d);
				if (holder >= 0 && dynamic)
					rules_guest_queue_gone(&st->mdevs[holder].guest, a,
							       (unsigned)d);
			}
			if (state_bind_queue(st, a, (unsigned)d) != QDRV_VFIO)
				continue;
			apqnset_add(ready, a, (unsigned)d);
			if (holder >= 0 && dynamic)
				rules_guest_matrix(&st->mdevs[holder].matrix, &st->host, ready,
						   &st->mdevs[holder].guest);
		}
	}
	free(ready);
}

/* apmask_store / aqmask_store (section 3.1) */
static int store_mask(struct kwrite *k, bool is_apmask)
{
	struct ap_state *st = k->st;
	struct idset *mask = is_apmask ? &st->apmask : &st->aqmask;
	const struct idset *other = is_apmask ? &st->aqmask : &st->apmask;
	struct idset newm, old_apmask = st->apmask, old_aqmask = st->aqmask, ra, rq;

	if (kgen_has(st->kernel, KF_DRIVER_OVERRIDE) && state_has_overrides(st))
		return -EINVAL;
	if (kernel_mask_parse(k->val, mask, &newm))
		return -EINVAL;
	if (idset_equal(&newm, mask))
		return 0;
	rules_mask_inuse_region(st->kernel, is_apmask, mask, &newm, other, &ra, &rq);
	if (rules_mask_inuse_checked(st->kernel) && st->vfio_loaded) {
		struct kview_store *ks = state_kview(st);
		struct khits hits = { 0 };
		int rc;

		if (!ks)
			return -ENOMEM;
		rc = rules_shared(&ks->k, RULES_NO_MDEV, &ra, &rq, &hits, false);
		for (size_t h = 0; h < hits.n; h++) {
			char line[LOG_LINE_MAX];

			rules_log_inuse(st->kernel, st->mdevs[hits.v[h].mdev].uuid, hits.v[h].a,
					hits.v[h].d, line);
			klog(k, line);
		}
		khits_free(&hits);
		state_kview_free(ks);
		/* the AP bus turns vfio_ap's EADDRINUSE into EBUSY */
		if (rc)
			return -EBUSY;
	}
	*mask = newm;
	revise_bindings(st, &old_apmask, &old_aqmask);
	return 0;
}

static int store_apmask(struct kwrite *k)
{
	return store_mask(k, true);
}

static int store_aqmask(struct kwrite *k)
{
	return store_mask(k, false);
}

/* ap_domain_store: sscanf "%i", in range and in aqmask */
static int store_ap_domain(struct kwrite *k)
{
	int domain;

	if (sscanf(k->val, "%i", &domain) != 1 || domain < 0 ||
	    (unsigned)domain > k->st->max_domain || !idset_has(&k->st->aqmask, (unsigned)domain))
		return -EINVAL;
	k->st->ap_domain = domain;
	return 0;
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

/* driver_override of a queue (6.19, section 3.8) */
static int store_driver_override(struct kwrite *k)
{
	struct ap_state *st = k->st;
	struct idset all;
	unsigned a, d;
	size_t len = strlen(k->val), i;
	char name[DRIVER_NAME_MAX];
	const char *dev = strrchr(k->attr, '/');

	idset_fill(&all);
	if (!idset_equal(&st->apmask, &all) || !idset_equal(&st->aqmask, &all))
		return -EINVAL;
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
	for (i = 0; i < st->noverrides; i++)
		if (st->overrides[i].adapter == a && st->overrides[i].domain == d)
			break;
	if (!len) {
		if (i < st->noverrides)
			st->overrides[i] = st->overrides[--st->noverrides];
		return 0;
	}
	if (i == st->noverrides)
		return state_add_override(st, a, d, name);
	snprintf(st->overrides[i].driver, sizeof(st->overrides[i].driver), "%s", name);
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

/* The six assign_* and unassign_* attributes, told apart by their names; another is not emulated */
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

	if (i < 0)
		return -ENODEV;
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
	{ MDEV_TYPE "/create", store_create },
	{ MATRIX_DEV "/" UUID_GLOB "/remove", store_remove },
	{ MATRIX_DEV "/" UUID_GLOB "/assign_*", store_assign },
	{ MATRIX_DEV "/" UUID_GLOB "/unassign_*", store_assign },
	{ MATRIX_DEV "/" UUID_GLOB "/ap_config", store_ap_config },
};

int sandbox_fault_parse(const char *line, struct sandbox_fault *f)
{
	if (line[0] == '#' ||
	    sscanf(line, "%4095s %d %d", f->pattern, &f->err, &f->countdown) != 3)
		return -EINVAL;
	return 0;
}

static int fault_line(const struct sandbox_fault *f, char *buf, size_t size)
{
	return snprintf(buf, size, "%s %d %d\n", f->pattern, f->err, f->countdown);
}

int sandbox_fault_add(struct sysfs *s, const struct sandbox_fault *f)
{
	char line[PATH_MAX + 32];

	fault_line(f, line, sizeof(line));
	return sysfs_append(s, SANDBOX_FAULTS, line);
}

/* A fault waiting for a write to attr: its errno (negative) or 0; the countdowns move on. */
static int take_fault(struct sysfs *s, const char *attr)
{
	int err = 0, hit = 0;
	char *text = sysfs_read_alloc(s, SANDBOX_FAULTS, &err), *save = NULL, *out;
	size_t len = 0, size;
	bool changed = false;

	if (!text)
		return 0;
	size = strlen(text) + 64;
	out = malloc(size);
	if (!out) {
		free(text);
		return -ENOMEM;
	}
	out[0] = '\0';
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct sandbox_fault f;

		if (sandbox_fault_parse(line, &f) || fnmatch(f.pattern, attr, 0) || hit) {
			len += (size_t)snprintf(out + len, size - len, "%s\n", line);
			continue;
		}
		changed = true;
		if (f.countdown-- <= 1)
			hit = f.err;
		else
			len += (size_t)fault_line(&f, out + len, size - len);
	}
	if (changed)
		sysfs_put(s, SANDBOX_FAULTS, 0644, out, len);
	free(out);
	free(text);
	return -hit;
}

int sandbox_store(struct sysfs *s, const char *rel, const void *buf, size_t len)
{
	char attr[PATH_MAX];
	struct kwrite k = { .s = s, .attr = attr };
	struct ap_state *old = NULL;
	struct diag d;
	struct stat sb;
	char *val;
	int fd, rc;

	rc = sysfs_canonical(s, rel, attr, sizeof(attr));
	if (rc)
		return rc;
	fd = sysfs_openat(s, attr, O_PATH, 0);
	if (fd < 0)
		return fd;
	rc = fstat(fd, &sb) ? -errno : 0;
	close(fd);
	if (rc)
		return rc;
	/* kernfs refuses to open an attribute without a store function for writing */
	if (!S_ISREG(sb.st_mode) || !(sb.st_mode & 0222))
		return -EACCES;
	if (len == 0)
		return 0;
	if (len > SYSFS_PAGE_SIZE)
		return -E2BIG;
	val = malloc(len + 1);
	if (!val)
		return -ENOMEM;
	/* the store sees the bytes written; an embedded NUL ends them */
	memcpy(val, buf, len);
	val[len] = '\0';
	k.val = val;
	k.len = len;

	rc = take_fault(s, attr);
	for (size_t i = 0; !rc && i < sizeof(stores) / sizeof(stores[0]); i++) {
		unsigned waited_ms = 0;

		if (fnmatch(stores[i].pattern, attr, FNM_PATHNAME))
			continue;
		for (;;) {
			rc = state_read(s, STATE_DETAILS | STATE_OVERRIDES, &k.st, &d);
			if (!rc) {
				old = state_dup(k.st);
				rc = old ? stores[i].fn(&k) : -ENOMEM;
			}
			/* a remove waits until the guest lets go, as vfio_unregister_group_dev() */
			if (rc != -EINPROGRESS || waited_ms >= REMOVE_WAIT_MAX_S * 1000u)
				break;
			state_free(old);
			state_free(k.st);
			old = k.st = NULL;
			nanosleep(&(struct timespec){ 0, REMOVE_POLL_MS * 1000000L }, NULL);
			waited_ms += REMOVE_POLL_MS;
		}
		if (rc == -EINPROGRESS)
			rc = -EINTR;
		if (!rc)
			rc = sbx_sync(s, old, k.st);
		if (k.log)
			sysfs_append(s, SANDBOX_LOG, k.log);
		goto out;
	}
	if (!rc)
		rc = -EOPNOTSUPP; /* a writable attribute the emulation does not cover */
out:
	state_free(old);
	state_free(k.st);
	free(k.log);
	free(val);
	return rc;
}

/* Reads the state, lets change() change it, and shows the result. */
static int event(struct sysfs *s, int (*change)(struct ap_state *st, void *ctx), void *ctx,
		 struct diag *d)
{
	struct ap_state *st = NULL, *old = NULL;
	int rc = state_read(s, STATE_DETAILS | STATE_OVERRIDES, &st, d);

	if (!rc) {
		old = state_dup(st);
		rc = old ? change(st, ctx) : -ENOMEM;
	}
	if (!rc)
		rc = sbx_sync(s, old, st);
	state_free(old);
	state_free(st);
	return rc;
}

struct attach_ctx {
	const char *uuid;
	bool attach;
	struct diag *d;
};

static int do_attach(struct ap_state *st, void *arg)
{
	struct attach_ctx *c = arg;
	int i = state_find_mdev(st, c->uuid);

	if (i < 0) {
		diag_set(c->d, "no mdev %s", c->uuid);
		return -ENOENT;
	}
	if ((st->mdevs[i].in_use == 1) == c->attach) {
		diag_set(c->d, "mdev %s is %s", st->mdevs[i].uuid,
			 c->attach ? "already in use by a guest" : "not in use by a guest");
		return -EALREADY;
	}
	/* the guest gets the shadow APCB as it is (vfio_ap_mdev_set_kvm) */
	st->mdevs[i].in_use = c->attach;
	return 0;
}

int sandbox_attach(struct sysfs *s, const char *uuid, bool attach, struct diag *d)
{
	struct attach_ctx c = { uuid, attach, d };

	return event(s, do_attach, &c, d);
}

struct host_ctx {
	bool add;
	const struct ap_matrix *ids;
	const struct card_type *type;
};

static int do_host_change(struct ap_state *st, void *arg)
{
	struct host_ctx *c = arg;
	struct ap_matrix delta;
	bool dynamic = kgen_has(st->kernel, KF_DYNAMIC);
	struct kview_store *ks;

	matrix_edit(&st->host, c->ids, c->add, &delta);
	if (c->add) {
		idset_foreach(a, &delta.apm)
			if ((unsigned)a <= st->max_adapter)
				sandbox_add_card(st, (unsigned)a, c->type);
		sandbox_add_queues(st, &st->host.apm, &st->host.aqm);
		/* at the end of the scan, vfio_ap plugs what was added (section 4.4) */
		ks = state_kview(st);
		if (!ks)
			return -ENOMEM;
		for (size_t i = 0; dynamic && i < st->nmdevs; i++) {
			struct ap_mdev *m = &st->mdevs[i];

			if (idset_intersects(&m->matrix.apm, &delta.apm) ||
			    idset_intersects(&m->matrix.aqm, &delta.aqm) ||
			    idset_intersects(&m->matrix.adm, &delta.adm))
				rules_guest_matrix(&m->matrix, &st->host, ks->k.vfio, &m->guest);
		}
		state_kview_free(ks);
	} else {
		/* vfio_ap_mdev_on_cfg_remove(): the IDs leave every guest */
		for (size_t i = 0; dynamic && i < st->nmdevs; i++) {
			st->mdevs[i].guest.apm = idset_minus(&st->mdevs[i].guest.apm, &delta.apm);
			st->mdevs[i].guest.aqm = idset_minus(&st->mdevs[i].guest.aqm, &delta.aqm);
		}
		/* then the bus scan removes their devices */
		for (unsigned a = 0; a < IDSET_BITS; a++) {
			idset_foreach(d, &st->queues.dom[a]) {
				int holder;

				if (!idset_has(&delta.apm, a) && !idset_has(&delta.aqm, (unsigned)d))
					continue;
				holder = state_apqn_mdev(st, a, (unsigned)d);
				if (holder >= 0 && dynamic &&
				    state_queue_driver(st, a, (unsigned)d) == QDRV_VFIO)
					rules_guest_queue_gone(&st->mdevs[holder].guest, a, (unsigned)d);
				apqnset_del(&st->queues, a, (unsigned)d);
				st->qdrv[a][d] = 0;
			}
		}
		idset_foreach(a, &delta.apm)
			idset_del(&st->cards, (unsigned)a);
	}
	for (size_t i = 0; i < st->nmdevs; i++)
		st->mdevs[i].guest.adm = idset_and(&st->mdevs[i].matrix.adm, &st->host.adm);
	if (st->ap_domain < 0 || !idset_has(&st->host.aqm, (unsigned)st->ap_domain))
		st->ap_domain = rules_default_domain(&st->queues, &st->aqmask);
	return 0;
}

int sandbox_host_change(struct sysfs *s, bool add, const struct ap_matrix *ids,
			const struct card_type *type, struct diag *d)
{
	struct host_ctx c = { add, ids, type };

	return event(s, do_host_change, &c, d);
}
