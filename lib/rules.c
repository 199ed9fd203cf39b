/* SPDX-License-Identifier: MIT */
#include "rules.h"

#include <errno.h>
#include <stdlib.h>
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

/*
 * One number of a version: digits only, no sign, no leading zero (other than
 * "0" itself), at most three digits. The characters read, or 0.
 */
static size_t version_number(const char *s, unsigned *out)
{
	size_t n = 0;
	unsigned v = 0;

	while (s[n] >= '0' && s[n] <= '9' && n < 4)
		v = v * 10 + (unsigned)(s[n++] - '0');
	if (!n || n > 3 || (s[n] >= '0' && s[n] <= '9') || (n > 1 && s[0] == '0'))
		return 0;
	*out = v;
	return n;
}

/* MAJOR.MINOR at the start of s: the characters read, or 0. */
static size_t version_prefix(const char *s, struct kgen *g)
{
	size_t a = version_number(s, &g->major), b;

	if (!a || s[a] != '.')
		return 0;
	b = version_number(s + a + 1, &g->minor);
	return b ? a + 1 + b : 0;
}

/* A generation apctl can model: 0, or 1 with *g clamped and the reason in d. */
static int kgen_known(struct kgen *g, const char *what, struct diag *d)
{
	char gen[KGEN_STR_MAX], known[KGEN_STR_MAX];

	kgen_format(*g, gen);
	if (kgen_cmp(*g, KGEN_NEWEST) > 0) {
		*g = KGEN_NEWEST;
		diag_set(d, "%s %s is newer than the newest generation apctl knows; it is taken as "
			 "%s, since 7.0 to 7.2 changed nothing in vfio_ap", what, gen,
			 kgen_format(KGEN_NEWEST, known));
		return 1;
	}
	if (kgen_cmp(*g, KGEN_OLDEST) < 0) {
		*g = KGEN_OLDEST;
		diag_set(d, "%s %s is older than the oldest generation apctl knows; it is taken as "
			 "%s", what, gen, kgen_format(KGEN_OLDEST, known));
		return 1;
	}
	return 0;
}

int kgen_parse(const char *s, struct kgen *g, struct diag *d)
{
	struct kgen v;
	size_t n = version_prefix(s, &v);
	char oldest[KGEN_STR_MAX];

	if (!n || s[n]) {
		diag_set(d, "'%s' is not a kernel generation: write MAJOR.MINOR in decimal without "
			 "leading zeros, e.g. 6.19", s);
		return -EINVAL;
	}
	if (kgen_cmp(v, KGEN_OLDEST) < 0) {
		diag_set(d, "kernel %s is older than the oldest generation apctl knows, %s", s,
			 kgen_format(KGEN_OLDEST, oldest));
		return -EINVAL;
	}
	*g = v;
	return kgen_known(g, "kernel", d);
}

