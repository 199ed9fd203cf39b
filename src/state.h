/* SPDX-License-Identifier: MIT */
/*
 * The AP state of a root read into the model: bus, host configuration, masks,
 * cards, queue devices and their drivers, mdevs. Read whole, bound queues
 * come from the driver directories, so the cost grows by one directory entry
 * per queue and no file per queue is opened. Read lazily (a change), only the
 * bus and the mdevs' matrices come first, and then what the change reaches,
 * one driver link per queue. Only what sysfs shows is read here; whoever opens
 * a root adds what it knows besides (an emulated kernel's own memory, the
 * kernel generation).
 */
#ifndef APCTL_STATE_H
#define APCTL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apqn.h"
#include "cardtype.h"
#include "diag.h"
#include "idset.h"
#include "rules.h"
#include "sysfs.h"
#include "uuid.h"

#define SERIALNR_MAX 24

struct ap_card {
	char type[CARD_TYPE_STR_MAX]; /* "CEX5C"; "" without the zcrypt card driver */
	int hwtype;
	int raw_hwtype;   /* only with STATE_DETAILS */
	int depth;        /* TAPQ's queue depth field (0-7); only with STATE_DETAILS */
	int online;       /* what online reads: -1 when unknown */
	int config;       /* 1 configured, 0 not (SCLP); -1 when unknown */
	int chkstop;      /* 1 checkstopped, 0 not; -1 when unknown */
	bool zoffline;    /* set offline in zcrypt, whatever config and chkstop say */
	uint32_t functions;
	char serialnr[SERIALNR_MAX]; /* CCA and EP11 cards; "" when unknown */
};

struct ap_mdev {
	char uuid[UUID_STR_MAX];
	struct ap_matrix matrix; /* what was assigned */
	struct ap_matrix guest;  /* guest_matrix and the guest's control domains */
	bool has_guest;          /* the kernel shows guest_matrix (6.0 and later) */
	int in_use;              /* 1 in use by a guest, 0 not, -1 unknown */
	char guest_name[64];     /* the guest that uses it, or "" when unknown */
	int guest_pid;           /* the process that holds its vfio device, or 0 */
	char guest_device[48];   /* the file it holds: /dev/vfio/GROUP, or with iommufd
				    /dev/vfio/devices/vfioN; "" when unknown */
	bool guest_iommufd;      /* the guest holds the device through iommufd */
	int iommu_group;         /* the number of its VFIO group (its iommu_group link), or -1 */
	int vfio_dev;            /* emulated kernel: N of vfio-dev/vfioN, or -1 (before 6.6) */
	bool removing;           /* a remove waits for the guest to let go (emulated kernel) */
	int incomplete;          /* 0, or the -errno of a file that could not be read */
};

#define STATE_MAX_DRIVERS 16
#define DRIVER_NAME_MAX 32

struct ap_driver_info {
	char name[DRIVER_NAME_MAX];
	enum queue_driver kind;
};

struct ap_override {
	uint8_t adapter, domain;
	char driver[DRIVER_NAME_MAX];
};

/* Where the kernel generation of a state comes from. */
enum kernel_source {
	KERNEL_EVIDENCE,  /* the oldest generation with everything sysfs offers */
	KERNEL_RELEASE,   /* the kernel's release (uname), sysfs's evidence not above it */
	KERNEL_BACKPORT,  /* sysfs offers more than the release has: the evidence wins */
	KERNEL_GIVEN,     /* --kernel or APCTL_KERNEL */
	KERNEL_SANDBOX,   /* the generation a sandbox emulates */
};

/* What the opener of a root knows of its kernel. */
struct kernel_hint {
	enum kernel_source source; /* KERNEL_EVIDENCE: nothing */
	struct kgen gen;
};

struct mdev_index; /* state-query.c */

/*
 * What a lazy read (STATE_LAZY) has read in full so far; the rest of the
 * state stays as if absent: queues unknown, cards without attributes, mdevs
 * without their guests.
 */
struct state_scope {
	struct idset cards;      /* cards whose attributes are read */
	struct apqnset apqns;    /* queues whose device and driver are read */
	bool groups;             /* every mdev's VFIO group is read */
	bool guests;             /* the guests of mdevs without queues are read */
};

struct ap_state {
	bool sandbox;
	struct kgen kernel;
	enum kernel_source kernel_source;
	struct kgen evidence;    /* the oldest generation with everything sysfs offers */

	bool qci;                /* the host configuration is known */
	struct ap_matrix host;   /* ap_adapter_mask, ap_usage_domain_mask, ... */
	unsigned max_adapter;
	unsigned max_domain;
	struct idset apmask;
	struct idset aqmask;
	int ap_domain;           /* -1: none */
	bool has_features;
	char features[128];      /* bus features, without the newline */
	bool has_matrix_features;
	char matrix_features[128];

