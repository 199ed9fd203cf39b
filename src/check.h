/* SPDX-License-Identifier: MIT */
/*
 * apctl check: what is wrong with a host's AP configuration, running and
 * persistent, as findings that each name their object, say why and, where a
 * command removes the cause, give it. The severities are the monitoring
 * plugins' (OK, WARNING, CRITICAL, UNKNOWN), so that the worst finding is
 * the exit status.
 */
#ifndef APCTL_CHECK_H
#define APCTL_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "report.h"

enum severity {
	SEV_OK = 0,
	SEV_WARNING = 1,
	SEV_CRITICAL = 2,
	SEV_UNKNOWN = 3,
};
#define SEV_COUNT 4

#define FINDING_OBJECT_MAX 160

struct finding {
	enum severity sev;
	const char *kind;        /* what the object is: "card", "apqn", "mdev", "definition", ... */
	char object[FINDING_OBJECT_MAX]; /* "05", "05.0004", a UUID, a file */
	const char *code;        /* "card_checkstopped", ...: one per kind of finding */
	char *reason;            /* a sentence */
	char *fix;               /* a command to paste that removes the cause, or NULL */
};

/* What check looks at besides the view (its state, persist, journal). */
struct check_input {
	const char *persist_error; /* why the persistent configuration cannot be read, or NULL */
	int lock;                  /* enum aplock_seen */
	pid_t lock_pid;
};

struct check {
	struct finding *f;
	size_t n, cap;
	unsigned count[SEV_COUNT];
	bool oom;
};

/* "OK", "WARNING", "CRITICAL", "UNKNOWN" */
const char *severity_name(enum severity s);
/* What a fix's command starts with: "apctl", or "apctl --root DIR". */
const char *check_prefix(const struct view *v);
/* The worst severity found: the exit status. */
enum severity check_status(const struct check *c);

/* Every finding of v's host, in order: running, persistent, housekeeping. 0 or -ENOMEM. */
int check_collect(const struct view *v, const struct check_input *in, struct check *c);
void check_free(struct check *c);

/* A finding made of printf's words; kind and code are kept, not copied. */
void check_add(struct check *c, enum severity sev, const char *kind, const char *object,
	       const char *code, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/* the running host and the persistent configuration (check-host.c, check-persist.c) */
void check_running(const struct view *v, struct check *c);
void check_persistent(const struct view *v, const struct check_input *in, struct check *c);

/* how check prints (report-check.c) */
void check_print_text(FILE *f, const struct view *v, const struct check *c);
void check_print_json(FILE *f, const struct view *v, const struct check *c);
void check_print_prometheus(FILE *f, const struct view *v, const struct check *c);

#endif
