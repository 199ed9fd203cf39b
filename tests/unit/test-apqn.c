/* SPDX-License-Identifier: MIT */
/* APQN notation, products, and the kernel's matrix, control_domains and ap_config formats. */
#include <errno.h>
#include <stdlib.h>

#include "apqn.h"
#include "masksyntax.h"
#include "tap.h"

static struct idset ids(const char *list)
{
	struct idset s = { { 0 } };

	idlist_parse(list, 255, "test", &s, NULL);
	return s;
}

static void render_is(const char *apm, const char *aqm, unsigned ma, unsigned md,
		      const char *want)
{
	struct idset a = ids(apm), q = ids(aqm);
	char *text = matrix_render(&a, &q, ma, md);

	is_str(text, want, "matrix of adapters {%s} x domains {%s}", apm, aqm);
	free(text);
}

static void config_is(const char *in, size_t len, int rc, const char *apm, const char *aqm,
		      const char *adm)
{
	struct ap_matrix m;
	int got = kernel_ap_config_parse(in, len, &m);

	if (rc) {
		is_int(got, rc, "ap_config refuses \"%.40s\"", esc(in));
		return;
	}
	{
		struct idset a = ids(apm), q = ids(aqm), c = ids(adm);

		ok(got == 0 && idset_equal(&m.apm, &a) && idset_equal(&m.aqm, &q) &&
			   idset_equal(&m.adm, &c),
		   "ap_config reads \"%.40s...\" as {%s},{%s},{%s}", esc(in), apm, aqm, adm);
	}
}

#define Z62 "00000000000000000000000000000000000000000000000000000000000000"
#define M5 "0x04" Z62  /* adapter 5 */
#define M47 "0x0000000000000000010000000000000000000000000000000000000000000000" /* 0x47 */

