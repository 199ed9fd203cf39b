/* SPDX-License-Identifier: MIT */
#include "apqn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ascii.h"
#include "masksyntax.h"

const char *apqn_format(unsigned adapter, unsigned domain, char buf[APQN_STR_MAX])
{
	snprintf(buf, APQN_STR_MAX, "%02x.%04x", adapter & 0xff, domain & 0xffff);
	return buf;
}

/* n hex digits at s, or -1 */
static int hexfield(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		int h = ascii_hexval(s[i]);

		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

int apqn_parse(const char *s, unsigned *adapter, unsigned *domain, struct diag *d)
{
	int a, q;

	if (strlen(s) != 7 || s[2] != '.' || (a = hexfield(s, 2)) < 0 ||
	    (q = hexfield(s + 3, 4)) < 0) {
		diag_set(d, "'%s' is not an APQN: write it as the queue device is named, two hex "
			 "digits of the adapter, a dot, four hex digits of the domain (05.0047)", s);
		return -EINVAL;
	}
	if (q > IDSET_MAX_ID) {
		diag_set(d, "APQN '%s': domain 0x%04x is out of range 0-0xff", s, (unsigned)q);
		return -EINVAL;
	}
	*adapter = (unsigned)a;
	*domain = (unsigned)q;
	return 0;
}

void apqnset_clear(struct apqnset *s)
{
	memset(s, 0, sizeof(*s));
}

void apqnset_add_product(struct apqnset *s, const struct idset *adapters,
			 const struct idset *domains)
{
	idset_foreach(a, adapters)
		s->dom[a] = idset_or(&s->dom[a], domains);
}

void apqnset_and(struct apqnset *r, const struct apqnset *a, const struct apqnset *b)
{
	for (unsigned i = 0; i < IDSET_BITS; i++)
		r->dom[i] = idset_and(&a->dom[i], &b->dom[i]);
}

void apqnset_minus(struct apqnset *r, const struct apqnset *a, const struct apqnset *b)
{
	for (unsigned i = 0; i < IDSET_BITS; i++)
		r->dom[i] = idset_minus(&a->dom[i], &b->dom[i]);
}

bool apqnset_empty(const struct apqnset *s)
{
	for (unsigned i = 0; i < IDSET_BITS; i++)
		if (!idset_empty(&s->dom[i]))
			return false;
	return true;
}

unsigned apqnset_count(const struct apqnset *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < IDSET_BITS; i++)
		n += idset_count(&s->dom[i]);
	return n;
}

struct idset apqnset_adapters(const struct apqnset *s)
{
	struct idset r = { { 0 } };

	for (unsigned i = 0; i < IDSET_BITS; i++)
		if (!idset_empty(&s->dom[i]))
			idset_add(&r, i);
	return r;
}

size_t apqnset_groups(const struct apqnset *s, struct apqn_group out[IDSET_BITS])
{
	size_t n = 0;

	for (unsigned a = 0; a < IDSET_BITS; a++) {
		size_t g;

		if (idset_empty(&s->dom[a]))
			continue;
		for (g = 0; g < n; g++)
			if (idset_equal(&out[g].domains, &s->dom[a]))
				break;
		if (g == n) {
			idset_clear(&out[n].adapters);
			out[n].domains = s->dom[a];
			n++;
		}
		idset_add(&out[g].adapters, a);
	}
	return n;
}

char *matrix_render(const struct idset *apm, const struct idset *aqm, unsigned max_adapter,
		    unsigned max_domain)
{
	struct idset a = idset_upto(max_adapter), q = idset_upto(max_domain);
	size_t na, nq, size, len = 0;
	char *buf;

	a = idset_and(apm, &a);
	q = idset_and(aqm, &q);
	na = idset_count(&a);
	nq = idset_count(&q);
	/* "AA.DDDD\n" is the longest line */
	size = (na && nq ? na * nq : na + nq) * 8 + 1;
	buf = malloc(size);
	if (!buf)
		return NULL;
	buf[0] = '\0';
	if (na && nq) {
		idset_foreach(x, &a)
			idset_foreach(y, &q)
				len += (size_t)snprintf(buf + len, size - len, "%02x.%04x\n", x, y);
	} else if (na) {
		idset_foreach(x, &a)
			len += (size_t)snprintf(buf + len, size - len, "%02x.\n", x);
	} else {
		idset_foreach(y, &q)
			len += (size_t)snprintf(buf + len, size - len, ".%04x\n", y);
	}
	return buf;
}

