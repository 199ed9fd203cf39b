/* SPDX-License-Identifier: MIT */
#include "rules.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int kgen_cmp(struct kgen a, struct kgen b)
{
	if (a.major != b.major)
		return a.major < b.major ? -1 : 1;
	if (a.minor != b.minor)
		return a.minor < b.minor ? -1 : 1;
	return 0;
}

const char *kgen_format(struct kgen g, char buf[KGEN_STR_MAX])
{
	snprintf(buf, KGEN_STR_MAX, "%u.%u", g.major, g.minor);
	return buf;
}

int kgen_parse(const char *s, struct kgen *g, struct diag *d)
{
	unsigned major, minor;
	int n = 0;
	char oldest[KGEN_STR_MAX];

	if (sscanf(s, "%3u.%3u%n", &major, &minor, &n) != 2 || s[n] || s[0] < '0' ||
	    s[0] > '9' || strchr(s, '+') || strchr(s, ' ')) {
		diag_set(d, "'%s' is not a kernel generation: write MAJOR.MINOR, e.g. 6.19", s);
		return -EINVAL;
	}
	if (kgen_cmp((struct kgen){ major, minor }, KGEN_OLDEST) < 0) {
		diag_set(d, "kernel %s is older than the oldest generation apctl knows, %s", s,
			 kgen_format(KGEN_OLDEST, oldest));
		return -EINVAL;
	}
	g->major = major;
	g->minor = minor;
	return 0;
}

struct kgen kfeature_since(enum kfeature f)
{
	switch (f) {
	case KF_BUS_SCANS:
		return (struct kgen){ 5, 11 };
	case KF_REMOVE_BLOCKS:
		return (struct kgen){ 5, 13 };
	case KF_DYNAMIC:
		return (struct kgen){ 6, 0 };
	case KF_BUS_FEATURES:
		return (struct kgen){ 6, 4 };
	case KF_MASK_NOOP:
		return (struct kgen){ 6, 8 };
	case KF_AP_CONFIG:
		return (struct kgen){ 6, 10 };
	case KF_MATRIX_FEATURES:
		return (struct kgen){ 6, 12 };
	case KF_NEW_LOG_TEXT:
		return (struct kgen){ 6, 15 };
	case KF_INUSE_ALL_BITS:
	case KF_DRIVER_OVERRIDE:
		return (struct kgen){ 6, 19 };
	}
	return KGEN_NEWEST;
}

bool kgen_has(struct kgen g, enum kfeature f)
{
	return kgen_cmp(g, kfeature_since(f)) >= 0;
}

bool rules_default_owned(const struct idset *apmask, const struct idset *aqmask,
			 unsigned adapter, unsigned domain)
{
	return idset_has(apmask, adapter) && idset_has(aqmask, domain);
}

enum queue_driver rules_queue_binding(bool default_owned, unsigned hwtype, bool default_loaded,
				      bool vfio_loaded)
{
	if (default_owned)
		return default_loaded ? QDRV_DEFAULT : QDRV_NONE;
	/* vfio_ap matches queue types CEX4 and newer (vfio_ap_drv.c) */
	return (vfio_loaded && hwtype >= 10) ? QDRV_VFIO : QDRV_NONE;
}

enum vfio_status rules_vfio_status(struct kgen g, bool assigned, bool attached, bool in_guest)
{
	if (!assigned)
		return VFIO_STATUS_UNASSIGNED;
	/* Since the guest's APCB is filtered, only what the guest gets is in use. */
	if (attached && (in_guest || !kgen_has(g, KF_DYNAMIC)))
		return VFIO_STATUS_IN_USE;
	return VFIO_STATUS_ASSIGNED;
}

const char *vfio_status_name(enum vfio_status s)
{
	switch (s) {
	case VFIO_STATUS_ASSIGNED:
		return "assigned";
	case VFIO_STATUS_IN_USE:
		return "in use";
	default:
		return "unassigned";
	}
}

void rules_guest_matrix(const struct ap_matrix *assigned, const struct ap_matrix *host,
			const struct apqnset *ready, struct ap_matrix *guest)
{
	struct idset apm = idset_and(&assigned->apm, &host->apm);
	struct idset aqm = idset_and(&assigned->aqm, &host->aqm);

	idset_foreach(a, &apm) {
		/* every remaining domain of this adapter must be a ready queue */
		if (!idset_subset(&aqm, &ready->dom[a]))
			idset_del(&apm, (unsigned)a);
	}
	guest->apm = apm;
	guest->aqm = aqm;
	guest->adm = idset_and(&assigned->adm, &host->adm);
}

int rules_default_domain(const struct apqnset *queues, const struct idset *aqmask)
{
	unsigned count[IDSET_BITS] = { 0 };
	int best = -1;

	for (unsigned a = 0; a < IDSET_BITS; a++) {
		struct idset d = idset_and(&queues->dom[a], aqmask);

		idset_foreach(q, &d)
			count[q]++;
	}
	for (unsigned q = 0; q < IDSET_BITS; q++)
		if (count[q] && (best < 0 || count[q] > count[best]))
			best = (int)q;
	return best;
}

bool rules_mask_inuse_checked(struct kgen g)
{
	return kgen_has(g, KF_DYNAMIC);
}

void rules_mask_inuse_region(struct kgen g, bool is_apmask, const struct idset *old,
			     const struct idset *new_, const struct idset *other,
			     struct idset *region_apm, struct idset *region_aqm)
{
	struct idset set = idset_minus(new_, old), wide;

	if (kgen_has(g, KF_INUSE_ALL_BITS))
		idset_fill(&wide);
	else
		wide = *other;
	if (idset_empty(&set))
		idset_clear(&wide);
	*region_apm = is_apmask ? set : wide;
	*region_aqm = is_apmask ? wide : set;
}

bool rules_matrix_overlap(const struct ap_matrix *m, const struct idset *apm,
			  const struct idset *aqm, struct idset *oapm, struct idset *oaqm)
{
	*oapm = idset_and(&m->apm, apm);
	*oaqm = idset_and(&m->aqm, aqm);
	if (idset_empty(oapm) || idset_empty(oaqm)) {
		idset_clear(oapm);
		idset_clear(oaqm);
		return false;
	}
	return true;
}

void rules_guest_queue_gone(struct ap_matrix *guest, unsigned adapter, unsigned domain)
{
	if (idset_has(&guest->apm, adapter) && idset_has(&guest->aqm, domain))
		idset_del(&guest->apm, adapter);
}

void rules_log_inuse(struct kgen g, const char *holder, unsigned a, unsigned d,
		     char buf[LOG_LINE_MAX])
{
	if (kgen_has(g, KF_NEW_LOG_TEXT))
		snprintf(buf, LOG_LINE_MAX,
			 "vfio_ap_mdev %s: Can not reserve queue %02x.%04x for host driver: in use "
			 "by mdev", holder, a, d);
	else
		snprintf(buf, LOG_LINE_MAX,
			 "vfio_ap_mdev %s: Userspace may not re-assign queue %02x.%04x already "
			 "assigned to %s", holder, a, d, holder);
}
