/* SPDX-License-Identifier: MIT */
/*
 * mdevctl's callout protocol, as apctl's callout speaks it: mdevctl runs
 * "CALLOUT -t TYPE -e EVENT -a ACTION -s STATE -u UUID -p PARENT" with the
 * definition's JSON on stdin. A callout that does not handle TYPE exits 2;
 * any other non-zero exit of a "pre" call stops mdevctl's action.
 */
#ifndef APCTL_CALLOUT_H
#define APCTL_CALLOUT_H

#include <stdio.h>

#include "apqn.h"
#include "persist.h"
#include "state.h"

/* The exit of a callout that does not handle the mdev type: mdevctl tries the next. */
#define CALLOUT_NOT_MINE 2

/*
 * "get capabilities" (mdevctl 1.3): what mdevctl provides (the JSON of in)
 * that apctl's callout supports, as {"supports": ...} on out. 0, or -EINVAL
 * with why in err.
 */
int callout_capabilities(const char *in, FILE *out, char *err, size_t size);

/*
 * "get attributes": the IDs of m as mdevctl's attrs (ap-check's form: adapters,
 * domains, control domains, each in decimal), one line on out.
 */
int callout_attrs(FILE *out, const struct ap_matrix *m);

/*
 * Runs path with argv (argv[0] its name) and in (len bytes) on its stdin,
 * its stdout and stderr ours: its exit status, 128 + a signal that ended it,
 * or -errno when it cannot be run.
 */
int callout_run_peer(const char *path, const char *const argv[], const char *in, size_t len);

/*
 * Whether mdevctl's start of def fails now on st (its writes as the kernel
 * answers them), with why: 1, 0, or -ENOMEM.
 */
int callout_start_fails(const struct ap_state *st, const struct mdev_def *def, char *why,
			size_t size);

/* All of stdin, NUL-terminated, in a malloc'ed buffer; NULL on error (errno). */
char *callout_read_all(FILE *f, size_t *len);

#endif