int main(void)
{
	char buf[APQN_STR_MAX];
	unsigned a, d;
	struct diag dg;

	/* notation (spec 1) */
	is_str(apqn_format(5, 0x47, buf), "05.0047", "APQN 05.0047");
	is_str(apqn_format(10, 255, buf), "0a.00ff", "APQN 0a.00ff");
	is_str(apqn_format(0, 0, buf), "00.0000", "APQN 00.0000");
	ok(apqn_parse("05.0047", &a, &d, NULL) == 0 && a == 5 && d == 0x47, "parse 05.0047");
	ok(apqn_parse("0A.00FF", &a, &d, NULL) == 0 && a == 10 && d == 255, "parse upper case");
	ok(apqn_parse("ff.00ff", &a, &d, NULL) == 0 && a == 255 && d == 255, "parse the maximum");
	ok(apqn_parse("5.47", &a, &d, &dg) == -EINVAL, "short forms are refused: %s", dg.msg);
	ok(apqn_parse("05.47", &a, &d, NULL) == -EINVAL, "a short domain is refused");
	ok(apqn_parse("05.0100", &a, &d, &dg) == -EINVAL, "domain 0x100 is refused: %s", dg.msg);
	ok(apqn_parse("05,0047", &a, &d, NULL) == -EINVAL, "a comma is refused");
	ok(apqn_parse("05.0047 ", &a, &d, NULL) == -EINVAL, "trailing space is refused");
	ok(apqn_parse("0x5.0047", &a, &d, NULL) == -EINVAL, "0x is refused");

	/* products and sets */
	{
		struct apqnset *s = calloc(1, sizeof(*s)), *t = calloc(1, sizeof(*t));
		struct idset ad = ids("5,6"), dom = ids("4,0x47,0xab,0xff");
		struct apqn_group g[IDSET_BITS];

		apqnset_add_product(s, &ad, &dom);
		is_int(apqnset_count(s), 8, "5,6 x 4,0x47,0xab,0xff is 8 APQNs");
		ok(apqnset_has(s, 6, 0xab) && !apqnset_has(s, 7, 4), "membership");
		is_int(apqnset_groups(s, g), 1, "one product");
		apqnset_del(s, 6, 0xff);
		is_int(apqnset_groups(s, g), 2, "two products after removing 06.00ff");
		ok(!idset_empty(&g[0].adapters) && !idset_empty(&g[1].adapters), "groups are filled");
		apqnset_add(t, 5, 4);
		apqnset_minus(s, s, t);
		is_int(apqnset_count(s), 6, "minus");
		apqnset_and(t, s, t);
		ok(apqnset_empty(t), "and of disjoint sets is empty");
		{
			struct idset r = apqnset_adapters(s);

			ok(idset_equal(&r, &ad), "adapters of a set");
		}
		free(s);
		free(t);
	}

	/* matrix rendering (spec 2.5) */
	render_is("5,6", "4,0x47", 255, 255, "05.0004\n05.0047\n06.0004\n06.0047\n");
	render_is("5", "", 255, 255, "05.\n");
	render_is("", "4,0xff", 255, 255, ".0004\n.00ff\n");
	render_is("", "", 255, 255, "");
	render_is("5,0x50", "4,0x20", 0x3f, 0x0f, "05.0004\n");
	render_is("0x50", "4", 0x3f, 255, ".0004\n");
	{
		struct idset pa, pq, ea = ids("5,6"), eq = ids("4,0x47");

		ok(matrix_parse("05.0004\n05.0047\n06.0004\n06.0047\n", &pa, &pq) == 0 &&
			   idset_equal(&pa, &ea) && idset_equal(&pq, &eq),
		   "matrix read back");
		ok(matrix_parse("05.\n06.\n", &pa, &pq) == 0 && idset_equal(&pa, &ea) &&
			   idset_empty(&pq),
		   "adapters-only matrix read back");
		ok(matrix_parse(".0004\n.0047\n", &pa, &pq) == 0 && idset_empty(&pa) &&
			   idset_equal(&pq, &eq),
		   "domains-only matrix read back");
		ok(matrix_parse("", &pa, &pq) == 0 && idset_empty(&pa) && idset_empty(&pq),
		   "empty matrix read back");
		ok(matrix_parse("5.4\n", &pa, &pq) == -EINVAL, "a foreign line is refused");
	}
	/* control_domains */
	{
		char text[CDOMS_STR_MAX];
		struct idset c = ids("4,0x47,0xff"), back;

		cdoms_render(&c, 255, text);
		is_str(text, "0004\n0047\n00ff\n", "control_domains");
		ok(cdoms_parse(text, &back) == 0 && idset_equal(&back, &c), "read back");
		cdoms_render(&c, 15, text);
		is_str(text, "0004\n", "only domains up to the maximum");
		c = ids("");
		cdoms_render(&c, 255, text);
		is_str(text, "", "no control domains");
	}

	/* ap_config (spec 3.6) */
	{
		struct ap_matrix m = { ids("5"), ids("0x47"), ids("0x47") };
		char text[AP_CONFIG_STR_MAX];

		ap_config_render(&m, text);
		is_int(strlen(text), 201, "ap_config is 201 bytes");
		is_str(text, M5 "," M47 "," M47 "\n", "ap_config text");
	}
	config_is(M5 "," M47 "," M47, strlen(M5 "," M47 "," M47), 0, "5", "0x47", "0x47");
	config_is(M5 "," M47 "," M47 "\n", strlen(M5 "," M47 "," M47 "\n"), 0, "5", "0x47", "0x47");
	config_is(M5 "\n" M47 "\n" M47 "\n", strlen(M5 "," M47 "," M47 "\n"), 0, "5", "0x47",
		  "0x47");
	config_is(M5 "," M47, strlen(M5 "," M47), -EINVAL, NULL, NULL, NULL);
	config_is(M5 "," M47 "\n", strlen(M5 "," M47 "\n"), 0, "5", "0x47", "");
	config_is(",,", 2, 0, "", "", "");
	config_is(",,\n", 3, 0, "", "", "");
	config_is("0x04,0x,x", 9, 0, "5", "", "");
	config_is("0x04,0x02,0x01,garbage", 22, 0, "5", "6", "7");
	config_is("0x04,0x02,0xg1", 14, -EINVAL, NULL, NULL, NULL);
	config_is("0x04,0X02,0x01", 14, -EINVAL, NULL, NULL, NULL);
	{
		/* only the first 201 bytes are read */
		char big[400];

		snprintf(big, sizeof(big), "%s,%s,%s\ngarbage", M5, M47, M47);
		config_is(big, strlen(big), 0, "5", "0x47", "0x47");
		snprintf(big, sizeof(big), "%s,%s,%s0000", M5, M47, M47);
		config_is(big, strlen(big), -EINVAL, NULL, NULL, NULL);
		/* an embedded NUL ends the string */
		config_is("0x04,0x02,0x01\0zzz", 18, 0, "5", "6", "7");
	}
	return done_testing();
}
