/* SPDX-License-Identifier: MIT */
/*
 * The command line: tables of verbs at every level (apctl, mdev, sandbox,
 * sandbox host), each with its arguments, its options and its help, from
 * which the parser checks a command line and the help texts are made. An
 * option is known everywhere and accepted where its verb says; a word that
 * is not a verb gets a hint.
 */
#ifndef APCTL_CLI_H
#define APCTL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "engine.h"
#include "idset.h"
#include "output.h"
#include "root.h"

enum opt_id {
	O_ROOT,
	O_JSON,
	O_KERNEL,
	O_HELP,
	O_VERBOSE,
	O_VERSION,
	O_ADAPTERS,
	O_DOMAINS,
	O_CDOMS,
	O_APQNS,
	O_APMASK,
	O_AQMASK,
	O_DRY_RUN,
	O_FORCE,
	O_WAIT,
	O_NO_WAIT,
	O_LOCK_TIMEOUT,
	O_TYPE,
	O_MAX_ADAPTER,
	O_MAX_DOMAIN,
	O_FROM,
	O_REBIND_DELAY,
	O_CLEAR,
	O_NO_NEWLINE,
	O_AUTOSTART,
	O_MANUAL,
	O_BOOT,
	O_PERSISTENT,
	O_PERSISTENT_ONLY,
	O_PRUNE,
	O_FORMAT,
	O_GUEST,
	O_IOMMUFD,
	O_BARE,
	O_ALLOW_OTHER,
	O_MDEV_TYPE,
	O_EVENT,
	O_ACTION,
	O_STATE,
	O_UUID,
	O_PARENT,
	O_PROMETHEUS,
	O_INTERVAL,
	O_DEVICE_ID,
	O_DOMAIN,
	O_MDEV,
	O_COUNT
};

/* An option: --name (or only -shortopt when name is NULL) and its help. */
struct optdef {
	const char *name;
	char shortopt;
	bool has_arg;
	const char *arg;
	const char *help;
};
extern const struct optdef cli_optdefs[O_COUNT];

/* What the command line says besides the verb. */
struct ctx {
	struct root_opts root;
	bool json;
	char path[64];              /* the verb's words: "mdev create" */
	char **pos;                 /* its arguments, NULL after the last */
	int npos;
	const char **val[O_COUNT];  /* each option's values, in the order given */
	size_t nval[O_COUNT];
	int usage_exit;             /* what usage_error() returns: EXIT_USAGE, or as cli_main() says */
};

struct verb_opt {
	enum opt_id id;
	const char *help;           /* NULL: the option's own */
};

struct verb {
	const char *name;
	const char *params;         /* the arguments, for the synopsis: "[UUID]" */
	int min_args, max_args;     /* -1: no limit */
	bool options_first;         /* arguments after the first one are never options */
	const char *summary;        /* a line in the help of the level above */
	const char *text;           /* what it does */
	const struct verb_opt *opts; /* the options it takes besides --help, { O_COUNT } ends */
	int (*run)(struct ctx *ctx);
	const struct verb *const *subs; /* verbs below it, NULL ends */
	int usage_exit;             /* a bad command line of this verb exits so (0: EXIT_USAGE) */
};

/* The options of how a change is made, which every changing command takes. */
#define RUN_VERB_OPTS                                                       \
	{ O_DRY_RUN, NULL }, { O_FORCE, NULL }, { O_WAIT, NULL }, { O_NO_WAIT, NULL }, \
	{ O_LOCK_TIMEOUT, NULL }
/* And of what it changes, where a command can change both. */
#define CHANGE_VERB_OPTS RUN_VERB_OPTS, { O_PERSISTENT, NULL }, { O_PERSISTENT_ONLY, NULL }

/* The options of every command that reads a root. */
#define ROOT_VERB_OPTS { O_JSON, NULL }, { O_ROOT, NULL }, { O_KERNEL, NULL }

/*
 * Parses argv against the table top and runs the verb: apctl's exit code. A
 * bad command line exits usage_exit (EXIT_USAGE but where a caller gives
 * exit 2 a meaning of its own, as mdevctl does to its callouts).
 */
int cli_main(const struct verb *top, int argc, char **argv, int usage_exit);
/* The help of verb v, whose words are path ("" for apctl itself). */
void cli_help(FILE *f, const struct verb *top, const struct verb *v, const char *path);

bool args_has(const struct ctx *ctx, enum opt_id o);
/* The last value of an option, or NULL. */
const char *args_last(const struct ctx *ctx, enum opt_id o);
/*
 * Every value of an ID list option, added up ("--adapters 6 --adapters 5"
 * is 5,6), each at most max: EXIT_OK, or EXIT_USAGE after the message.
 */
int args_ids(const struct ctx *ctx, enum opt_id o, unsigned max, const char *what,
	     struct idset *out);
/* The number of option o, at most max: EXIT_OK (*out untouched without o) or EXIT_USAGE. */
int args_number(const struct ctx *ctx, enum opt_id o, unsigned max, const char *what,
		unsigned *out);
/* Every --apqns list, added up, each APQN within the maxima: EXIT_OK or EXIT_USAGE. */
int args_apqns(const struct ctx *ctx, unsigned max_a, unsigned max_d, struct apqnset *out);
/* The change options: EXIT_OK, or EXIT_USAGE after the message. */
int args_change(const struct ctx *ctx, struct change_opts *o);

/* "apctl: " + message on stderr, with a hint to the verb's --help: ctx->usage_exit. */
int usage_error(const struct ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* EXIT_OK when s is a UUID, else the usage error that says why not. */
int args_uuid(const struct ctx *ctx, const char *s);
/* Flushes stdout: rc, or EXIT_RUNTIME with a message when the output was lost. */
int finish_output(int rc);

/*
 * The text of file path ("-": standard input): EXIT_OK, or after the message
 * EXIT_NOTFOUND (no such file) or EXIT_USAGE (not a file that can be read).
 */
int args_read_file(const struct ctx *ctx, const char *path, char **out);
/* Opens ctx's root: EXIT_OK, or the exit code after the message. */
int open_root(const struct ctx *ctx, struct root *r);
/* Reads ctx's state: EXIT_OK, or the exit code after the message; root_close() it. */
int load_state(const struct ctx *ctx, struct root *r, unsigned flags, struct ap_state **st);
struct persist;
/*
 * "CMD: WHAT UUID under ROOT" ("no mdev", "mdevctl defines no mdev"), with the
 * mdev of st or p one mistyped character or a few away, else where they are
 * listed: EXIT_NOTFOUND.
 */
int no_mdev(const struct ctx *ctx, const char *what, const char *uuid, const struct ap_state *st,
	    const struct persist *p);

#endif
