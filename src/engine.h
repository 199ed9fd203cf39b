/* SPDX-License-Identifier: MIT */
/*
 * The change engine. A change is any mix of mask edits and mdev operations;
 * the engine makes it a plan: the attribute writes in an order that frees
 * before it takes, the kernel's predicted answer to each (kmodel, on a copy
 * of the state), the conflicts behind every refusal, and the undo of every
 * write. It then takes the lock, keeps a journal, makes the writes, undoes
 * them on failure, waits for the AP bus, and leaves the verdict for the
 * renderer (report.h).
 */
#ifndef APCTL_ENGINE_H
#define APCTL_ENGINE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "apqn.h"
#include "diag.h"
#include "journal.h"
#include "kstore.h"
#include "persist.h"
#include "rules.h"
#include "root.h"
#include "state.h"
#include "strlist.h"
#include "uuid.h"

enum op_kind {
	OP_MASK,     /* apmask or aqmask becomes mask */
	OP_CREATE,   /* a new mdev uuid with the IDs of ids */
	OP_ASSIGN,   /* the IDs of ids are assigned to mdev uuid */
	OP_UNASSIGN, /* or unassigned */
	OP_REMOVE,   /* mdev uuid goes */
	OP_PMASK,    /* the persistent apmask or aqmask (41-ap.rules) becomes mask */
	OP_DEFINE,   /* mdev uuid is defined with the IDs of ids, or as def */
	OP_NAME,     /* mdev uuid's name becomes name ("": it has none) */
};

/*
 * What a change changes: what runs, the persistent configuration, or both.
 * A change has one; each of its ops has the change's unless it says its own.
 */
enum change_scope {
	SCOPE_DEFAULT,     /* an op: the change's */
	SCOPE_RUNNING,
	SCOPE_BOTH,        /* --persistent */
	SCOPE_PERSISTENT,  /* --persistent-only */
};

struct change_op {
	enum op_kind kind;
	char uuid[UUID_STR_MAX];
	struct ap_matrix ids;
	bool is_apmask;
	struct idset mask;
	enum change_scope scope;  /* SCOPE_DEFAULT: the change's (set by engine_add) */
	signed char start;        /* a definition's start mode: 1 auto, -1 manual, 0 the change's */
	bool unset;               /* OP_PMASK: the rule sets no such mask */
	const struct mdev_def *def; /* OP_DEFINE: the definition as it is to be, or NULL */
	const char *name;         /* OP_NAME */
	size_t seq;               /* the order given (set by engine_add) */
};


struct change_opts {
	enum change_scope scope;
	signed char start;        /* of definitions written: 1 auto, -1 manual, 0 as it was */
	bool dry_run;
	bool force;
	bool wait;
	unsigned wait_s;
	unsigned lock_timeout_s;
};

#define WAIT_DEFAULT 30

/*
 * One attribute write of a plan: the attribute and the bytes, with their
 * undo, and what they mean as the kernel's store reads them (kstore_what()),
 * predicted with the kernel's store (kstore()).
 */
struct pwrite {
	size_t op;                /* the change_op it serves */
	struct journal_entry je;  /* the attribute, the bytes written, and the undo */
	struct kstore_what what;
	int predicted;            /* 0, the kernel's -errno, -EINPROGRESS: waits for a guest */
};

/* A command that mends conflicts, as it can be pasted, and what else it does. */
struct fix {
	char cmd[PATH_MAX + 1024];
	char note[256];
};

/* An APQN or an ID behind a refusal. */
struct conflict {
	size_t w;                 /* the write refused */
	int err;                  /* the kernel's answer, 0 where only apctl refuses */
	bool has_apqn;
	unsigned a, d;
	char holder[UUID_STR_MAX]; /* the mdev that holds it, "" for the host */
	bool holder_in_use;
	bool moves;               /* W_MASK: the APQN really goes to the host */
	int fix;                  /* its fix in the plan's, or -1 */
};

/*
 * A persistent file the change writes or removes, and what it held before;
 * its write and undo as a journal entry: the old content put back, then the
 * directories the write makes removed where they are empty.
 */
