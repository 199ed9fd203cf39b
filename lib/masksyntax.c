/* SPDX-License-Identifier: MIT */
#include "masksyntax.h"

#include "ascii.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* _parse_integer_fixup_radix() with base 0 */
static unsigned kernel_radix(const char **sp)
{
	const char *s = *sp;
	unsigned base = 10;

	if (s[0] == '0')
		base = (ascii_tolower(s[1]) == 'x' && ascii_isxdigit(s[2])) ? 16 : 8;
	if (base == 16)
		s += 2;
	*sp = s;
	return base;
}

/* _parse_integer(): digits consumed; the value wraps, *overflow tells. */
static size_t kernel_digits(const char *s, unsigned base, uint64_t *res, bool *overflow)
{
	uint64_t r = 0;
	size_t n = 0;

	*overflow = false;
	for (;; n++) {
		int v = ascii_hexval(s[n]);

		if (v < 0 || (unsigned)v >= base)
			break;
		if ((r & (~UINT64_C(0) << 60)) && r > (UINT64_MAX - (unsigned)v) / base)
			*overflow = true;
		r = r * base + (unsigned)v;
	}
	*res = r;
	return n;
}

uint64_t kernel_simple_strtoul(const char *s, const char **end)
{
	const char *p = s;
	unsigned base = kernel_radix(&p);
	uint64_t v;
	bool overflow;
	size_t n = kernel_digits(p, base, &v, &overflow);

	*end = n ? p + n : s;
	return v;
}

int kernel_kstrtoul(const char *s, uint64_t *out)
{
	unsigned base;
	uint64_t v;
	bool overflow;
	size_t n;

	if (s[0] == '+')
		s++;
	base = kernel_radix(&s);
	n = kernel_digits(s, base, &v, &overflow);
	if (overflow)
		return -ERANGE;
	if (n == 0)
		return -EINVAL;
	s += n;
	if (*s == '\n')
		s++;
	if (*s)
		return -EINVAL;
	*out = v;
	return 0;
}

int kernel_hex2bitmap(const char *s, struct idset *out)
{
	struct idset m = { { 0 } };
	unsigned i = 0;

	if (s[0] == '0' && s[1] == 'x')
		s++;
	if (*s == 'x')
		s++;
	for (; ascii_isxdigit(*s) && i < IDSET_BITS; s++, i += 4) {
		int b = ascii_hexval(*s);

		for (unsigned n = 0; n < 4; n++)
			if (b & (0x08 >> n))
				idset_add(&m, i + n);
	}
	if (*s == '\n')
		s++;
	if (*s)
		return -EINVAL;
	*out = m;
	return 0;
}

/* modify_bitmap() of the kernels that read the numbers as unsigned long */
static int kernel_modify_bitmap(const char *s, struct idset *m)
{
	while (*s) {
		char sign = *s++;
		const char *np;
		uint64_t a, z;

		if (sign != '+' && sign != '-')
			return -EINVAL;
		a = z = kernel_simple_strtoul(s, &np);
		if (np == s || a >= IDSET_BITS)
			return -EINVAL;
		s = np;
		if (*s == '-') {
			z = kernel_simple_strtoul(++s, &np);
			if (np == s || a > z || z >= IDSET_BITS)
				return -EINVAL;
			s = np;
		}
		if (sign == '+')
			idset_add_range(m, (unsigned)a, (unsigned)z);
		else
			idset_del_range(m, (unsigned)a, (unsigned)z);
		while (*s == ',' || *s == '\n')
			s++;
	}
	return 0;
}

int kernel_mask_parse(const char *s, const struct idset *cur, struct idset *out)
{
	struct idset m;
	int rc;

	if (*s == '+' || *s == '-') {
		m = *cur;
		rc = kernel_modify_bitmap(s, &m);
	} else {
		rc = kernel_hex2bitmap(s, &m);
	}
	if (rc == 0)
		*out = m;
	return rc;
}

/*
 * apctl's reading of one number: decimal without leading zeros, or 0x/0X and
 * hex digits. What is refused is explained in *d: where the kernel would
 * accept the string, the message says so, and how the kernel would read it.
 */
