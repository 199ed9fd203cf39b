/* SPDX-License-Identifier: MIT */
/*
 * The journal of a change: before the first write of a change of more than
 * one write, its writes and the undo of each are recorded under the root
 * (run/apctl/journal), and before each write a line says that it begins. The
 * journal goes when the change is over. A later apctl that takes the lock and
 * finds one left by a process that was killed undoes what was begun, newest
 * first: every undo can be made whether or not its write happened, and where
 * the kernel still refuses one, the change is finished instead.
 *
 * The file is JSON lines: a header, one line per write, one per write begun.
 * It lives in run/, which a reboot clears, as it clears what the kernel knew.
 */
#ifndef APCTL_JOURNAL_H
#define APCTL_JOURNAL_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "sysfs.h"

#define JOURNAL_DIR "run/apctl"
#define JOURNAL_FILE JOURNAL_DIR "/journal"

enum jwrite_kind {
	JW_ATTR,  /* an attribute written */
	JW_FILE,  /* a persistent file replaced by value (NULL: removed) */
	JW_DIR,   /* a directory that a file's write made: removed if empty (value NULL) */
};

/* One write: where and what. */
struct jwrite {
	char *attr;
	char *value;
	enum jwrite_kind kind;
};

struct journal_entry {
	struct jwrite w;
	struct jwrite *undo; /* in the order they are made */
	size_t nundo;
};

struct journal {
	pid_t pid;
	char *command;       /* what was run, for messages */
	struct journal_entry *e;
	size_t n, cap;
	long begun;          /* the last write begun, or -1 */
};

/* Writes a new journal of j (begun -1): 0 or -errno. */
int journal_begin(struct sysfs *s, const struct journal *j);
/* Records that write i begins: 0 or -errno. */
int journal_mark(struct sysfs *s, size_t i);
/* Removes the journal. */
void journal_end(struct sysfs *s);
/*
 * The undo writes of e, as far as they can be made; one that fails is said on
 * msg. 0, the -errno of the first attribute write that failed, or -EIO where
 * a file could not be put back.
 */
int journal_undo(struct sysfs *s, const struct journal_entry *e, FILE *msg);
/*
 * A persistent file rel replaced by content atomically and durably (mode 644,
 * as chzdev and mdevctl make them), or removed when content is NULL: 0 or -errno.
 */
int journal_put_file(struct sysfs *s, const char *rel, const char *content);
/* Reads a journal: 0, -ENOENT when there is none, -EINVAL when it is unreadable. */
int journal_load(struct sysfs *s, struct journal **out);
void journal_free(struct journal *j);

/*
 * With the lock held: undoes what a journal left behind records and removes
 * it, saying so on msg; where the kernel refuses an undo, finishes the change
 * instead. 0 when there was none, or all was undone or finished; -EIO when
 * neither could be done or the journal cannot be read: the journal stays for
 * the next run, and msg says what is left and how to restore it.
 */
int journal_recover(struct sysfs *s, FILE *msg);

#endif
