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

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "apqn.h"
#include "aprule.h"
#include "diag.h"
#include "sysfs.h"
#include "uuid.h"
#include "uuidmap.h"

#define DEF_TYPE_MAX 64
/*
 * Why a definition cannot be read: a line, cut there (a change holds every
 * definition twice, as it is and as the change leaves it)
 */
#define DEF_BAD_MAX 256

/* One entry of a definition's "attrs": written to the mdev's attribute name in order. */
struct def_attr {
	char *name;
	char *value;
};

/* An mdevctl definition of a vfio_ap mdev. */
struct mdev_def {
	char uuid[UUID_STR_MAX];
	char type[DEF_TYPE_MAX];    /* "mdev_type" */
	bool autostart;             /* "start": "auto"; else "manual" */
	struct def_attr *attrs;
	size_t nattrs;
	struct ap_matrix ids;       /* what its attrs assign, in their order */
	char bad[DEF_BAD_MAX];      /* why apctl cannot read it, or "" */
	/*
	 * mdevctl cannot load it either: reading the definitions of matrix, it
	 * stops at this one, and starts none at boot
	 */
	bool stops_mdevctl;
};

/* A callout of mdevctl's, in the order mdevctl tries them. */
enum callout_kind {
	CALLOUT_OTHER,            /* a program apctl does not know: it may handle vfio_ap */
	CALLOUT_AP_CHECK,         /* s390-tools' ap-check */
	CALLOUT_AP_CHECK_MISSING, /* s390-tools' ap-check.sh, whose ap-check is not there */
	CALLOUT_APCTL,            /* apctl's own (with ap-check's rules where that is installed) */
};

struct callout {
	char rel[128];
	enum callout_kind kind;
};

#define CALLOUTS_MAX 16
#define LOADER_MAX 128

/*
 * The name of an mdev, for the reader (the guest that uses it): neither
 * mdevctl nor libvirt keeps one, so apctl keeps them in a file of its own.
 */
#define MDEV_NAME_MAX 128
#define NAMES_DIR "etc/apctl"
#define NAMES_FILE NAMES_DIR "/mdev-names"
struct mdev_name {
	char uuid[UUID_STR_MAX];
	char name[MDEV_NAME_MAX];
};

struct persist {
	bool has_rule;
	char rule_rel[64];          /* where the rule in force is */
	struct ap_rule rule;
	struct mdev_def *defs;      /* in directory order, as mdevctl starts them */
	size_t ndefs, capdefs;
	struct uuidmap index;       /* the definitions by UUID, where it fits them */
	/* what else the boot reads (persist-boot.c) */
	bool mdevctl_13;            /* mdevctl 1.3 or later: callouts under usr/lib too */
	struct callout callouts[CALLOUTS_MAX]; /* executables, in the order mdevctl tries them */
	size_t ncallouts;
	bool ap_check_installed;    /* s390-tools' ap-check, which apctl's callout asks first */
	char vfio_ap_loader[LOADER_MAX]; /* a modules-load.d file that loads vfio_ap, or "" */
	struct mdev_name *names;    /* the names apctl keeps, in the file's order */
	size_t nnames, capnames;
};

/*
 * Reads the persistent configuration. 0; -EINVAL when the rule cannot be read
 * (*d names the file and the line); another -errno when a file cannot be read.
 * A definition apctl cannot read is kept, with the reason in its bad.
 */
int persist_read(struct sysfs *s, struct persist *p, struct diag *d);
void persist_free(struct persist *p);
/*
 * What else the boot reads, into p: mdevctl's callouts, in the order the
 * installed mdevctl tries them (1.2: etc/mdevctl.d/scripts.d/callouts in
 * directory order; 1.3 and later, told by its usr/lib/mdevctl/scripts.d/
 * notifiers, which 1.3 needs: that directory's callouts first, each directory
 * sorted by name), and the file of modules-load.d that loads vfio_ap (the
 * one in /etc where two have a name). 0 or -errno.
 */
int persist_read_boot(struct sysfs *s, struct persist *p);
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
/* def in place of uuid's old definition or after the others, with autostart: 0 or -ENOMEM. */
int persist_put_def(struct persist *p, const struct mdev_def *def, bool autostart);
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

/*
 * A definition of uuid with type and the attrs of a JSON array (NULL: none),
 * as mdevctl loads them: 0 or -ENOMEM; why apctl cannot take them in def->bad.
 */
int def_from_json(struct mdev_def *def, const char *uuid, const char *type,
		  struct json_object *attrs);

/*
 * A definition file's len bytes of text, as apctl reads it (why it cannot
 * in def->bad, whether mdevctl can in def->stops_mdevctl): for the reader
 * and the fuzzer.
 */
void def_parse(struct mdev_def *def, const char *uuid, const char *text, size_t len);
/*
 * NAMES_FILE's len bytes of text into p's names: 0, -ENOMEM, or -EINVAL with
 * what (the file) and the line in *d.
 */
int names_parse(struct persist *p, const char *text, size_t len, const char *what,
		struct diag *d);

/* The file as mdevctl writes it, in a malloc'ed string (NULL: out of memory). */
char *def_format(const struct mdev_def *def);

/* The name apctl keeps for uuid, or NULL. */
const char *persist_name(const struct persist *p, const char *uuid);
/* uuid's name becomes name (NULL or "": it has none): 0 or -ENOMEM. */
int persist_set_name(struct persist *p, const char *uuid, const char *name);
/*
 * Whether name can be kept: UTF-8 of up to MDEV_NAME_MAX - 1 bytes, without
 * control characters (it is one line of the file). NULL, or why not.
 */
const char *mdev_name_problem(const char *name);
/* NAMES_FILE as apctl writes it, malloc'ed; NULL when there is no name (the file goes). */
char *names_format(const struct persist *p);
/* NAMES_FILE under s into p (persist-names.c): 0, -EINVAL with the line in *d, -errno. */
int persist_read_names(struct sysfs *s, struct persist *p, struct diag *d);

#endif
