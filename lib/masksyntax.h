/* SPDX-License-Identifier: MIT */
/*
 * The kernel's write syntax for apmask and aqmask, and apctl's ID lists.
 *
 * Two readers of the same mask syntax live here:
 *  - kernel_*() read a string exactly as the kernel does (ap_bus.c,
 *    lib/kstrtox.c), quirks included; the sandbox's emulated kernel uses them.
 *  - mask_edit_parse() and idlist_parse() read what an administrator types.
 *    They refuse some strings that the kernel accepts (leading zeros, numbers
 *    that wrap around, empty terms, ...) and say so, but a string they accept
 *    always means to them exactly what it means to the kernel.
 */
#ifndef APCTL_MASKSYNTAX_H
#define APCTL_MASKSYNTAX_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "idset.h"

/* kstrtoul(s, 0, &v) (spec 1.2): 0, -EINVAL or -ERANGE. */
int kernel_kstrtoul(const char *s, uint64_t *out);

/* simple_strtoul(s, &end, 0): wraps modulo 2^64; *end == s if no digits. */
uint64_t kernel_simple_strtoul(const char *s, const char **end);

/* The absolute form (ap_hex2bitmap): 0 or -EINVAL. */
int kernel_hex2bitmap(const char *s, struct idset *out);

/*
 * What an apmask or aqmask store makes of the string it is given
 * (ap_parse_bitmap_str): relative when it starts with '+' or '-' (applied to
 * *cur), absolute otherwise. 0 or -EINVAL; *out is untouched on error.
 */
int kernel_mask_parse(const char *s, const struct idset *cur, struct idset *out);

enum mask_edit_form {
	MASK_EDIT_RELATIVE,
	MASK_EDIT_ABSOLUTE,
};

/*
 * An administrator's mask edit: "+N", "-N", "+N-M", comma separated, or
 * "0x" + 1 to 64 hex digits. 0 with *out (and *form if not NULL), or -EINVAL
 * with the reason in *d.
 */
int mask_edit_parse(const char *s, const struct idset *cur, struct idset *out,
		    enum mask_edit_form *form, struct diag *d);

/* Longest relative edit: 256 terms of "+0xff,", and the NUL. */
#define MASK_EDIT_MAX 1540

/*
 * The relative edit that turns old into new, e.g. "-5,-6" or "+0-0x0f"
 * (IDs as id_format() writes them, ascending); "" when they are equal. With
 * MASK_EDIT_CLEARS or MASK_EDIT_SETS, just those terms.
 */
enum mask_edit_part {
	MASK_EDIT_ALL,
	MASK_EDIT_CLEARS,
	MASK_EDIT_SETS,
};
void mask_edit_format(const struct idset *old, const struct idset *new_,
		      enum mask_edit_part part, char *buf, size_t size);

/*
 * An ID list from the command line: "5,6,0x0a-0x0c". Decimal or 0x hex,
 * ranges N-M, comma separated; every ID at most max. 'what' names the IDs in
 * messages ("adapter", "domain", "control domain").
 */
int idlist_parse(const char *s, unsigned max, const char *what, struct idset *out,
		 struct diag *d);

/* One ID, decimal or 0x hex, at most max. */
int id_parse(const char *s, unsigned max, const char *what, unsigned *out, struct diag *d);

/* Longest ID list: 256 IDs of "0xff,", and the NUL. */
#define IDLIST_MAX 1290

/* "5,6,0x0a-0x0c"; runs of three or more as ranges; "" for the empty set. */
void idlist_format(const struct idset *s, char *buf, size_t size);

/* One ID as apctl writes it: decimal below 10, else 0x and two hex digits. */
#define ID_STR_MAX 8
const char *id_format(unsigned id, char buf[ID_STR_MAX]);

#endif
