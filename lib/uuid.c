/* SPDX-License-Identifier: MIT */
#include "uuid.h"

#include <stdio.h>
#include <string.h>

#include "ascii.h"

bool uuid_valid(const char *s)
{
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !ascii_isxdigit(s[i]))
			return false;
	}
	return s[36] == '\0';
}

const char *uuid_problem(const char *s, char *buf, size_t size)
{
	size_t len = strlen(s);

	buf[0] = '\0';
	for (int i = 0; i < 36 && (size_t)i < len; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		char c[8];

		snprintf(c, sizeof(c), (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ?
			 "'%c'" : "0x%02x", (unsigned char)s[i]);
		if (dash && s[i] != '-')
			snprintf(buf, size, "character %d is %s where a UUID has a dash "
				 "(8-4-4-4-12 hex digits)", i + 1, c);
		else if (!dash && !ascii_isxdigit(s[i]))
			snprintf(buf, size, "character %d is %s where a UUID has a hex digit "
				 "(8-4-4-4-12 hex digits)", i + 1, c);
		if (buf[0])
			return buf;
	}
	if (len != 36)
		snprintf(buf, size, "it has %zu character%s, a UUID 36 (8-4-4-4-12 hex digits)",
			 len, len == 1 ? "" : "s");
	return buf;
}

void uuid_lower(const char *s, char out[UUID_STR_MAX])
{
	for (int i = 0; i < 36; i++)
		out[i] = ascii_tolower(s[i]);
	out[36] = '\0';
}

void uuid_v4(const uint8_t random[16], char out[UUID_STR_MAX])
{
	uint8_t b[16];

	for (int i = 0; i < 16; i++)
		b[i] = random[i];
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, UUID_STR_MAX,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
		 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}
