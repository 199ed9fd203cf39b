/* SPDX-License-Identifier: MIT */
/*
 * The kernel's decisions, as functions. Both the validation ahead of time and
 * the sandbox's emulated kernel call these; nothing else re-derives them.
 * Section numbers refer to the behaviour reference (kernel-ap-sysfs.md).
 */
#ifndef APCTL_RULES_H
#define APCTL_RULES_H

#include <stdbool.h>

#include "apqn.h"
#include "diag.h"
#include "idset.h"

/* A kernel generation: the version whose AP and vfio_ap behaviour applies. */
struct kgen {
	unsigned major, minor;
};

#define KGEN_OLDEST ((struct kgen){ 5, 10 })
#define KGEN_NEWEST ((struct kgen){ 6, 19 })
#define KGEN_STR_MAX 16

/*
 * "6.19", strictly: MAJOR.MINOR in decimal, no sign, no leading zero, at most
 * three digits each. 0; 1 for a version newer than the newest generation
 * known, which *g is then (the note in *d); -EINVAL for another form or a
 * version older than 5.10.
 */
int kgen_parse(const char *s, struct kgen *g, struct diag *d);
/*
 * The generation of a kernel release as uname prints it ("6.19.0-rc3",
 * "5.14.0-362.el9.s390x"): 0; 1 when it is outside the generations known and
 * *g is the nearest one (the note in *d); -EINVAL when it does not start with
 * MAJOR.MINOR.
 */
int kgen_from_release(const char *release, struct kgen *g, struct diag *d);
const char *kgen_format(struct kgen g, char buf[KGEN_STR_MAX]);
int kgen_cmp(struct kgen a, struct kgen b);

/* Behaviour that changed between kernel generations (section 6). */
enum kfeature {
	KF_BUS_SCANS,          /* 5.11: bus attributes scans and bindings */
	KF_REMOVE_BLOCKS,      /* 5.13: removing an mdev in use blocks instead of EBUSY */
	KF_DYNAMIC,            /* 6.0: guest_matrix, hot plug, mask in-use check */
	KF_EUSERS,             /* 6.1: no instances left is EUSERS, not EPERM */
	KF_BUS_FEATURES,       /* 6.4: bus attribute features */
	KF_AP_CONFIG,          /* 6.10: mdev attribute ap_config */
	KF_MATRIX_FEATURES,    /* 6.12: matrix device attribute features */
	KF_NEW_LOG_TEXT,       /* 6.15: new kernel log texts for sharing and in-use */
	KF_INUSE_ALL_BITS,     /* 6.19: mask in-use check against all IDs */
	KF_DRIVER_OVERRIDE,    /* 6.19: queue driver_override, bindings_complete_count */
	KF_DEPTH_PLUS_ONE,     /* 6.19: card depth is TAPQ's queue depth field plus one */
	KF_VFIO_STATUS,        /* 5.17: vfio_ap queue attribute status */
	KF_CHKSTOP,            /* 5.18: card and queue chkstop */
	KF_UEVENT_MODE,        /* 5.14: MODE= in uevents, card max_msg_size */
	KF_QUEUE_FUNCTIONS,    /* 6.4: queue ap_functions */
	KF_VFIO_CDEV,          /* 6.6: the mdev's own device file for iommufd, vfio-dev/vfioN */
};
bool kgen_has(struct kgen g, enum kfeature f);
/* The first generation with f. */
struct kgen kfeature_since(enum kfeature f);

/* Highest IDs when the AP configuration says nothing (section 5). */
#define AP_DEFAULT_MAX_ADAPTER 63
#define AP_DEFAULT_MAX_DOMAIN 15
/* available_instances of a vfio_ap-passthrough type without mdevs */
#define VFIO_AP_MAX_INSTANCES 65536

/*
 * An APQN belongs to the host's default drivers iff its adapter's apmask bit
 * and its domain's aqmask bit are both set (ap_owned_by_def_drv, section 3).
 */
bool rules_default_owned(const struct idset *apmask, const struct idset *aqmask,
			 unsigned adapter, unsigned domain);

/*
 * 6.19: a queue may have a driver_override only while both masks are all ones;
 * the store refuses it otherwise (section 3.8).
 */
bool rules_overrides_allowed(const struct idset *apmask, const struct idset *aqmask);

/* The driver a queue device is bound to after a bus revision (section 7). */
enum queue_driver {
	QDRV_NONE,
	QDRV_DEFAULT, /* cex4queue */
	QDRV_VFIO,    /* vfio_ap */
	QDRV_OTHER,   /* a driver apctl does not know */
};
enum queue_driver rules_queue_binding(bool default_owned, unsigned hwtype, bool default_loaded,
				      bool vfio_loaded);

/* vfio_ap's queue attribute status (section 2.3). */
enum vfio_status {
	VFIO_STATUS_UNASSIGNED,
	VFIO_STATUS_ASSIGNED,
	VFIO_STATUS_IN_USE,
};
/*
 * assigned: the APQN is in some mdev's matrix; attached: that mdev is used by
 * a guest; in_guest: the APQN is in that mdev's guest_matrix.
 */
