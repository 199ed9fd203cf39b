/* SPDX-License-Identifier: MIT */
#include "strlist.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void strlist_addf(struct strlist *l, const char *fmt, ...)
{
	char **more = realloc(l->v, (l->n + 1) * sizeof(*more));
	va_list ap;

	if (!more)
		return;
	l->v = more;
	va_start(ap, fmt);
	if (vasprintf(&l->v[l->n], fmt, ap) >= 0)
		l->n++;
	va_end(ap);
}

void strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

bool strlist_has(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return true;
	return false;
}
