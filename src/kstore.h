/* SPDX-License-Identifier: MIT */
/*
 * Every store of the kernel, in one place: an attribute's path and the bytes
 * written in; the kernel's parse of them, the transition in kmodel, the
 * errno and the kernel's log lines out. The sandbox's emulated kernel answers
 * every write with it; the change engine predicts each planned write with it
 * from the very attribute and bytes that it will write, and so do the boot's
 * prediction and the sandbox's reboot. Nothing else maps an attribute and its
 * bytes to what the kernel does.
 */
#ifndef APCTL_KSTORE_H
#define APCTL_KSTORE_H

#include <stdbool.h>
#include <stddef.h>

#include "rules.h"
#include "state.h"
#include "strlist.h"
#include "uuid.h"

/* One write: where, what, and what the store may read of the attribute now. */
struct kstore_write {
	const char *attr;     /* canonical path under the root: sys/bus/ap/apmask, ... */
	const char *val;      /* the bytes written, NUL-terminated (an embedded NUL ends them) */
	size_t len;           /* how many bytes were written */
	const char *now;      /* what the attribute shows now, or NULL (for scans, request_count) */
	bool all_hits;        /* a refusal's APQNs of every mdev, not only the first (predictions) */
};

/* What a store answers besides its errno. */
struct kstore_answer {
	char *show;           /* the attribute's own new content, where that is all it changes */
	struct strlist log;   /* the lines the kernel logs (dmesg) */
	struct khits hits;    /* the APQNs behind a refusal */
};

/* What a write means, as the kernel's store reads its bytes. */
enum kstore_kind {
	KS_OTHER,
	KS_MASK,       /* apmask or aqmask */
	KS_CREATE,     /* an mdev's create */
	KS_AP_CONFIG,  /* an mdev's ap_config */
	KS_ASSIGN,     /* an mdev's assign_* or unassign_* */
	KS_REMOVE,     /* an mdev's remove */
};

struct kstore_what {
	enum kstore_kind kind;
	char uuid[UUID_STR_MAX];  /* the mdev written to, or created */
	bool is_apmask;           /* KS_MASK: which, and the mask before and after on st's */
	struct idset old_mask, new_mask;
	enum assign_kind akind;   /* KS_ASSIGN: what, which ID, assigned or not */
	unsigned id;
	bool assign;
	struct ap_matrix config;  /* KS_AP_CONFIG: the three masks */
	int parse;                /* 0, or the store's -errno for bytes it cannot read */
};

/* The meaning of val written to attr on the state st, for planners and renderers. */
void kstore_what(const struct ap_state *st, const char *attr, const char *val,
		 struct kstore_what *w);

/*
 * The store function of w->attr applied to st: 0; the kernel's -errno, st as
 * it was; -EINPROGRESS for a remove that waits until the guest lets go (the
 * mdev is marked); -EOPNOTSUPP for a writable attribute not covered. *a is
 * filled either way (kstore_answer_free()).
 */
int kstore(struct ap_state *st, const struct kstore_write *w, struct kstore_answer *a);
void kstore_answer_free(struct kstore_answer *a);
/* kstore() of the string val, for a prediction: its answer, the hits of every mdev in *hits (or NULL). */
int kstore_answer(struct ap_state *st, const char *attr, const char *val, struct khits *hits);

#endif
