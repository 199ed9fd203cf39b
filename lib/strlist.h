/* SPDX-License-Identifier: MIT */
/* A list of sentences (notes, warnings) made with printf formats. */
#ifndef APCTL_STRLIST_H
#define APCTL_STRLIST_H

#include <stdbool.h>
#include <stddef.h>

struct strlist {
	char **v;
	size_t n;
};

void strlist_addf(struct strlist *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strlist_free(struct strlist *l);
/* Whether s is one of l's. */
bool strlist_has(const struct strlist *l, const char *s);

#endif