static int strict_number(const char **sp, const char *ctx, uint64_t *out, struct diag *d)
{
	const char *s = *sp, *e;
	uint64_t v;
	bool overflow;
	size_t n;

	if (s[0] == '0' && ascii_tolower(s[1]) == 'x') {
		n = kernel_digits(s + 2, 16, &v, &overflow);
		if (n == 0) {
			diag_set(d, "'%.2s' in '%s' has no hex digits after it", s, ctx);
			return -EINVAL;
		}
		e = s + 2 + n;
	} else if (s[0] == '0' && ascii_isdigit(s[1])) {
		const char *p = s;
		uint64_t oct;

		n = 0;
		while (ascii_isdigit(s[n]))
			n++;
		kernel_digits(s, 8, &oct, &overflow);
		(void)kernel_simple_strtoul(s, &p);
		if (p == s + n && !overflow)
			diag_set(d, "'%.*s' in '%s' has a leading 0, which the kernel reads as "
				 "octal (%llu); apctl refuses it as ambiguous: write %llu, or 0x "
				 "and hex digits",
				 (int)n, s, ctx, (unsigned long long)oct, (unsigned long long)oct);
		else
			diag_set(d, "'%.*s' in '%s' has a leading 0, which the kernel reads as "
				 "an octal number; write it in decimal, or as 0x and hex digits",
				 (int)n, s, ctx);
		return -EINVAL;
	} else {
		n = kernel_digits(s, 10, &v, &overflow);
		if (n == 0) {
			diag_set(d, "'%s' has no number where one is expected", ctx);
			return -EINVAL;
		}
		e = s + n;
	}
	if (overflow) {
		if (v < IDSET_BITS)
			diag_set(d, "'%.*s' in '%s' is out of range: the kernel would wrap it around "
				 "to %llu and accept it; apctl refuses it",
				 (int)(e - s), s, ctx, (unsigned long long)v);
		else
			diag_set(d, "'%.*s' in '%s' is out of range 0-255", (int)(e - s), s, ctx);
		return -EINVAL;
	}
	*out = v;
	*sp = e;
	return 0;
}

/* One "N" or "N-M" at *sp; *sp is left after it. */
static int strict_range(const char **sp, const char *ctx, uint64_t *lo, uint64_t *hi,
			struct diag *d)
{
	const char *s = *sp;
	int rc = strict_number(&s, ctx, lo, d);

	if (rc)
		return rc;
	*hi = *lo;
	if (*s == '-' && !ascii_isdigit(s[1])) {
		diag_set(d, "'-' in '%s' is not followed by the last ID of a range", ctx);
		return -EINVAL;
	}
	if (*s == '-') {
		const char *start = *sp;

		s++;
		rc = strict_number(&s, ctx, hi, d);
		if (rc)
			return rc;
		if (*lo > *hi) {
			diag_set(d, "range '%.*s' in '%s' is reversed: the first ID must not be "
				 "higher than the last", (int)(s - start), start, ctx);
			return -EINVAL;
		}
	}
	*sp = s;
	return 0;
}

static int bad_term_end(const char *rest, const char *term, size_t len, const char *ctx,
			struct diag *d)
{
	if (*rest == '+' || *rest == '-')
		diag_set(d, "'%.*s' in '%s' runs two terms together: separate them with a "
			 "comma (the kernel would read it as '%.*s,%.*s'; apctl refuses it as "
			 "ambiguous)", (int)len, term, ctx, (int)(rest - term), term,
			 (int)(len - (size_t)(rest - term)), rest);
	else if (*rest == '\n')
		diag_set(d, "'%s' contains a newline", ctx);
	else
		diag_set(d, "unexpected '%c' in '%.*s' of '%s'", *rest, (int)len, term, ctx);
	return -EINVAL;
}

static int relative_edit(const char *s, const struct idset *cur, struct idset *out,
			 struct diag *d)
{
	struct idset m = *cur;
	const char *p = s;