enum vfio_status rules_vfio_status(struct kgen g, bool assigned, bool attached, bool in_guest);
const char *vfio_status_name(enum vfio_status s);

/*
 * The guest_matrix filter (section 4.1): adapters and domains not in the host
 * configuration are dropped; then an adapter is dropped if any APQN of it with
 * a remaining domain is not ready (not a queue bound to vfio_ap in a passable
 * state). Control domains are only filtered by the host configuration. With
 * no host configuration (QCI unavailable), host is all zeros.
 */
void rules_guest_matrix(const struct ap_matrix *assigned, const struct ap_matrix *host,
			const struct apqnset *ready, struct ap_matrix *guest);
/*
 * The guest's control domains (vfio_ap_mdev_filter_cdoms): those assigned
 * that the host configuration has. control_domains shows the assigned ones.
 */
struct idset rules_guest_cdoms(const struct ap_matrix *assigned, const struct ap_matrix *host);

/*
 * A write to apmask (is_apmask) or aqmask that sets bits moves APQNs to the
 * host's default drivers. The kernel's in-use check (section 3.1, step 5)
 * asks vfio_ap whether any mdev holds an APQN of a region: the newly set IDs
 * times the current other mask (6.0 to 6.18), or times every ID (6.19 and
 * later). Before 6.0 the kernel checks nothing; the region is then what moves
 * to the host, for apctl's own check. Empty when no bit is set.
 */
void rules_mask_inuse_region(struct kgen g, bool is_apmask, const struct idset *old,
			     const struct idset *new_, const struct idset *other,
			     struct idset *region_apm, struct idset *region_aqm);
/* Whether the kernel refuses a mask write that takes APQNs from an mdev (EBUSY). */
bool rules_mask_inuse_checked(struct kgen g);

/* The APQNs of m's matrix inside apm x aqm: (m.apm & apm) x (m.aqm & aqm). */
bool rules_matrix_overlap(const struct ap_matrix *m, const struct idset *apm,
			  const struct idset *aqm, struct idset *oapm, struct idset *oaqm);

/*
 * A queue left vfio_ap (unbound or removed): if it was in the guest's APCB,
 * its adapter leaves the guest (section 4.3); nothing is recomputed.
 */
void rules_guest_queue_gone(struct ap_matrix *guest, unsigned adapter, unsigned domain);

/* The kernel's log line when the in-use check finds APQN (a, d) held by mdev holder. */
#define LOG_LINE_MAX 256
void rules_log_inuse(struct kgen g, const char *holder, unsigned a, unsigned d,
		     char buf[LOG_LINE_MAX]);

/*
 * What the kernel knows when it decides on an mdev write: the masks, the
 * maxima, the host configuration, the queue devices and their drivers, and
 * every mdev's matrix in creation order (oldest first; the kernel searches
 * the newest first).
 */
struct kview {
	struct kgen g;
	struct idset apmask, aqmask;
	unsigned max_adapter, max_domain;
	struct ap_matrix host;
	const struct apqnset *queues;     /* queue devices */
	const struct apqnset *vfio;       /* bound to vfio_ap */
	const struct apqnset *dflt;       /* bound to a default driver */
	const struct apqnset *overridden; /* with a driver_override (6.19), or NULL */
	bool vfio_loaded;                 /* vfio_ap is registered on the AP bus */
	size_t nmdevs;
	const struct ap_matrix *const *matrix;
	const bool *attached;             /* a guest uses the mdev */
};

/* An APQN that makes the kernel refuse: owned by the host (mdev -1) or held by mdev. */
struct khit {
	unsigned a, d;
	int mdev;
};

struct khits {
	struct khit *v;
	size_t n, cap;
};
void khits_free(struct khits *h);

/* No mdev: the self of an in-use check, which every mdev is checked against. */
#define RULES_NO_MDEV ((size_t)-1)

/*
 * vfio_ap_mdev_verify_no_sharing(): -EADDRINUSE when an mdev other than self
 * holds an APQN of apm x aqm, else 0. The mdevs are searched newest first,
 * and the kernel stops at the first; its APQNs are added to hits (if not
 * NULL), or with all_mdevs those of every mdev. With self RULES_NO_MDEV this
 * is the in-use check of a mask write.
 */
int rules_shared(const struct kview *k, size_t self, const struct idset *apm,
		 const struct idset *aqm, struct khits *hits, bool all_mdevs);

/*
 * vfio_ap_mdev_validate_masks() for mdev self with the matrix apm x aqm:
 * -EADDRNOTAVAIL when an APQN of it belongs to the host's default drivers,
 * else -EADDRINUSE when another mdev holds one, else 0. The APQNs are added to
 * hits (if not NULL): for EADDRINUSE those of the newest such mdev, as the
 * kernel finds them, or with all_mdevs those of every mdev.
 */
int rules_validate_masks(const struct kview *k, size_t self, const struct idset *apm,
			 const struct idset *aqm, struct khits *hits, bool all_mdevs);

