/* SPDX-License-Identifier: MIT */
/*
 * The udev rule 41-ap.rules that makes apmask and aqmask persistent, as
 * chzdev writes it (zdev's ap type) and as libap and ap-check read it: an
 * ATTR{...apmask} and an ATTR{...aqmask} assignment, each optional, after
 * the triggers of the AP bus's "bindings complete" events.
 */
#ifndef APCTL_APRULE_H
#define APCTL_APRULE_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "idset.h"

#define APRULE_NAME "41-ap.rules"
#define APRULE_VALUE_MAX 512
#define APRULE_WRITES_MAX 8

/* One mask assignment of the rule: what udev writes, in the rule's order. */
struct aprule_write {
	bool is_apmask;
	char value[APRULE_VALUE_MAX];
	unsigned line;                /* 1-based; 0 for a rule apctl made */
};

struct ap_rule {
	bool has_apmask, has_aqmask;  /* the rule sets the mask */
	struct idset apmask, aqmask;  /* what the mask becomes at boot */
	struct aprule_write writes[APRULE_WRITES_MAX];
	size_t nwrites;
	bool loads_vfio_ap;           /* RUN{builtin}+="kmod load vfio_ap" */
	bool by_chzdev;               /* its first line says chzdev made it */
};

/*
 * Reads a rule file's text as udev would: lines of KEY OP "VALUE" entries,
 * comments and blank lines, a backslash continuing a line. Each mask
 * assignment is a store into the mask, made in turn as udev makes them, on
 * the mask a boot starts with (all ones): a relative edit edits what the ones
 * before it left. 0, or -EINVAL with "line N: why" in *d.
 */
int aprule_parse(const char *text, struct ap_rule *r, struct diag *d);

/*
 * The rule's apmask (is_apmask) or aqmask becomes mask, or, with has false,
 * is not set; the rule's writes become chzdev's: each mask it sets, written
 * whole, apmask first.
 */
void aprule_set_mask(struct ap_rule *r, bool is_apmask, bool has, const struct idset *mask);

/*
 * The rule as chzdev writes it, with each mask the rule has as "0x" and 64
 * hex digits, in buf: its length (at least size when it did not fit). A
 * rule with neither mask is no rule: chzdev removes the file.
 */
#define APRULE_MAX 1024
size_t aprule_format(const struct ap_rule *r, char *buf, size_t size);

#endif