int kgen_from_release(const char *release, struct kgen *g, struct diag *d)
{
	struct kgen v;
	size_t n = version_prefix(release, &v);

	/* "6.19.0-rc3", "5.14.0-362.el9.s390x", "6.1.0+", "7.1" */
	if (!n || (release[n] && !strchr(".-+_~\n", release[n]))) {
		diag_set(d, "the kernel release '%.*s' does not start with MAJOR.MINOR",
			 (int)strcspn(release, "\n"), release);
		return -EINVAL;
	}
	*g = v;
	return kgen_known(g, "kernel release", d);
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
	case KF_EUSERS:
		return (struct kgen){ 6, 1 };
	case KF_BUS_FEATURES:
		return (struct kgen){ 6, 4 };
	case KF_AP_CONFIG:
		return (struct kgen){ 6, 10 };
	case KF_MATRIX_FEATURES:
		return (struct kgen){ 6, 12 };
	case KF_NEW_LOG_TEXT:
		return (struct kgen){ 6, 15 };
	case KF_INUSE_ALL_BITS:
	case KF_DRIVER_OVERRIDE:
	case KF_DEPTH_PLUS_ONE:
		return (struct kgen){ 6, 19 };
	case KF_VFIO_STATUS:
		return (struct kgen){ 5, 17 };
	case KF_CHKSTOP:
		return (struct kgen){ 5, 18 };
	case KF_UEVENT_MODE:
		return (struct kgen){ 5, 14 };
	case KF_QUEUE_FUNCTIONS:
		return (struct kgen){ 6, 4 };
	case KF_VFIO_CDEV:
		return (struct kgen){ 6, 6 };
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

bool rules_overrides_allowed(const struct idset *apmask, const struct idset *aqmask)
{
	struct idset all;

	idset_fill(&all);
	return idset_equal(apmask, &all) && idset_equal(aqmask, &all);
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
	guest->adm = rules_guest_cdoms(assigned, host);
}

struct idset rules_guest_cdoms(const struct ap_matrix *assigned, const struct ap_matrix *host)
{
	return idset_and(&assigned->adm, &host->adm);
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

void khits_free(struct khits *h)
{
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}

static void hit(struct khits *h, unsigned a, unsigned d, int mdev)
{
	if (!h)
		return;
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		struct khit *v = realloc(h->v, cap * sizeof(*v));

		if (!v)
			return;
		h->v = v;
		h->cap = cap;
	}
	h->v[h->n++] = (struct khit){ a, d, mdev };
}

bool rules_apqn_host_owned(const struct kview *k, unsigned a, unsigned d)
{
	/* 6.19: with an override, only the driver bound counts */
	if (k->overridden && apqnset_has(k->overridden, a, d))
		return apqnset_has(k->dflt, a, d);
	return rules_default_owned(&k->apmask, &k->aqmask, a, d);
}

int rules_validate_masks(const struct kview *k, size_t self, const struct idset *apm,
			 const struct idset *aqm, struct khits *hits, bool all_mdevs)
{
	int rc = 0;

	/* every APQN of the product, the maxima notwithstanding */
	idset_foreach(a, apm)
		idset_foreach(d, aqm)
			if (rules_apqn_host_owned(k, (unsigned)a, (unsigned)d)) {
				hit(hits, (unsigned)a, (unsigned)d, -1);
				rc = -EADDRNOTAVAIL;
			}
	return rc ? rc : rules_shared(k, self, apm, aqm, hits, all_mdevs);
}

int rules_shared(const struct kview *k, size_t self, const struct idset *apm,
		 const struct idset *aqm, struct khits *hits, bool all_mdevs)
{
	int rc = 0;

	for (size_t i = k->nmdevs; i-- > 0;) {
		struct idset oa, oq;

		if (i == self || !rules_matrix_overlap(k->matrix[i], apm, aqm, &oa, &oq))
			continue;
		idset_foreach(a, &oa)
			idset_foreach(d, &oq)
				hit(hits, (unsigned)a, (unsigned)d, (int)i);
		rc = -EADDRINUSE;
		if (!all_mdevs)
			break;
	}
	return rc;
}

int rules_mask_write(const struct kview *k, bool is_apmask, const struct idset *new_,
		     struct khits *hits, bool all_mdevs)
{
	const struct idset *old = is_apmask ? &k->apmask : &k->aqmask;
	const struct idset *other = is_apmask ? &k->aqmask : &k->apmask;
	struct idset ra, rq;

	if (kgen_has(k->g, KF_DRIVER_OVERRIDE) && k->overridden && !apqnset_empty(k->overridden))
		return -EINVAL;
	if (idset_equal(new_, old) || !rules_mask_inuse_checked(k->g) || !k->vfio_loaded)
		return 0;
	rules_mask_inuse_region(k->g, is_apmask, old, new_, other, &ra, &rq);
	return rules_shared(k, RULES_NO_MDEV, &ra, &rq, hits, all_mdevs) ? -EBUSY : 0;
}

const char *assign_kind_name(enum assign_kind kind)
{
	switch (kind) {
	case ASSIGN_ADAPTER:
		return "adapter";
	case ASSIGN_DOMAIN:
		return "domain";
	default:
		return "control domain";
	}
}

void matrix_edit(struct ap_matrix *m, const struct ap_matrix *ids, bool add,
		 struct ap_matrix *changed)
{
	for (int kind = ASSIGN_ADAPTER; kind <= ASSIGN_CONTROL_DOMAIN; kind++) {
		struct idset *have = matrix_ids(m, kind), *ch = matrix_ids(changed, kind);
		const struct idset *edit = matrix_ids(ids, kind);

		*ch = add ? idset_minus(edit, have) : idset_and(edit, have);
		*have = add ? idset_or(have, ch) : idset_minus(have, ch);
	}
}

const char *assign_attr_name(enum assign_kind kind, bool assign)
{
	static const char *const names[2][3] = {
		{ "unassign_adapter", "unassign_domain", "unassign_control_domain" },
		{ "assign_adapter", "assign_domain", "assign_control_domain" },
	};

	return names[assign][kind];
}

int rules_mdev_busy(const struct kview *k, size_t self)
{
	return !kgen_has(k->g, KF_DYNAMIC) && k->attached[self] ? -EBUSY : 0;
}

static unsigned kind_max(const struct kview *k, enum assign_kind kind)
{
	return kind == ASSIGN_ADAPTER ? k->max_adapter : k->max_domain;
}

/*
 * Before 6.0, assign_adapter and assign_domain want the queues bound to
 * vfio_ap: every APQN with the IDs already assigned on the other side, or,
 * with none, at least one queue of the ID.
 */
static bool old_queues_reserved(const struct kview *k, enum assign_kind kind, unsigned id,
				const struct ap_matrix *m)
{
	const struct idset *other = kind == ASSIGN_ADAPTER ? &m->aqm : &m->apm;

	if (idset_empty(other)) {
		for (unsigned x = 0; x < IDSET_BITS; x++)
			if (kind == ASSIGN_ADAPTER ? apqnset_has(k->vfio, id, x) :
						     apqnset_has(k->vfio, x, id))
				return true;
		return false;
	}
	idset_foreach(x, other)
		if (!(kind == ASSIGN_ADAPTER ? apqnset_has(k->vfio, id, (unsigned)x) :
					       apqnset_has(k->vfio, (unsigned)x, id)))
			return false;
	return true;
}

int rules_assign(const struct kview *k, size_t self, enum assign_kind kind, unsigned long id,
		 struct ap_matrix *out, struct khits *hits, bool all_mdevs)
{
	bool dynamic = kgen_has(k->g, KF_DYNAMIC);
	struct ap_matrix m = *k->matrix[self];
	int rc = rules_mdev_busy(k, self);

	if (rc)
		return rc;
	if (id > kind_max(k, kind))
		return -ENODEV;
	if (dynamic && idset_has(matrix_ids(&m, kind), (unsigned)id)) {
		*out = m;
		return 0;
	}
	if (kind != ASSIGN_CONTROL_DOMAIN) {
		if (!dynamic && !old_queues_reserved(k, kind, (unsigned)id, &m)) {
			/* the queues that are not bound to vfio_ap */
			const struct idset *other = kind == ASSIGN_ADAPTER ? &m.aqm : &m.apm;

			idset_foreach(x, other)
				if (!(kind == ASSIGN_ADAPTER ?
					      apqnset_has(k->vfio, (unsigned)id, (unsigned)x) :
					      apqnset_has(k->vfio, (unsigned)x, (unsigned)id)))
					hit(hits, kind == ASSIGN_ADAPTER ? (unsigned)id : (unsigned)x,
					    kind == ASSIGN_ADAPTER ? (unsigned)x : (unsigned)id, -1);
			return -EADDRNOTAVAIL;
		}
		idset_add(matrix_ids(&m, kind), (unsigned)id);
		if (dynamic) {
			rc = rules_validate_masks(k, self, &m.apm, &m.aqm, hits, all_mdevs);
		} else {
			/* only sharing is left to check before 6.0 */
			struct idset none = { { 0 } };
			struct kview open = *k;

			open.apmask = none;
			open.aqmask = none;
			open.overridden = NULL;
			rc = rules_validate_masks(&open, self, &m.apm, &m.aqm, hits, all_mdevs);
		}
		if (rc)
			return rc;
	} else {
		idset_add(&m.adm, (unsigned)id);
	}
	*out = m;
	return 0;
}

int rules_unassign(const struct kview *k, size_t self, enum assign_kind kind, unsigned long id,
		   struct ap_matrix *out)
{
	struct ap_matrix m = *k->matrix[self];
	int rc = rules_mdev_busy(k, self);

	if (rc)
		return rc;
	if (id > kind_max(k, kind))
		return -ENODEV;
	idset_del(matrix_ids(&m, kind), (unsigned)id);
	*out = m;
	return 0;
}

int rules_ap_config(const struct kview *k, size_t self, const struct ap_matrix *m,
		    struct khits *hits, bool all_mdevs)
{
	struct idset upa = idset_upto(k->max_adapter), upd = idset_upto(k->max_domain);
	int rc = rules_validate_masks(k, self, &m->apm, &m->aqm, hits, all_mdevs);

	if (rc)
		return rc;
	if (!idset_subset(&m->apm, &upa) || !idset_subset(&m->aqm, &upd) ||
	    !idset_subset(&m->adm, &upd))
		return -ENODEV;
	return 0;
}

int rules_no_instances(struct kgen g)
{
	return kgen_has(g, KF_EUSERS) ? -EUSERS : -EPERM;
}

int rules_remove(const struct kview *k, size_t self)
{
	if (!k->attached[self])
		return 0;
	return kgen_has(k->g, KF_REMOVE_BLOCKS) ? -EINPROGRESS : -EBUSY;
}

void rules_guest_after(const struct kview *k, const struct ap_matrix *old,
		       const struct ap_matrix *m, const struct ap_matrix *guest_before,
		       struct ap_matrix *guest)
{
	struct idset added_a = idset_minus(&m->apm, &old->apm);
	struct idset added_q = idset_minus(&m->aqm, &old->aqm);

	if (!idset_empty(&added_a) || !idset_empty(&added_q)) {
		rules_guest_matrix(m, &k->host, k->vfio, guest);
	} else {
		guest->apm = idset_and(&guest_before->apm, &m->apm);
		guest->aqm = idset_and(&guest_before->aqm, &m->aqm);
	}
	guest->adm = rules_guest_cdoms(m, &k->host);
}

enum missing_reason rules_explain_missing(const struct kview *k, const struct ap_matrix *m,
					  unsigned a, unsigned d, unsigned *other_domain)
{
	struct idset doms;

	if (!idset_has(&k->host.apm, a))
		return MISSING_ADAPTER_NOT_IN_HOST;
	if (!idset_has(&k->host.aqm, d))
		return MISSING_DOMAIN_NOT_IN_HOST;
	if (!apqnset_has(k->queues, a, d))
		return MISSING_NO_QUEUE;
	if (!apqnset_has(k->vfio, a, d))
		return rules_apqn_host_owned(k, a, d) ? MISSING_HOST_OWNED : MISSING_NOT_BOUND;
	doms = idset_and(&m->aqm, &k->host.aqm);
	idset_foreach(x, &doms) {
		if (!apqnset_has(k->vfio, a, (unsigned)x)) {
			*other_domain = (unsigned)x;
			return MISSING_ADAPTER_FILTERED;
		}
	}
	return MISSING_HISTORY;
}

void rules_log_sharing(struct kgen g, const char *self, const char *other, unsigned a,
		       unsigned d, char buf[LOG_LINE_MAX])
{
	if (kgen_has(g, KF_NEW_LOG_TEXT))
		snprintf(buf, LOG_LINE_MAX,
			 "vfio_ap_mdev %s: Userspace may not assign queue %02x.%04x to mdev: "
			 "already assigned to %s", self, a, d, other);
	else
		snprintf(buf, LOG_LINE_MAX,
			 "vfio_ap_mdev %s: Userspace may not re-assign queue %02x.%04x already "
			 "assigned to %s", other, a, d, other);
}
