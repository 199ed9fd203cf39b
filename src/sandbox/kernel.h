/* SPDX-License-Identifier: MIT */
/* Inside the emulated kernel: one write, and the store functions that take it. */
#ifndef APCTL_SANDBOX_KERNEL_H
#define APCTL_SANDBOX_KERNEL_H

#include <stddef.h>

#include "state.h"
#include "sysfs.h"

struct kwrite {
	struct sysfs *s;
	const char *attr;    /* canonical path, relative to the root */
	const char *val;     /* what the store sees: the bytes written, NUL-terminated */
	size_t len;          /* how many bytes were written */
	struct ap_state *st; /* the kernel's state, changed by the store */
	char *log;           /* kernel log lines of this write */
	size_t loglen;
};

/*
 * The store function of k->attr applied to k->st: 0 or the kernel's -errno;
 * -EOPNOTSUPP for a writable attribute the emulation does not cover.
 */
int kernel_dispatch(struct kwrite *k);

#endif
