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
#include <unistd.h>

#include "masksyntax.h"
#include "paths.h"
#include "rules.h"
#include "sandbox.h"
#include "sandbox-tree.h"
#include "state.h"

/* Sysfs attributes take at most one page per write (section 1.1). */
#define SYSFS_PAGE_SIZE 4096

struct kwrite {
	struct sysfs *s;
	const char *attr;    /* canonical path, relative to the root */
	const char *val;     /* what the store sees: the bytes written, NUL-terminated */
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
	uint8_t slot_default = state_driver_slot(st, QDRV_DEFAULT);
	uint8_t slot_vfio = state_driver_slot(st, QDRV_VFIO);
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
			enum queue_driver drv;

			if (was == owned)
				continue;
			if (state_queue_driver(st, a, (unsigned)d) == QDRV_VFIO) {
				apqnset_del(ready, a, (unsigned)d);
				if (holder >= 0 && dynamic)
					rules_guest_queue_gone(&st->mdevs[holder].guest, a,
							       (unsigned)d);
			}
			drv = rules_queue_binding(owned, (unsigned)st->card[a].hwtype,
						  slot_default != 0, slot_vfio != 0);
			st->qdrv[a][d] = drv == QDRV_DEFAULT ? slot_default :
					 drv == QDRV_VFIO    ? slot_vfio :
							       0;
			if (drv != QDRV_VFIO)
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
		/* vfio_ap_mdev_verify_no_sharing(): the newest mdev first, the first one counts */
		for (size_t i = st->nmdevs; i-- > 0;) {
			const struct ap_mdev *m = &st->mdevs[i];
			struct idset oa, oq;

			if (!rules_matrix_overlap(&m->matrix, &ra, &rq, &oa, &oq))
				continue;
			idset_foreach(a, &oa) {
				idset_foreach(d, &oq) {
					char line[LOG_LINE_MAX];

					rules_log_inuse(st->kernel, m->uuid, (unsigned)a, (unsigned)d,
							line);
					klog(k, line);
				}
			}
			return -EBUSY;
		}
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
	if (i == st->noverrides) {
		struct ap_override *o = realloc(st->overrides, (i + 1) * sizeof(*o));

		if (!o)
			return -ENOMEM;
		st->overrides = o;
		st->noverrides++;
	}
	st->overrides[i].adapter = (uint8_t)a;
	st->overrides[i].domain = (uint8_t)d;
	snprintf(st->overrides[i].driver, sizeof(st->overrides[i].driver), "%s", name);
	return 0;
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
};

/* A fault set up with `apctl sandbox fault`: "PATTERN ERRNO COUNTDOWN" per line. */
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
		char pattern[PATH_MAX];
		int e, n;

		if (line[0] == '#' || sscanf(line, "%4095s %d %d", pattern, &e, &n) != 3 ||
		    fnmatch(pattern, attr, FNM_PATHNAME) || hit) {
			len += (size_t)snprintf(out + len, size - len, "%s\n", line);
			continue;
		}
		changed = true;
		if (n <= 1)
			hit = e;
		else
			len += (size_t)snprintf(out + len, size - len, "%s %d %d\n", pattern, e, n - 1);
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

	rc = take_fault(s, attr);
	for (size_t i = 0; !rc && i < sizeof(stores) / sizeof(stores[0]); i++) {
		if (fnmatch(stores[i].pattern, attr, FNM_PATHNAME))
			continue;
		rc = state_read(s, STATE_DETAILS | STATE_OVERRIDES, &k.st, &d);
		if (!rc) {
			old = state_dup(k.st);
			rc = old ? stores[i].fn(&k) : -ENOMEM;
		}
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
