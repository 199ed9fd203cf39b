/* SPDX-License-Identifier: MIT */
/*
 * What apctl prints about the AP configuration and about changes, for a
 * person or as JSON: one serializer per object (an mdev, a queue, a verdict),
 * used wherever that object is printed.
 */
#ifndef APCTL_REPORT_H
#define APCTL_REPORT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "boot.h"
#include "engine.h"
#include "journal.h"
#include "persist.h"
#include "state.h"

/* A state with what explaining it needs: the kernel's view, the mdevs' order, who holds what. */
struct view {
	const struct ap_state *st;
	const char *root;            /* as given, for the header */
	const char *prefix;          /* "apctl --root DIR" of commands to paste, or NULL: "apctl" */
	const char *release;         /* the kernel's release, or NULL */
	struct kview_store *ks;
	size_t *order;               /* mdev indices by UUID */
	size_t *letters;             /* mdev indices by the grid's letters (their groups) */
	state_owners *owner;     /* index of the mdev that holds an APQN, or -1 */
	struct idset grid_apm, grid_aqm; /* the APQNs the masks decide */
	const struct journal *journal; /* an interrupted change, or NULL */
	bool journal_alive;          /* its process still runs */
	struct persist *persist;     /* the persistent configuration, or NULL */
};

/* 0, or -ENOMEM. prefix: "apctl --root DIR" of the commands it names, or NULL. */
int view_init(struct view *v, const struct ap_state *st, const char *root, const char *prefix);
void view_free(struct view *v);

/*
 * Why APQN (a, d) of m's matrix is not in its guest_matrix: a code
 * ("no_queue", ...) and a sentence in text.
 */
const char *view_missing(const struct view *v, const struct ap_mdev *m, unsigned a, unsigned d,
			 char *text, size_t size);
/* Whether the host's default drivers have APQN (a, d) (6.19: overrides too). */
bool view_host_owned(const struct view *v, unsigned a, unsigned d);
/* The mdev that holds APQN (a, d), or NULL. */
const struct ap_mdev *view_holder(const struct view *v, unsigned a, unsigned d);

/* "in use by guest NAME (pid N)", as far as it is known: who uses mdev m, in buf. */
const char *guest_words(const struct ap_mdev *m, char *buf, size_t size);
/* The same of mdev uuid of st ("in use by a guest" when st does not have it). */
const char *guest_words_of(const struct ap_state *st, const char *uuid, char *buf, size_t size);

/* ---- the objects (report-json.c) ---- */
struct jstream;
struct json_object *json_mdev(const struct view *v, const struct ap_mdev *m);
/* A queue as an element of the array the stream is in. */
void js_queue(struct jstream *js, const struct view *v, unsigned a, unsigned d);
/* The whole state, streamed: show --json. */
void show_json(FILE *f, const struct view *v);

/* ---- show as text (report-text.c) ---- */
void show_text(FILE *f, const struct view *v);
/* One mdev; with letter, the letter that stands for it in the grid. */
void text_mdev(FILE *f, const struct view *v, const struct ap_mdev *m, bool letter);
/* One line per mdev, with what its definition says; then the definitions not running. */
void text_mdev_table(FILE *f, const struct view *v);

/* ---- the persistent configuration (report-persist.c) ---- */
enum def_running {
	DEF_STOPPED,       /* no mdev of its UUID runs */
	DEF_RUNNING,       /* one runs with the IDs it defines */
	DEF_RUNNING_OTHER, /* one runs with other IDs */
};
/* Reads the persistent configuration into v; a warning when it cannot be read. */
void view_read_persist(struct view *v, struct sysfs *s);
/* The same without the warning: 0, or -errno with why in *d (v has none then). */
int view_load_persist(struct view *v, struct sysfs *s, struct diag *d);
/* An interrupted change, or one being made, into v (*j: free it with journal_free()). */
void view_read_journal(struct view *v, struct sysfs *s, struct journal **j);
enum def_running def_running(const struct view *v, const struct mdev_def *def);
struct json_object *json_def(const struct view *v, const struct mdev_def *def);
/* "persistent" of show --json, or NULL without one. */
struct json_object *json_persist(const struct view *v);
void text_persist(FILE *f, const struct view *v);
/* A line per definition (not running ones only), each line starting with indent. */
void text_def_table(FILE *f, const struct view *v, const char *indent, bool stopped_only);

/* ---- the next boot (report-boot.c): show --boot ---- */
/* How the start of a definition ended: uuid, started, failed_write. */
struct json_object *json_boot_start(const struct persist *p, const struct boot *b,
				    const struct boot_start *s);
void show_boot_json(FILE *f, const struct view *v, const struct boot *b);
void show_boot_text(FILE *f, const struct view *v, const struct boot *b);

/* ---- the guest's side of an mdev (report-guest.c): malloc'ed, NULL when out of memory ---- */
/* The libvirt domain's <hostdev> element. */
char *guest_hostdev(const char *uuid);
/* The libvirt node device of the mdev with the IDs of m, for virsh nodedev-define. */
char *guest_nodedev(const char *uuid, const struct ap_matrix *m);
/* The QEMU device's id that apctl gives an mdev: "ap-UUID", stable and unique. */
#define GUEST_ID_MAX 64
void guest_device_id(const char *uuid, char *buf, size_t size);
/* Whether QEMU takes id as a device's id (a letter, then letters, digits, - . _). */
bool guest_id_valid(const char *id);
/* The QEMU -device argument, with the device's id. */
char *guest_qemu(const char *uuid, const char *id);
/* The QEMU monitor's (HMP) device_add line, then its device_del line. */
char *guest_hmp(const char *uuid, const char *id);
/* The same as QMP commands: an array of device_add's object and device_del's. */
struct json_object *guest_qmp(const char *uuid, const char *id);
struct domain_info;
/*
 * Whether a libvirt domain gives its guest uuid's APQNs (its hostdev, its CPU
 * model's AP features), with a finding and its fix for each thing that keeps
 * them from it; prefix is "apctl" or "apctl --root DIR".
 */
struct json_object *guest_domain_json(const struct domain_info *di, const char *uuid,
				      const char *prefix);
/* The same in words, from that object. */
void guest_domain_text(FILE *f, struct json_object *o, const struct domain_info *di);

/* ---- verdicts of changes (report-verdict.c) ---- */
struct json_object *json_verdict(const struct engine *e);
/* A refusal's reasons: what is refused, and each conflict with its fix. */
void text_refusal_reasons(FILE *f, const struct engine *e);
/* The same, and a last line saying what --force would do. */
void text_refusal(FILE *f, const struct engine *e);
/*
 * One line of what a plan or a dry run moves and makes: writes, mdevs, APQNs,
 * files.
 */
void text_summary(FILE *f, const struct engine *e);
/* The conflicts alone, with their fixes. */
void text_conflicts(FILE *f, const struct engine *e);
/* Mask edits: the masks old and new and the APQNs that move. */
void text_mask_change(FILE *f, const struct engine *e);
/*
 * A dry run of mdev changes: the writes and, unless refused, the predicted
 * matrices (a refusal is said apart, on stderr).
 */
void text_mdev_dry_run(FILE *f, const struct engine *e);
/* A whole configuration's plan: every write with the kernel's answer, the files, a summary. */
void text_plan(FILE *f, const struct engine *e);
/* An mdev as a change left it: its IDs and its matrix and guest_matrix sizes. */
void text_mdev_result(FILE *f, const struct ap_mdev *m);

#endif