	struct idset cards;                  /* card devices */
	struct ap_card card[IDSET_BITS];
	struct apqnset queues;               /* queue devices */
	struct apqnset qoffline;             /* queues set offline in zcrypt */
	struct apqnset mkvps_kept;           /* sandbox: master key patterns kept from a copy */
	/* the drivers registered on the AP bus, and which one each queue has */
	struct ap_driver_info drivers[STATE_MAX_DRIVERS];
	size_t ndrivers;
	uint8_t qdrv[IDSET_BITS][IDSET_BITS]; /* 0 unbound, else 1 + index in drivers */
	bool default_loaded;     /* cex4queue is registered */
	bool vfio_loaded;        /* vfio_ap is registered on the AP bus */
	bool matrix_present;     /* the vfio_ap matrix device exists */
	long available_instances;

	struct ap_mdev *mdevs;   /* in directory order; oldest first in a sandbox */
	size_t nmdevs, capmdevs;
	/*
	 * The mdevs by UUID, made by the first state_find_mdev(): whoever moves,
	 * removes or replaces mdevs calls state_mdevs_changed(), whoever adds one
	 * at the end state_mdev_added().
	 */
	struct mdev_index *index;

	/*
	 * A sandbox whose AP bus rebinds after a delay: the masks the bindings
	 * still follow, and when they will follow the new ones (ms since the epoch).
	 */
	unsigned rebind_delay_ms;
	bool rebind_pending;
	struct idset bound_apmask, bound_aqmask;
	long long rebind_due;

	/* queues with a driver_override (6.19), as far as STATE_OVERRIDES* read them */
	struct ap_override *overrides;
	size_t noverrides;
	bool overrides_all;      /* every queue's was read */

	unsigned flags;          /* what it was read with */
	/*
	 * A lazy read: what of it is read (state_fill() reads more); NULL when
	 * all is. The guest of an mdev is read where a queue of its matrix is.
	 */
	struct state_scope *scope;
};

enum state_flags {
	STATE_DETAILS = 1 << 0,       /* every card attribute, to copy a system */
	STATE_OVERRIDES = 1 << 1,     /* driver_overrides where they decide ownership */
	STATE_OVERRIDES_ALL = 1 << 2, /* every queue's driver_override (they block mask writes) */
	STATE_GUESTS = 1 << 3,        /* guest_matrix, whether a guest uses each mdev, its group */
	STATE_QUEUE_STATES = 1 << 4,  /* each queue's online, to copy a system */
	/*
	 * Only the bus, the cards present, the drivers' names and the mdevs'
	 * matrices: state_fill() reads the rest where it is needed.
	 */
	STATE_LAZY = 1 << 5,
};

/*
 * Reads the state of s. hint (or NULL) says what is known of the kernel
 * generation besides sysfs's evidence. 0, or -ENOENT when there is no AP bus
 * under the root (message in *d), or another -errno.
 */
int state_read(struct sysfs *s, unsigned flags, const struct kernel_hint *hint,
	       struct ap_state **out, struct diag *d);
void state_free(struct ap_state *st);
/* A deep copy, or NULL when out of memory. */
struct ap_state *state_dup(const struct ap_state *st);
/*
 * A lazy state read again as far as it was read (what a change that reached
 * no further can have changed): the bus, the queues, cards and guests of its
 * scope, the mdevs. 0 or -errno.
 */
int state_reread(struct sysfs *s, struct ap_state *st);
/* Reads the mdevs and their guests again, and nothing else: 0 or -errno. */
int state_reread_mdevs(struct sysfs *s, struct ap_state *st);
/* Reads again which driver each queue is bound to (the driver directories only). */
int state_read_bindings(struct sysfs *s, struct ap_state *st);
/* The same for the queues of q alone (by their driver links, where that costs less). */
int state_read_bindings_of(struct sysfs *s, struct ap_state *st, const struct apqnset *q);
/*
 * A lazy state read further (state-scope.c): the queues of want->apqns with
 * their drivers (and overrides, as st's flags ask), the attributes of the
 * cards of want->cards and of those queues, the guests of the mdevs whose
 * matrices reach those queues (all the queues of their matrices read too),
 * and with want->groups every mdev's VFIO group. want NULL, or a want that a
 * read of everything costs less than, reads all that st's flags ask, as
 * state_read() without STATE_LAZY. 0 or -errno.
 */
int state_fill(struct sysfs *s, struct ap_state *st, const struct state_scope *want);

/* ---- questions to a state (state-query.c) ---- */

/*
 * Why card a, or queue (a, d), cannot be used: "configured off",
 * "checkstopped", "offline" (in zcrypt), or NULL when it can. A queue shares
 * its card's config and chkstop.
 */
const char *state_card_unusable(const struct ap_state *st, unsigned a);
const char *state_queue_unusable(const struct ap_state *st, unsigned a, unsigned d);