#define PFILE_DIRS_MAX 4
struct pfile {
	char rel[128];
	char *text;               /* the new content, or NULL: the file goes */
	char *old;                /* what it held, or NULL: it was not there */
	char made[PFILE_DIRS_MAX][128]; /* the directories that the write makes, deepest first */
	size_t nmade;
	struct jwrite undo[1 + PFILE_DIRS_MAX];
	struct journal_entry je;
};

struct plan {
	struct ap_state *sim;     /* the state once the writes that would succeed are made */
	struct pwrite *w;
	size_t nw, capw;
	struct conflict *c;
	size_t nc, capc;
	struct fix *fixes;        /* one per cause of conflicts (plan_fixes()) */
	size_t nfixes, capfixes;
	int err;                  /* the kernel's answer to the first write it would refuse */
	bool refused;             /* by the kernel or by apctl's own check */
	struct strlist notes;     /* what is allowed but may surprise */
	struct strlist warnings;  /* what the host loses */
	struct strlist boot_conflicts; /* why the persistent configuration would fail at boot */
	struct strlist host_differs; /* the host's cards that are not the change's (a refusal) */
	struct idset apmask, aqmask; /* the masks asked for */
	struct apqnset *to_vfio, *to_host; /* mask changes: APQNs of the scope that move */
	struct apqnset **guest_lost; /* per mdev of st in use: the APQNs its guest loses, or NULL */
	size_t nguest_lost;
};

struct engine {
	struct root *root;
	struct change_opts o;
	const char *command;      /* "mdev create", for messages and the journal */
	const struct apqnset *asked; /* the APQNs a reservation was asked for, or NULL */
	struct ap_state *st;      /* the state before */
	struct change_op *ops;
	size_t nops, capops;
	struct pfile *pf;         /* persistent files, written after the attributes in order */
	size_t npf, cappf;
	struct persist *pers;     /* the persistent configuration, or NULL where unreadable */
	struct persist *next;     /* as the change leaves it (scope not running) */
	struct plan p;
	/*
	 * Removals that wait for a guest come last of the attribute writes, so
	 * that one that times out leaves nothing after it undone; first, when the
	 * writes after them need what they free.
	 */
	bool removals_early;
	bool from_file;           /* a configuration file's: what it removes is warned of */
	struct strlist given_notes; /* notes of whoever built the change, for every plan */
	struct strlist host_differs; /* why this host cannot take what the change makes as it is */
	bool locked;
	/* after the run */
	bool written;             /* every write was made */
	size_t failed;            /* the write that failed, when not written */
	int answer;               /* its answer */
	bool undo_failed;         /* and not all before it could be undone: the journal stays */
	struct strlist pending_removals; /* mdevs the kernel removes when their guests let go */
	struct apqnset *pending;  /* queues the AP bus had not bound when apctl stopped waiting */
	struct ap_state *after;   /* the state read after the writes */
};

/*
 * Opens the change: the lock unless it is a dry run, an interrupted change
 * undone, the state read (state_flags). EXIT_OK, or an exit code after the
 * message: EXIT_NOTFOUND without an AP bus, EXIT_RUNTIME when the lock stays
 * held or the state cannot be read.
 */
int engine_begin(struct engine *e, struct root *r, const char *command,
		 const struct change_opts *o, unsigned state_flags);
void engine_end(struct engine *e);
/*
 * What a change killed midway left, taken care of under the lock: its journal
 * undone or finished (said on msg), the lock of a process gone taken over,
 * temporaries removed. EXIT_OK, or the exit code after the message.
 */
int engine_recover(struct root *r, const char *command, const struct change_opts *o, FILE *msg);
/* Adds an operation to the change: 0 or -ENOMEM. */
int engine_add(struct engine *e, const struct change_op *op);
/* Makes the plan and its verdict: 0 or -ENOMEM. */
int engine_plan(struct engine *e);
/*
 * Carries the plan out: EXIT_OK; EXIT_RUNTIME after a write failed (the
 * writes before it undone, all said on stderr); EXIT_TIMEOUT when the AP bus
 * or a guest did not follow in time (said).
 */
int engine_run(struct engine *e);

/*
 * The persistent files (engine-files.c). engine_add_file() adds the writing
 * (text, taken over, malloc'ed) or removal (NULL) of rel to the plan, with
 * what it holds now and its journal entry (e->pf[k].je): 0, or -errno (said).
 * engine_write_file() writes file k after the attributes: 0 or -errno (said);
 * engine_restore_files() undoes files upto-1 .. 0: 0, or -EIO (said).
 */
