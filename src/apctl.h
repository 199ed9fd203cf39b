/* SPDX-License-Identifier: MIT */
#ifndef APCTL_APCTL_H
#define APCTL_APCTL_H

#include <stdbool.h>

#include "sysfs.h"

/* Exit codes (DESIGN: interfaces) */
enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,  /* a write was refused, an I/O error */
	EXIT_USAGE = 2,    /* bad command line or value */
	EXIT_NOTFOUND = 3, /* no such mdev, device or root */
	EXIT_REFUSED = 4,  /* validation ahead of time refused; nothing written */
	EXIT_TIMEOUT = 5,  /* waiting for the AP bus timed out */
};

struct ctx {
	const char *root; /* "/" unless --root */
	bool root_given;
	bool json;
};

/* "apctl: " + message + newline on stderr */
void errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* errmsg() and a hint to --help; returns EXIT_USAGE */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The message for getopt's '?' or ':' (options start with ':'); returns EXIT_USAGE. */
int option_error(const char *cmd, int opt, char **argv);

/*
 * The options every command takes besides its own: -r/--root, -j/--json,
 * -h/--help. Returns 1 if opt was one of them (and handled), 0 if not.
 */
#define COMMON_SHORTOPTS ":r:jh"
#define COMMON_LONGOPTS                                   \
	{ "root", required_argument, NULL, 'r' },         \
	{ "json", no_argument, NULL, 'j' },               \
	{ "help", no_argument, NULL, 'h' }
int common_option(struct ctx *ctx, int opt, const char *arg);

/* Opens ctx->root: EXIT_OK, or EXIT_NOTFOUND with a message. */
int open_root(const struct ctx *ctx, struct sysfs *s);

/* "EBUSY" for EBUSY; errno_parse() reads a name or a number (-1 if neither). */
const char *errno_name(int e);
int errno_parse(const char *s);

struct ap_state;
/*
 * Reads the AP state of ctx->root: EXIT_OK, or the exit code after the
 * message (3 without the root or the AP bus).
 */
int load_state(const struct ctx *ctx, unsigned flags, struct ap_state **st);

/* Flushes stdout: EXIT_OK, or EXIT_RUNTIME with a message when the output was lost. */
int finish_output(int rc);
/* --help: prints the command's help text, then as finish_output(EXIT_OK). */
int print_help(const char *text);

int cmd_show(struct ctx *ctx, int argc, char **argv);
int cmd_reserve(struct ctx *ctx, int argc, char **argv);
int cmd_release(struct ctx *ctx, int argc, char **argv);
int cmd_mdev(struct ctx *ctx, int argc, char **argv);
int cmd_ids(struct ctx *ctx, int argc, char **argv);
int cmd_sandbox(struct ctx *ctx, int argc, char **argv);

#endif
