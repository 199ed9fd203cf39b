/* SPDX-License-Identifier: MIT */
/*
 * A message from the model to its caller. lib/ never prints: a function that
 * refuses a value says why in a struct diag, and the caller decides where the
 * text goes.
 */
#ifndef APCTL_DIAG_H
#define APCTL_DIAG_H

#define DIAG_MAX 1024

struct diag {
	char msg[DIAG_MAX];
};

/* Sets the message; d may be NULL. */
void diag_set(struct diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