int engine_add_file(struct engine *e, const char *rel, char *text);
int engine_write_file(struct engine *e, size_t k);
int engine_restore_files(struct engine *e, size_t upto);
/* File pf's write and undo as a journal entry, pointing into pf. */
const struct journal_entry *engine_file_entry(struct pfile *pf);
void engine_free_files(struct engine *e);
/* The masks at boot: the rule's, all ones where it sets none (or has none). */
void engine_persistent_masks(const struct engine *e, struct idset *apmask, struct idset *aqmask);

/* For the renderer: the mdev an op is about in the state after (or predicted). */
const struct ap_mdev *engine_mdev(const struct engine *e, const char *uuid);
/* A fix to paste: prefix and the command, in buf. */
const char *engine_fix(const struct engine *e, char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- the parts of engine_plan() (engine-plan.c, engine-notes.c) ---- */

/*
 * A warning where masks that go from was_* to * take the AP bus's default
 * domain from the host's default drivers; when prefixes it ("at boot, ").
 */
void note_default_domain(struct engine *e, const struct idset *was_apm,
			 const struct idset *was_aqm, const struct idset *apm, const struct idset *aqm,
			 const char *when);
/*
 * A lazy state read where the ops reach (engine-scope.c), or with all all of
 * it: 0 or -errno.
 */
int engine_fill(struct engine *e, bool all);
/* Plans and predicts the writes of op. */
int plan_op(struct engine *e, size_t op);
/* The notes and warnings of the plan. */
void plan_notes(struct engine *e);
/*
 * The persistent side of the plan (engine-persist.c): the configuration the
 * change leaves, its files, its check against the next boot (refusals in
 * boot_conflicts), and notes and warnings where what runs and what persists
 * part. 0 or -ENOMEM.
 */
int plan_persist(struct engine *e);
/*
 * The ops that make the running mdev uuid hold the IDs of want: its create,
 * or what it has too many unassigned and what it lacks assigned. 0 or -ENOMEM.
 */
int engine_set_running(struct engine *e, const char *uuid, const struct ap_matrix *want);
/*
 * The ops that bring the configuration c about (engine-config.c): the masks,
 * each mdev where it runs and where it persists, and with prune the removal
 * of what c covers and does not name. c stays with the engine until
 * engine_end(). 0, -ENOMEM, or -EINVAL when c asks for what cannot be
 * (the JSON path and why in *d).
 */
struct config;
int engine_add_config(struct engine *e, struct config *c, bool prune, struct diag *d);
/* Reads the persistent configuration at the start of a change: EXIT_OK or an exit code. */
int engine_load_persist(struct engine *e);
void engine_free_persist(struct engine *e);
/*
 * The fixes of the plan's conflicts (engine-fixes.c): one command per group
 * of conflicts with one cause, each conflict pointing to its own.
 */
void plan_fixes(struct engine *e);
/* A fix (e's root prefixed, the same command once): its index, or -1. */
int plan_add_fix(struct engine *e, const char *note, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * What a reservation of adapters or domains does to the AP bus's default
 * domain, as a clause for a fix ("it takes ..."), or "".
 */
void fix_default_domain_note(const struct ap_state *st, const struct idset *adapters,
			     const struct idset *domains, char *buf, size_t size);
/*
 * The fixes of boot conflicts, as "run: CMD (note)" in buf ("" where no
 * command mends it): an autostart definition some of whose APQNs (and that of
 * its failed write w, or NULL) the rule of next gives the host (reserved at boot as what runs keeps them, or the
 * definition changed where the change itself gives them back); two that
 * share the APQNs of shared (what o loses least by, taken from o).
 */
struct boot_write;
void boot_fix_hosted(const struct engine *e, const struct persist *next,
		     const struct mdev_def *def, const struct boot_write *w, char *buf, size_t size);
void boot_fix_sharing(const struct engine *e, const struct mdev_def *o,
		      const struct ap_matrix *shared, char *buf, size_t size);
/* Records the APQNs behind a refusal of write w. */
void plan_conflicts(struct plan *p, size_t w, int err, const struct khits *hits,
		    const struct ap_state *st);

#endif