	for (;;) {
		const char *term = p, *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		uint64_t lo, hi;
		char sign = *p;
		int rc;

		if (len == 0) {
			if (comma)
				diag_set(d, "'%s' has an empty term; the kernel would skip it, "
					 "apctl refuses it as a likely typo", s);
			else
				diag_set(d, "'%s' ends with a comma; the kernel would accept it, "
					 "apctl refuses it as a likely typo", s);
			return -EINVAL;
		}
		if (sign != '+' && sign != '-') {
			diag_set(d, "term '%.*s' of '%s' has no sign: in a relative edit every "
				 "term starts with + or -", (int)len, term, s);
			return -EINVAL;
		}
		p++;
		rc = strict_range(&p, s, &lo, &hi, d);
		if (rc)
			return rc;
		if (lo >= IDSET_BITS || hi >= IDSET_BITS) {
			diag_set(d, "term '%.*s' of '%s' is out of range: IDs go from 0 to 255",
				 (int)len, term, s);
			return -EINVAL;
		}
		if (p != term + len)
			return bad_term_end(p, term, len, s, d);
		if (sign == '+')
			idset_add_range(&m, (unsigned)lo, (unsigned)hi);
		else
			idset_del_range(&m, (unsigned)lo, (unsigned)hi);
		if (!comma)
			break;
		p = comma + 1;
	}
	*out = m;
	return 0;
}

static int absolute_mask(const char *s, struct idset *out, struct diag *d)
{
	struct idset kernel;
	size_t n;

	if (s[0] == '0' && s[1] == 'X') {
		diag_set(d, "'%s': the kernel accepts only a lowercase 0x prefix on a mask", s);
		return -EINVAL;
	}
	if (s[0] != '0' || s[1] != 'x') {
		char ids[IDLIST_MAX];

		if (kernel_hex2bitmap(s, &kernel) == 0 && *s) {
			idlist_format(&kernel, ids, sizeof(ids));
			diag_set(d, "'%s' is neither a relative edit (+N,-N,+N-M) nor a mask "
				 "starting with 0x; the kernel would read it as a left-aligned hex "
				 "mask of IDs %s", s, *ids ? ids : "(none)");
		} else {
			diag_set(d, "'%s' is neither a relative edit (+N,-N,+N-M) nor a mask "
				 "(0x and up to 64 hex digits)", s);
		}
		return -EINVAL;
	}
	n = 0;
	while (ascii_isxdigit(s[2 + n]))
		n++;
	if (n == 0 && !s[2]) {
		diag_set(d, "'0x' has no hex digits: the kernel would clear every bit; write "
			 "0x0 if that is what you want");
		return -EINVAL;
	}
	if (s[2 + n]) {
		if (s[2 + n] == '\n')
			diag_set(d, "'%s' contains a newline", s);
		else
			diag_set(d, "unexpected '%c' in mask '%s': a mask is 0x and up to 64 "
				 "hex digits", s[2 + n], s);
		return -EINVAL;
	}
	if (n > IDSET_BITS / 4) {
		diag_set(d, "mask '%s' has %zu hex digits; a mask has at most 64", s, n);
		return -EINVAL;
	}
	return kernel_hex2bitmap(s, out);
}

int mask_edit_parse(const char *s, const struct idset *cur, struct idset *out,
		    enum mask_edit_form *form, struct diag *d)
{
	bool relative = (*s == '+' || *s == '-');

	if (!*s) {
		diag_set(d, "empty mask edit");
		return -EINVAL;
	}
	if (form)
		*form = relative ? MASK_EDIT_RELATIVE : MASK_EDIT_ABSOLUTE;
	return relative ? relative_edit(s, cur, out, d) : absolute_mask(s, out, d);
}

/* Appends with snprintf semantics: never overruns, keeps the string terminated. */
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += (size_t)n;
	if (*len >= size)
		*len = size - 1;
}

void mask_edit_format(const struct idset *old, const struct idset *new_,
		      enum mask_edit_part part, char *buf, size_t size)
{
	size_t len = 0;
	unsigned id = 0;
	char a[ID_STR_MAX], b[ID_STR_MAX];

