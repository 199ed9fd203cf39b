/* SPDX-License-Identifier: MIT */
/* ASCII character classes, like the kernel's: no locale can change a mask or a name. */
#ifndef APCTL_ASCII_H
#define APCTL_ASCII_H

#include <stdbool.h>

static inline bool ascii_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

/* The value of a hex digit of either case, or -1. */
static inline int ascii_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static inline bool ascii_isxdigit(char c)
{
	return ascii_hexval(c) >= 0;
}

static inline bool ascii_isalnum(char c)
{
	return ascii_isdigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline char ascii_tolower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static inline char ascii_toupper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

#endif
