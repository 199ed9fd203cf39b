/* SPDX-License-Identifier: MIT */
#include "check.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"

static const char *const names[SEV_COUNT] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

const char *severity_name(enum severity s)
{
	return (unsigned)s < SEV_COUNT ? names[s] : "UNKNOWN";
}

const char *check_prefix(const struct view *v)
{
	return v->prefix ? v->prefix : "apctl";
}

enum severity check_status(const struct check *c)
{
	if (c->oom || c->count[SEV_UNKNOWN])
		return SEV_UNKNOWN;
	if (c->count[SEV_CRITICAL])
		return SEV_CRITICAL;
	return c->count[SEV_WARNING] ? SEV_WARNING : SEV_OK;
}

void check_add(struct check *c, enum severity sev, const char *kind, const char *object,
	       const char *code, const char *fix, const char *fmt, ...)
{
	struct finding *f, *more = grow(c->f, &c->cap, c->n, sizeof(*more));
	va_list ap;
	int n;

	if (!more) {
		c->oom = true;
		return;
	}
	c->f = more;
	f = &c->f[c->n];
	*f = (struct finding){ .sev = sev, .kind = kind, .code = code };
	snprintf(f->object, sizeof(f->object), "%s", object);
	va_start(ap, fmt);
	n = vasprintf(&f->reason, fmt, ap);
	va_end(ap);
	f->fix = fix ? strdup(fix) : NULL;
	if (n < 0 || (fix && !f->fix)) {
		if (n >= 0)
			free(f->reason);
		c->oom = true;
		return;
	}
	c->n++;
	c->count[sev]++;
}

/* The worst first: UNKNOWN, CRITICAL, WARNING. */
static int rank(enum severity s)
{
	return s == SEV_UNKNOWN ? 0 : SEV_CRITICAL - (int)s + 1;
}

int check_collect(const struct view *v, const struct check_input *in, struct check *c)
{
	memset(c, 0, sizeof(*c));
	check_running(v, c);
	check_persistent(v, in, c);
	/* worst first, and in the order found among equals (qsort is not stable) */
	for (size_t i = 1; i < c->n; i++) {
		struct finding f = c->f[i];
		size_t j = i;

		while (j > 0 && rank(c->f[j - 1].sev) > rank(f.sev)) {
			c->f[j] = c->f[j - 1];
			j--;
		}
		c->f[j] = f;
	}
	return c->oom ? -ENOMEM : 0;
}

void check_free(struct check *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->f[i].reason);
		free(c->f[i].fix);
	}
	free(c->f);
	memset(c, 0, sizeof(*c));
}