int matrix_parse(const char *text, struct idset *apm, struct idset *aqm)
{
	const char *p = text;

	idset_clear(apm);
	idset_clear(aqm);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		int a = -1, q = -1;

		if (len == 7 && p[2] == '.') {
			a = hexfield(p, 2);
			q = hexfield(p + 3, 4);
			if (a < 0 || q < 0)
				return -EINVAL;
		} else if (len == 3 && p[2] == '.') {
			if ((a = hexfield(p, 2)) < 0)
				return -EINVAL;
		} else if (len == 5 && p[0] == '.') {
			if ((q = hexfield(p + 1, 4)) < 0)
				return -EINVAL;
		} else {
			return -EINVAL;
		}
		if (q > IDSET_MAX_ID)
			return -EINVAL;
		if (a >= 0)
			idset_add(apm, (unsigned)a);
		if (q >= 0)
			idset_add(aqm, (unsigned)q);
		p += len + (nl ? 1 : 0);
	}
	return 0;
}

void cdoms_render(const struct idset *adm, unsigned max_domain, char buf[CDOMS_STR_MAX])
{
	struct idset upto = idset_upto(max_domain), c = idset_and(adm, &upto);
	size_t len = 0;

	buf[0] = '\0';
	idset_foreach(d, &c)
		len += (size_t)snprintf(buf + len, CDOMS_STR_MAX - len, "%04x\n", d);
}

int cdoms_parse(const char *text, struct idset *adm)
{
	const char *p = text;

	idset_clear(adm);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		int d = len == 4 ? hexfield(p, 4) : -1;

		if (d < 0 || d > IDSET_MAX_ID)
			return -EINVAL;
		idset_add(adm, (unsigned)d);
		p += len + (nl ? 1 : 0);
	}
	return 0;
}

bool matrix_equal(const struct ap_matrix *a, const struct ap_matrix *b)
{
	return idset_equal(&a->apm, &b->apm) && idset_equal(&a->aqm, &b->aqm) &&
	       idset_equal(&a->adm, &b->adm);
}

bool matrix_empty(const struct ap_matrix *m)
{
	return idset_empty(&m->apm) && idset_empty(&m->aqm) && idset_empty(&m->adm);
}

bool matrix_shared_apqn(const struct ap_matrix *a, const struct ap_matrix *b, unsigned *ad,
			unsigned *dd)
{
	struct idset apm = idset_and(&a->apm, &b->apm), aqm = idset_and(&a->aqm, &b->aqm);

	if (idset_empty(&apm) || idset_empty(&aqm))
		return false;
	*ad = (unsigned)idset_first(&apm);
	*dd = (unsigned)idset_first(&aqm);
	return true;
}

void ap_config_render(const struct ap_matrix *m, char buf[AP_CONFIG_STR_MAX])
{
	char a[IDSET_HEX_LEN], q[IDSET_HEX_LEN], c[IDSET_HEX_LEN];

	idset_to_hex(&m->apm, a);
	idset_to_hex(&m->aqm, q);
	idset_to_hex(&m->adm, c);
	snprintf(buf, AP_CONFIG_STR_MAX, "%s,%s,%s\n", a, q, c);
}

/* strsep(&rest, ",\n") */
static char *next_token(char **rest)
{
	char *tok = *rest, *sep;

	if (!tok)
		return NULL;
	sep = strpbrk(tok, ",\n");
	if (sep) {
		*sep = '\0';
		*rest = sep + 1;
	} else {
		*rest = NULL;
	}
	return tok;
}

int kernel_ap_config_parse(const char *buf, size_t len, struct ap_matrix *out)
{
	/* kstrndup(buf, 201): at most 201 bytes, and an embedded NUL ends it */
	char copy[AP_CONFIG_STR_MAX];
	struct ap_matrix m;
	struct idset *masks[3] = { &m.apm, &m.aqm, &m.adm };
	char *rest = copy;

	if (len > AP_CONFIG_STR_MAX - 1)
		len = AP_CONFIG_STR_MAX - 1;
	memcpy(copy, buf, len);
	copy[len] = '\0';
	for (int i = 0; i < 3; i++) {
		char *tok = next_token(&rest);

		if (!tok || kernel_hex2bitmap(tok, masks[i]))
			return -EINVAL;
	}
	*out = m;
	return 0;
}