/* 1 + the index of the driver called name, or 0. */
uint8_t state_driver_named(const struct ap_state *st, const char *name);
/* 1 + the index of the first driver of this kind, or 0 (unbound). */
uint8_t state_driver_slot(const struct ap_state *st, enum queue_driver kind);
/* Records that queue (a, d) has a driver_override naming driver. */
int state_add_override(struct ap_state *st, unsigned a, unsigned d, const char *driver);
/* The index of queue (a, d) in st->overrides, or -1. */
int state_find_override(const struct ap_state *st, unsigned a, unsigned d);

enum queue_driver state_queue_driver(const struct ap_state *st, unsigned a, unsigned d);
/* The name of the driver a queue is bound to, or NULL. */
const char *state_queue_driver_name(const struct ap_state *st, unsigned a, unsigned d);
/*
 * Why adapter a, which the host's AP configuration lacks, is not there, and
 * when it joins a guest: "is configured off ...; ... when it is configured
 * on", or "is not in the host's AP configuration; ... when it appears". one: of one
 * adapter, or of several ("are").
 */
const char *state_adapter_absence(const struct ap_state *st, unsigned a, bool one);

/*
 * Who uses each mdev on a live host: the process that holds its vfio device
 * (/dev/vfio/GROUP of its IOMMU group) open, and for QEMU the guest's name
 * from its -name. Reads the fd links of /proc under the root, only when an
 * mdev that may be in use has an IOMMU group.
 */
void state_find_guests(struct sysfs *s, struct ap_state *st);
/* The number of mdev uuid's VFIO group, from its iommu_group link, or -1. */
int state_mdev_group(struct sysfs *s, const char *uuid);

/* The kernel's view that lib/rules decides on, built from a state. */
struct kview_store {
	struct kview k;
	struct apqnset vfio, dflt, over;
	const struct ap_matrix **matrix;
	bool *attached;
};
/* A kview of st in a new store (NULL when out of memory); st must outlive it. */
struct kview_store *state_kview(const struct ap_state *st);
void state_kview_free(struct kview_store *ks);

/*
 * The index of the mdev with this UUID (any case; the first of two), or -1.
 * By a hash of the UUIDs, made on the first call.
 */
int state_find_mdev(const struct ap_state *st, const char *uuid);
/* The mdevs were moved, removed or replaced: the index is made anew when next needed. */
void state_mdevs_changed(struct ap_state *st);
/*
 * The first n places of st->mdevs (room for n) rearranged where they are:
 * place j gets the mdev that was at from[j], a permutation of [0, n); each
 * cycle of it moves round once, through one spare mdev. todo: n bools of
 * scratch.
 */
void state_mdevs_gather(struct ap_state *st, size_t n, const size_t *from, bool *todo);
/*
 * An mdev was added at the end (st->mdevs may have moved with it). Its
 * numbers are set: changing them later is a change of the mdevs.
 */
void state_mdev_added(struct ap_state *st);
/*
 * The lowest VFIO group number (vfio_dev: vfio device number) no mdev has,
 * as the kernel's IDAs give them; -ENOMEM.
 */
int state_lowest_free(const struct ap_state *st, bool vfio_dev);
/*
 * The mdevs' indices in the order of their UUIDs, as apctl lists them (the
 * array keeps the kernel's order, which its rules depend on); free() it.
 * NULL when out of memory.
 */
size_t *state_mdevs_by_uuid(const struct ap_state *st);
/*
 * The same in the order the kernel made them, as far as it shows: by the
 * numbers of their VFIO groups (a new mdev gets the lowest free one), then by
 * UUID. An mdev added later keeps the others' places.
 */
size_t *state_mdevs_by_group(const struct ap_state *st);
/* The mdev whose matrix holds (a, d), or -1. */
int state_apqn_mdev(const struct ap_state *st, unsigned a, unsigned d);
/*
 * The same for every APQN at once, for whoever asks of many: 1 + the index,
 * or 0 (zeroes that cost nothing until written); state_owner() reads it as
 * state_apqn_mdev() answers. Free it; NULL when out of memory.
 */
typedef uint32_t state_owners[IDSET_BITS][IDSET_BITS];
state_owners *state_apqn_owners(const struct ap_state *st);
static inline int state_owner(const state_owners *o, unsigned a, unsigned d)
{
	return (int)(*o)[a & 0xff][d & 0xff] - 1;
}
/* APQNs that exist as queue devices and are bound to vfio_ap */
void state_vfio_ready(const struct ap_state *st, struct apqnset *out);
/* The vfio_ap status of queue (a, d) when mdev m (or none) holds it. */
enum vfio_status state_mdev_vfio_status(const struct ap_state *st, const struct ap_mdev *m,
					unsigned a, unsigned d);
/* The vfio_ap status of a queue bound to vfio_ap. */
enum vfio_status state_vfio_status(const struct ap_state *st, unsigned a, unsigned d);
/*
 * The APQNs whose owner the masks decide here, as adapters x domains: the
 * host configuration up to the maxima, or without it the queue devices.
 */
void state_mask_scope(const struct ap_state *st, struct idset *apm, struct idset *aqm);

#endif
