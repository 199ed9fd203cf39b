/* SPDX-License-Identifier: MIT */
/*
 * The kernel's transitions of the AP state for mdev writes, after the value
 * was parsed: the decision of lib/rules and what the kernel then changes in
 * its memory (matrix, guest, instances). The emulated kernel applies them to
 * a sandbox; the validation ahead of time applies them to a copy of the state
 * to predict the kernel's answer and what the mdev looks like afterwards.
 */
#ifndef APCTL_KMODEL_H
#define APCTL_KMODEL_H

#include <stdbool.h>

#include "rules.h"
#include "state.h"

/* create of uuid: 0 (the new mdev is the last), -EINVAL, -EEXIST, -EUSERS/-EPERM. */
int kmodel_create(struct ap_state *st, const char *uuid);
/* remove of mdev i: 0, -EBUSY, or -EINPROGRESS while a guest holds it. */
int kmodel_remove(struct ap_state *st, size_t i);
/*
 * assign_* or unassign_* of id: 0 or -errno; hits as rules_assign() gives
 * them (all_mdevs: every mdev that shares an APQN, not just the first).
 */
int kmodel_assign(struct ap_state *st, size_t i, enum assign_kind kind, unsigned long id,
		  bool assign, struct khits *hits, bool all_mdevs);
/* An ap_config write of m: 0 or -errno, all or nothing. */
int kmodel_ap_config(struct ap_state *st, size_t i, const struct ap_matrix *m,
		     struct khits *hits, bool all_mdevs);

#endif