	buf[0] = '\0';
	while (id < IDSET_BITS) {
		bool was = idset_has(old, id), is = idset_has(new_, id);
		unsigned end = id;
		char sign = is ? '+' : '-';

		if (was == is || (part == MASK_EDIT_CLEARS && is) ||
		    (part == MASK_EDIT_SETS && !is)) {
			id++;
			continue;
		}
		while (end + 1 < IDSET_BITS && idset_has(old, end + 1) == was &&
		       idset_has(new_, end + 1) == is)
			end++;
		if (end - id >= 2) {
			append(buf, size, &len, "%s%c%s-%s", len ? "," : "", sign, id_format(id, a),
			       id_format(end, b));
		} else {
			for (unsigned i = id; i <= end; i++)
				append(buf, size, &len, "%s%c%s", len ? "," : "", sign,
				       id_format(i, a));
		}
		id = end + 1;
	}
}

const char *id_format(unsigned id, char buf[ID_STR_MAX])
{
	snprintf(buf, ID_STR_MAX, id < 10 ? "%u" : "0x%02x", id);
	return buf;
}

void idlist_format(const struct idset *s, char *buf, size_t size)
{
	size_t len = 0;
	char a[ID_STR_MAX], b[ID_STR_MAX];
	int id = idset_first(s);

	buf[0] = '\0';
	while (id >= 0) {
		unsigned end = (unsigned)id;

		while (end + 1 < IDSET_BITS && idset_has(s, end + 1))
			end++;
		if (end - (unsigned)id >= 2) {
			append(buf, size, &len, "%s%s-%s", len ? "," : "",
			       id_format((unsigned)id, a), id_format(end, b));
		} else {
			for (unsigned i = (unsigned)id; i <= end; i++)
				append(buf, size, &len, "%s%s", len ? "," : "", id_format(i, a));
		}
		id = idset_next(s, end + 1);
	}
}

int idlist_parse(const char *s, unsigned max, const char *what, struct idset *out,
		 struct diag *d)
{
	struct idset m = { { 0 } };
	const char *p = s;

	if (!*s) {
		diag_set(d, "empty %s list", what);
		return -EINVAL;
	}
	for (;;) {
		const char *term = p, *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		uint64_t lo, hi;
		int rc;

		if (len == 0) {
			diag_set(d, "%s list '%s' has an empty term", what, s);
			return -EINVAL;
		}
		if (!ascii_isdigit(*p)) {
			diag_set(d, "'%.*s' in %s list '%s' is not an ID: write IDs in decimal "
				 "or 0x hex, ranges as N-M, separated by commas",
				 (int)len, term, what, s);
			return -EINVAL;
		}
		rc = strict_range(&p, s, &lo, &hi, d);
		if (rc)
			return rc;
		if (p != term + len) {
			diag_set(d, "unexpected '%c' in '%.*s' of %s list '%s'", *p, (int)len, term,
				 what, s);
			return -EINVAL;
		}
		if (hi > max) {
			char m1[ID_STR_MAX];

			diag_set(d, "%s %s'%.*s' is above the maximum %s ID %s (%u)", what,
				 lo == hi ? "" : "range ", (int)len, term, what,
				 id_format(max, m1), max);
			return -EINVAL;
		}
		idset_add_range(&m, (unsigned)lo, (unsigned)hi);
		if (!comma)
			break;
		p = comma + 1;
	}
	*out = m;
	return 0;
}

int id_parse(const char *s, unsigned max, const char *what, unsigned *out, struct diag *d)
{
	const char *p = s;
	uint64_t v;
	int rc;

	if (!*s || !ascii_isdigit(*s)) {
		diag_set(d, "'%s' is not a %s: write it in decimal or as 0x and hex digits", s,
			 what);
		return -EINVAL;
	}
	rc = strict_number(&p, s, &v, d);
	if (rc)
		return rc;
	if (*p) {
		diag_set(d, "'%s' is not a %s: write it in decimal or as 0x and hex digits", s,
			 what);
		return -EINVAL;
	}
	if (v > max) {
		diag_set(d, "%s %s is above %u", what, s, max);
		return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}
