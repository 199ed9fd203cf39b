/* SPDX-License-Identifier: MIT */
/* A minimal TAP producer for the unit tests (automake's tap-driver reads it). */
#ifndef APCTL_TAP_H
#define APCTL_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

/* s with control characters as C escapes, for test names (four buffers in turn) */
__attribute__((unused)) static const char *esc(const char *s)
{
	static char bufs[4][512];
	static int next;
	char *buf = bufs[next++ % 4];
	size_t n = 0;

	for (; s && *s && n + 5 < sizeof(bufs[0]); s++) {
		if (*s == '\n') {
			buf[n++] = '\\';
			buf[n++] = 'n';
		} else if ((unsigned char)*s < 0x20) {
			n += (size_t)snprintf(buf + n, 5, "\\x%02x", (unsigned char)*s);
		} else {
			buf[n++] = *s;
		}
	}
	buf[n] = '\0';
	return buf;
}

__attribute__((format(printf, 4, 5))) static int tap_ok(int pass, const char *file, int line,
							 const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", pass ? "" : "not ", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!pass) {
		printf("#   failed at %s:%d\n", file, line);
		tap_failed++;
	}
	return pass;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, ...)                                                              \
	do {                                                                                \
		long long g_ = (long long)(got), w_ = (long long)(want);                    \
		if (!tap_ok(g_ == w_, __FILE__, __LINE__, __VA_ARGS__))                     \
			printf("#   got %lld, want %lld\n", g_, w_);                          \
	} while (0)

#define is_str(got, want, ...)                                                              \
	do {                                                                                \
		const char *g_ = (got), *w_ = (want);                                       \
		if (!tap_ok(g_ && w_ && !strcmp(g_, w_), __FILE__, __LINE__, __VA_ARGS__))  \
			printf("#   got '%s'\n#  want '%s'\n", g_ ? g_ : "(null)",            \
			       w_ ? w_ : "(null)");                                          \
	} while (0)

static int done_testing(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
