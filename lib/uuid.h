/* SPDX-License-Identifier: MIT */
/* UUIDs as the mdev core reads them (guid_parse) and names mdevs (%pUl). */
#ifndef APCTL_UUID_H
#define APCTL_UUID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 36 characters and the NUL */
#define UUID_STR_MAX 37

/* xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, hex digits of either case. */
bool uuid_valid(const char *s);
/*
 * Why s is not a UUID, in a few words ("it has 35 characters, a UUID 36"),
 * into buf; "" when it is one.
 */
const char *uuid_problem(const char *s, char *buf, size_t size);
/* Lowercase copy of a valid UUID. */
void uuid_lower(const char *s, char out[UUID_STR_MAX]);
/* A version 4 (random) UUID from 16 random bytes. */
void uuid_v4(const uint8_t random[16], char out[UUID_STR_MAX]);

#endif
