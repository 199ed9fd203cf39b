/* SPDX-License-Identifier: MIT */
/*
 * Names of Linux errno values ("EBUSY"), apctl's own table: the kernel's
 * answers are reported by name whatever the C library offers.
 */
#ifndef APCTL_ERRNAMES_H
#define APCTL_ERRNAMES_H

/* "EBUSY" for EBUSY; "errno N" for a value without a name. */
const char *errno_name(int e);
/* A name ("EIO") or a positive number below 4096: the value, or -1. */
int errno_parse(const char *s);

#endif
