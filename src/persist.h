/* SPDX-License-Identifier: MIT */
/*
 * The persistent configuration under a root: the masks in chzdev's udev
 * rule 41-ap.rules (etc/udev/rules.d, or run/udev/rules.d when /etc has none,
 * as udev gives /etc precedence), and the vfio_ap mdevs in mdevctl's
 * definitions (etc/mdevctl.d/matrix/UUID, mdevctl's JSON), read as they are
 * and formatted as chzdev and mdevctl write them (the change engine writes
 * the files).
 */
#ifndef APCTL_PERSIST_H
#define APCTL_PERSIST_H

#include <stdbool.h>
#include <stddef.h>

#include "apqn.h"
#include "aprule.h"
#include "diag.h"
#include "sysfs.h"
#include "uuid.h"

#define DEF_NAME_MAX 64
#define DEF_VALUE_MAX 64

/* One entry of a definition's "attrs": written to the mdev's attribute name in order. */
struct def_attr {
	char name[DEF_NAME_MAX];
	char value[DEF_VALUE_MAX];
};

/* An mdevctl definition of a vfio_ap mdev. */
struct mdev_def {
	char uuid[UUID_STR_MAX];
	char type[DEF_NAME_MAX];    /* "mdev_type" */
	bool autostart;             /* "start": "auto"; else "manual" */
	struct def_attr *attrs;
	size_t nattrs;
	struct ap_matrix ids;       /* what its attrs assign, in their order */
	char bad[DIAG_MAX];         /* why apctl cannot read it, or "" */
};

struct persist {
	bool has_rule;
	char rule_rel[64];          /* where the rule in force is */
	struct ap_rule rule;
	struct mdev_def *defs;      /* in directory order, as mdevctl starts them */
	size_t ndefs;
};

/*
 * Reads the persistent configuration. 0; -EINVAL when the rule cannot be read
 * (*d names the file and the line); another -errno when a file cannot be read.
 * A definition apctl cannot read is kept, with the reason in its bad.
 */
int persist_read(struct sysfs *s, struct persist *p, struct diag *d);
void persist_free(struct persist *p);
/* The definition of uuid, or NULL. */
const struct mdev_def *persist_find(const struct persist *p, const char *uuid);
/* A copy of from in to, to change: 0 or -ENOMEM. */
int persist_copy(const struct persist *from, struct persist *to);
/*
 * uuid defined with the IDs of m (def_from_matrix()), in place of its old
 * definition or after the others: 0 or -ENOMEM.
 */
int persist_set_def(struct persist *p, const char *uuid, const struct ap_matrix *m,
		    bool autostart);
/* uuid's definition taken out, if it has one. */
void persist_drop_def(struct persist *p, const char *uuid);

/*
 * The definition of an mdev with the IDs of m, as mdevctl's attrs: adapters,
 * then usage domains, then control domains, each ascending, decimal as
 * ap-check prints them. 0 or -ENOMEM.
 */
int def_from_matrix(struct mdev_def *def, const char *uuid, const struct ap_matrix *m,
		    bool autostart);
void def_free(struct mdev_def *def);

/* The file as mdevctl writes it, in a malloc'ed string (NULL: out of memory). */
char *def_format(const struct mdev_def *def);

#endif