/*
 * An apmask (is_apmask) or aqmask store of the mask new_, already parsed
 * (section 3.1, steps 2 to 5): -EINVAL while a queue has a driver_override
 * (6.19); 0 for an unchanged mask; -EBUSY when vfio_ap's in-use check finds an
 * mdev holding an APQN of the region (vfio_ap answers EADDRINUSE, which the AP
 * bus turns into EBUSY), its APQNs added to hits (every mdev's with
 * all_mdevs); else 0. Kernels before 6.0 check nothing.
 */
int rules_mask_write(const struct kview *k, bool is_apmask, const struct idset *new_,
		     struct khits *hits, bool all_mdevs);

/* Whether APQN (a, d) belongs to the host's default drivers (6.19: overrides too). */
bool rules_apqn_host_owned(const struct kview *k, unsigned a, unsigned d);

enum assign_kind {
	ASSIGN_ADAPTER,
	ASSIGN_DOMAIN,
	ASSIGN_CONTROL_DOMAIN,
};
const char *assign_kind_name(enum assign_kind kind); /* "adapter", "domain", ... */
/* The IDs of this kind in a matrix: apm, aqm or adm (const or not, as strchr()) */
static inline struct idset *matrix_ids(const struct ap_matrix *m, enum assign_kind kind)
{
	return (struct idset *)(kind == ASSIGN_ADAPTER ? &m->apm :
				kind == ASSIGN_DOMAIN ? &m->aqm : &m->adm);
}
/*
 * Adds the IDs of ids to m (or takes them away); *changed gets those that
 * really come (or go): what is assigned already needs no write.
 */
void matrix_edit(struct ap_matrix *m, const struct ap_matrix *ids, bool add,
		 struct ap_matrix *changed);
/* The mdev attribute that assigns (or unassigns) an ID of this kind: "assign_adapter", ... */
const char *assign_attr_name(enum assign_kind kind, bool assign);

/*
 * Before 6.0 every assign and unassign store answers EBUSY first, before it
 * even parses its value, while a guest uses the mdev.
 */
int rules_mdev_busy(const struct kview *k, size_t self);

/*
 * assign_adapter, assign_domain, assign_control_domain of id to mdev self
 * (sections 3.2 to 3.4, 3.10), the value already parsed: 0 with the new
 * matrix in *out (unchanged for an ID already assigned on 6.0 and later), or
 * the kernel's -errno.
 */
int rules_assign(const struct kview *k, size_t self, enum assign_kind kind, unsigned long id,
		 struct ap_matrix *out, struct khits *hits, bool all_mdevs);

/* unassign_* (section 3.5): 0 with the new matrix in *out, or -errno. */
int rules_unassign(const struct kview *k, size_t self, enum assign_kind kind, unsigned long id,
		   struct ap_matrix *out);

/*
 * An ap_config write of the three masks (section 3.6): ownership, then
 * sharing, then the maxima. 0 or -errno.
 */
int rules_ap_config(const struct kview *k, size_t self, const struct ap_matrix *m,
		    struct khits *hits, bool all_mdevs);

/* create when no instance is left: EUSERS (6.1 and later) or EPERM. */
int rules_no_instances(struct kgen g);

/*
 * remove of mdev self: 0; -EBUSY while a guest uses it before 5.13;
 * -EINPROGRESS where the write blocks until the guest lets go.
 */
int rules_remove(const struct kview *k, size_t self);

/*
 * The guest after the matrix of mdev self changes from old to m: computed
 * again when an adapter or a domain was added (section 4.2), else the IDs
 * removed leave it (4.3); control domains filtered by the host. ready: queues
 * bound to vfio_ap.
 */
void rules_guest_after(const struct kview *k, const struct ap_matrix *old,
		       const struct ap_matrix *m, const struct ap_matrix *guest_before,
		       struct ap_matrix *guest);

/* Why an APQN of an mdev's matrix is not in its guest_matrix. */
enum missing_reason {
	MISSING_ADAPTER_NOT_IN_HOST,
	MISSING_DOMAIN_NOT_IN_HOST,
	MISSING_NO_QUEUE,         /* no queue device */
	MISSING_HOST_OWNED,       /* the host's default drivers have it */
	MISSING_NOT_BOUND,        /* not bound to vfio_ap (unbound, or another driver) */
	MISSING_ADAPTER_FILTERED, /* another queue of the adapter is not ready: *other_domain */
	MISSING_HISTORY,          /* left out since an earlier unassign (section 4.3) */
};
enum missing_reason rules_explain_missing(const struct kview *k, const struct ap_matrix *m,
					  unsigned a, unsigned d, unsigned *other_domain);

/* The kernel's log line when an assignment shares an APQN with mdev other. */
void rules_log_sharing(struct kgen g, const char *self, const char *other, unsigned a,
		       unsigned d, char buf[LOG_LINE_MAX]);

/*
 * The domain the AP bus picks as its default (ap_select_domain): of the
 * domains in the host configuration and in aqmask, the one with the most
 * queues, the lowest on a tie; -1 if there is none.
 */
int rules_default_domain(const struct apqnset *queues, const struct idset *aqmask);

#endif
