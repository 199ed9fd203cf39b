/* SPDX-License-Identifier: MIT */
/*
 * The kernel's number and mask syntax (spec 1.2 and 3.1), every example, and
 * apctl's stricter reading of the same syntax: whatever it accepts it must
 * read exactly as the kernel does.
 */
#include <errno.h>
#include <stdlib.h>

#include "masksyntax.h"
#include "tap.h"

static struct idset all, none;

static struct idset ids(const char *list)
{
	struct idset s = { { 0 } };

	if (idlist_parse(list, 255, "test", &s, NULL))
		printf("# bad list in test: %s\n", list);
	return s;
}

static void kstrtoul_is(const char *in, int rc, unsigned long long want)
{
	uint64_t v = 12345;
	int got = kernel_kstrtoul(in, &v);

	if (rc)
		is_int(got, rc, "kstrtoul(\"%s\") fails with %d", esc(in), rc);
	else
		ok(got == 0 && v == want, "kstrtoul(\"%s\") = %llu (rc %d, got %llu)", esc(in), want, got,
		   (unsigned long long)v);
}

/* the kernel's reading of a mask write, from cur */
static void kernel_is(const char *in, const struct idset *cur, int rc, const char *want)
{
	struct idset out = { { 0 } }, w = want ? ids(want) : none;
	int got = kernel_mask_parse(in, cur, &out);

	if (rc) {
		is_int(got, rc, "kernel refuses \"%s\"", esc(in));
	} else {
		char g[IDLIST_MAX];

		idlist_format(&out, g, sizeof(g));
		ok(got == 0 && idset_equal(&out, &w), "kernel reads \"%s\" as {%s} (rc %d, got {%s})",
		   esc(in), want ? want : "", got, g);
	}
}

/* apctl's reading: refused, or the same as the kernel's */
static void strict_refuses(const char *in, const char *why)
{
	struct idset out;
	struct diag d = { "" };
	int rc = mask_edit_parse(in, &all, &out, NULL, &d);

	ok(rc == -EINVAL && strstr(d.msg, why), "apctl refuses \"%s\": %s", esc(in), esc(d.msg));
}

static void strict_accepts(const char *in, const struct idset *cur)
{
	struct idset a, k;
	struct diag d = { "" };
	int rs = mask_edit_parse(in, cur, &a, NULL, &d), rk = kernel_mask_parse(in, cur, &k);

	ok(rs == 0 && rk == 0 && idset_equal(&a, &k), "apctl reads \"%s\" as the kernel does %s",
	   esc(in), esc(d.msg));
}

static void idlist_is(const char *in, unsigned max, const char *want)
{
	struct idset out;
	struct diag d = { "" };
	int rc = idlist_parse(in, max, "domain", &out, &d);

	if (!want) {
		ok(rc == -EINVAL, "ID list \"%s\" (max %u) is refused: %s", in, max, d.msg);
	} else {
		char g[IDLIST_MAX];

		idlist_format(&out, g, sizeof(g));
		ok(rc == 0 && !strcmp(g, want), "ID list \"%s\" is {%s} (got {%s} %s)", in, want, g,
		   d.msg);
	}
}

static void edit_is(const char *old, const char *new_, enum mask_edit_part part, const char *want)
{
	struct idset o = ids(old), n = ids(new_);
	char buf[MASK_EDIT_MAX];

	mask_edit_format(&o, &n, part, buf, sizeof(buf));
	is_str(buf, want, "edit from {%s} to {%s}", old, new_);
}

static unsigned rnd(void)
{
	return (unsigned)random();
}

int main(void)
{
	struct idset cur;
	char want[IDSET_HEX_LEN];

	idset_fill(&all);
	idset_clear(&none);

	/* 1.2: kstrtoul(buf, 0) */
	kstrtoul_is("5", 0, 5);
	kstrtoul_is("0x0a", 0, 10);
	kstrtoul_is("0X1F", 0, 31);
	kstrtoul_is("010", 0, 8);
	kstrtoul_is("47", 0, 47);
	kstrtoul_is("+5", 0, 5);
	kstrtoul_is("5\n", 0, 5);
	kstrtoul_is("0", 0, 0);
	kstrtoul_is("255", 0, 255);
	kstrtoul_is("", -EINVAL, 0);
	kstrtoul_is("\n", -EINVAL, 0);
	kstrtoul_is("08", -EINVAL, 0);
	kstrtoul_is("09", -EINVAL, 0);
	kstrtoul_is("0x", -EINVAL, 0);
	kstrtoul_is("0x\n", -EINVAL, 0);
	kstrtoul_is("-1", -EINVAL, 0);
	kstrtoul_is(" 5", -EINVAL, 0);
	kstrtoul_is("5 ", -EINVAL, 0);
	kstrtoul_is("5\n\n", -EINVAL, 0);
	kstrtoul_is("abc", -EINVAL, 0);
	kstrtoul_is("99999999999999999999999", -ERANGE, 0);
	kstrtoul_is("18446744073709551615", 0, 18446744073709551615ULL);
	kstrtoul_is("18446744073709551616", -ERANGE, 0);

	/* 3.1: relative mode */
	kernel_is("+0-15,+32,-128,-0xFF", &none, 0, "0-15,32");
	kernel_is("-0-255,+1-16,+0x128", &all, -EINVAL, NULL); /* 0x128 = 296 */
	kernel_is("-0-255,+1-16,+0x12", &all, 0, "1-16,0x12");
	kernel_is("+1,+2,+3,+4,-5,-7-10", &all, 0, "0-4,6,0x0b-0xff");
	kernel_is("+0-255,-128", &none, 0, "0-127,129-255");
	kernel_is("-5,-6", &all, 0, "0-4,7-255");
	kernel_is("+1,,+2", &none, 0, "1,2");
	kernel_is("+1,", &none, 0, "1");
	kernel_is("+1\n+2", &none, 0, "1,2");
	kernel_is("+1\n", &none, 0, "1");
	kernel_is("+1,\n,\n", &none, 0, "1");
	kernel_is("+1+2", &none, 0, "1,2");
	kernel_is("+1-2-3", &all, 0, "0-2,4-255");
	kernel_is("+010", &none, 0, "8");
	kernel_is("+0X1F", &none, 0, "0x1f");
	kernel_is("+0", &none, 0, "0");
	kernel_is("+255", &none, 0, "0xff");
	kernel_is("+256", &none, -EINVAL, NULL);
	kernel_is("+5-3", &none, -EINVAL, NULL);
	kernel_is("+5-256", &none, -EINVAL, NULL);
	kernel_is("+5-", &none, -EINVAL, NULL);
	kernel_is("+", &none, -EINVAL, NULL);
	kernel_is("+1,0xff", &none, -EINVAL, NULL);
	kernel_is("+1, +2", &none, -EINVAL, NULL);
	kernel_is("+0x", &none, -EINVAL, NULL);
	kernel_is("+08", &none, -EINVAL, NULL);
	kernel_is("+09", &none, -EINVAL, NULL);
	kernel_is("+1x", &none, -EINVAL, NULL);
	/* numbers wrap around modulo 2^64 unnoticed */
	kernel_is("+18446744073709551621", &none, 0, "5");
	kernel_is("+18446744073709551616", &none, 0, "0");
	kernel_is("+18446744073709552128", &none, -EINVAL, NULL);
	{
		/* a parse error changes nothing */
		struct idset out = ids("1"), before = out;

		ok(kernel_mask_parse("+2,+300", &none, &out) == -EINVAL &&
			   idset_equal(&out, &before),
		   "a refused edit leaves the result untouched");
	}

	/* 3.1: absolute mode */
	kernel_is("0x41", &all, 0, "1,7");
	kernel_is("0x4100000000000000000000000000000000000000000000000000000000000000", &all, 0,
		  "1,7");
	kernel_is("0x7d00000000000000000000000000000000000000000000000000000000000000\n", &all, 0,
		  "1-5,7");
	kernel_is("41", &all, 0, "1,7");
	kernel_is("x41", &all, 0, "1,7");
	kernel_is("0xFF", &all, 0, "0-7");
	kernel_is("", &all, 0, NULL);
	kernel_is("\n", &all, 0, NULL);
	kernel_is("0x", &all, 0, NULL);
	kernel_is("0x\n", &all, 0, NULL);
	kernel_is("0X41", &all, -EINVAL, NULL);
	kernel_is("0x41\n\n", &all, -EINVAL, NULL);
	kernel_is(" 0x41", &all, -EINVAL, NULL);
	kernel_is("0x41 ", &all, -EINVAL, NULL);
	kernel_is("0x41,", &all, -EINVAL, NULL);
	kernel_is("0x41+1", &all, -EINVAL, NULL);
	kernel_is("ff,+1", &all, -EINVAL, NULL);
	kernel_is("xx1", &all, -EINVAL, NULL);
	kernel_is("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", &none, 0,
		  "0-255");
	kernel_is("0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", &none,
		  -EINVAL, NULL);

	/* apctl's reading: the same or refused, and it says why */
	strict_accepts("-5,-6", &all);
	strict_accepts("+0-15,+32,-128,-0xFF", &none);
	strict_accepts("+0X1F", &none);
	strict_accepts("-0", &all);
	strict_accepts("+255", &none);
	strict_accepts("0x41", &all);
	strict_accepts("0x0", &all);
	strict_accepts("0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", &none);
	strict_refuses("+010", "octal (8)");
	strict_refuses("+09", "leading 0");
	strict_refuses("+18446744073709551621", "wrap it around to 5");
	strict_refuses("+99999999999999999999999", "out of range");
	strict_refuses("+256", "out of range");
	strict_refuses("+1,,+2", "empty term");
	strict_refuses("+1,", "ends with a comma");
	strict_refuses("+1+2", "'+1,+2'");
	strict_refuses("+1-2-3", "'+1-2,-3'");
	strict_refuses("+5-3", "reversed");
	strict_refuses("+5-", "last ID of a range");
	strict_refuses("+1,0xff", "no sign");
	strict_refuses("+1\n", "newline");
	strict_refuses("+0x", "no hex digits");
	strict_refuses("+", "no number");
	strict_refuses("", "empty");
	strict_refuses("5", "IDs 1,3");
	strict_refuses("ff", "IDs 0-7");
	strict_refuses("x41", "IDs 1,7");
	strict_refuses("0x", "0x0");
	strict_refuses("0X41", "lowercase");
	strict_refuses("0x41\n", "newline");
	strict_refuses("0x4g", "unexpected 'g'");
	strict_refuses("0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
		       "65 hex digits");
	strict_refuses(" +1", "neither");
	{
		enum mask_edit_form form;
		struct idset out;

		ok(mask_edit_parse("-5", &all, &out, &form, NULL) == 0 && form == MASK_EDIT_RELATIVE,
		   "a relative edit says so");
		ok(mask_edit_parse("0x0", &all, &out, &form, NULL) == 0 && form == MASK_EDIT_ABSOLUTE,
		   "an absolute mask says so");
	}

	/*
	 * Random strings of mask characters: whatever apctl accepts, it reads as the
	 * kernel does. Seeded, so that a failure can be replayed.
	 */
	{
		static const char alphabet[] = "+-,0123456789xXabfF\n ";
		int agree = 1, accepted = 0;

		srandom(42);
		for (int i = 0; i < 200000 && agree; i++) {
			char s[16];
			int n = 1 + (int)(rnd() % 12);
			struct idset a, k, base = ids("0-15,0x40-0x4f");

			for (int j = 0; j < n; j++)
				s[j] = alphabet[rnd() % (sizeof(alphabet) - 1)];
			s[n] = '\0';
			if (mask_edit_parse(s, &base, &a, NULL, NULL) == 0) {
				accepted++;
				if (kernel_mask_parse(s, &base, &k) || !idset_equal(&a, &k)) {
					agree = 0;
					printf("# disagree on \"%s\"\n", esc(s));
				}
			}
		}
		ok(agree && accepted > 1000,
		   "200000 random edits: every one apctl accepts (%d) means the same to the kernel",
		   accepted);
	}

	/* relative edits from two masks, and back through the kernel's parser */
	edit_is("0-255", "0-4,7-255", MASK_EDIT_ALL, "-5,-6");
	edit_is("0-4,7-255", "0-255", MASK_EDIT_ALL, "+5,+6");
	edit_is("0-255", "0-255", MASK_EDIT_ALL, "");
	edit_is("0-255", "0x10-0xff", MASK_EDIT_ALL, "-0-0x0f");
	edit_is("0-255", "0-0x46,0x48-0xff", MASK_EDIT_ALL, "-0x47");
	edit_is("1-3", "4-6", MASK_EDIT_ALL, "-1-3,+4-6");
	edit_is("1-3", "4-6", MASK_EDIT_CLEARS, "-1-3");
	edit_is("1-3", "4-6", MASK_EDIT_SETS, "+4-6");
	{
		int good = 1;

		srandom(7);
		for (int i = 0; i < 2000 && good; i++) {
			struct idset o, n, back;
			char buf[MASK_EDIT_MAX];

			for (int w = 0; w < 4; w++) {
				o.w[w] = ((uint64_t)rnd() << 33) ^ ((uint64_t)rnd() << 2) ^ rnd();
				n.w[w] = ((uint64_t)rnd() << 33) ^ ((uint64_t)rnd() << 2) ^ rnd();
			}
			mask_edit_format(&o, &n, MASK_EDIT_ALL, buf, sizeof(buf));
			if (!*buf) {
				good = idset_equal(&o, &n);
				continue;
			}
			good = kernel_mask_parse(buf, &o, &back) == 0 && idset_equal(&back, &n) &&
			       mask_edit_parse(buf, &o, &back, NULL, NULL) == 0 &&
			       idset_equal(&back, &n) && strlen(buf) < 4096;
		}
		ok(good, "2000 random edits read back by the kernel give the new mask");
	}
	{
		/* the longest edit */
		struct idset o = { { 0 } }, n = { { 0 } };
		char buf[MASK_EDIT_MAX];

		for (unsigned id = 0; id < 256; id += 2)
			idset_add(&n, id);
		for (unsigned id = 1; id < 256; id += 2)
			idset_add(&o, id);
		mask_edit_format(&o, &n, MASK_EDIT_ALL, buf, sizeof(buf));
		ok(kernel_mask_parse(buf, &o, &cur) == 0 && idset_equal(&cur, &n),
		   "the longest edit (%zu bytes) is complete", strlen(buf));
	}

	/* apctl's ID lists */
	idlist_is("5,6,0x0a-0x0c", 255, "5,6,0x0a-0x0c");
	idlist_is("0", 255, "0");
	idlist_is("255", 255, "0xff");
	idlist_is("0xff", 255, "0xff");
	idlist_is("0XFF", 255, "0xff");
	idlist_is("0-255", 255, "0-0xff");
	idlist_is("3,1,2", 255, "1-3");
	idlist_is("5,5", 255, "5");
	idlist_is("84", 84, "0x54");
	idlist_is("85", 84, NULL);
	idlist_is("80-90", 84, NULL);
	idlist_is("256", 255, NULL);
	idlist_is("99999999999999999999999", 255, NULL);
	idlist_is("05", 255, NULL);
	idlist_is("00", 255, NULL);
	idlist_is("10-5", 255, NULL);
	idlist_is("1-", 255, NULL);
	idlist_is("-5", 255, NULL);
	idlist_is(",5", 255, NULL);
	idlist_is("5,", 255, NULL);
	idlist_is("5,,6", 255, NULL);
	idlist_is("", 255, NULL);
	idlist_is("0x", 255, NULL);
	idlist_is("a", 255, NULL);
	idlist_is("5 ", 255, NULL);
	idlist_is(" 5", 255, NULL);
	idlist_is("5;6", 255, NULL);
	{
		struct diag d = { "" };
		struct idset out;

		idlist_parse("0x100", 255, "adapter", &out, &d);
		ok(strstr(d.msg, "adapter '0x100' is above the maximum adapter ID 0xff") != NULL,
		   "the message names the ID and the maximum: %s", d.msg);
		idlist_parse("05", 255, "adapter", &out, &d);
		ok(strstr(d.msg, "'05'") && strstr(d.msg, "octal"),
		   "a leading zero is explained: %s", d.msg);
	}
	{
		char buf[ID_STR_MAX];
		unsigned v = 0;

		is_str(id_format(0, buf), "0", "ID 0");
		is_str(id_format(9, buf), "9", "ID 9");
		is_str(id_format(10, buf), "0x0a", "ID 10");
		is_str(id_format(0x47, buf), "0x47", "ID 0x47");
		is_str(id_format(255, buf), "0xff", "ID 255");
		ok(id_parse("0x54", 255, "ID", &v, NULL) == 0 && v == 84, "id_parse hex");
		ok(id_parse("84", 84, "ID", &v, NULL) == 0 && v == 84, "id_parse at the maximum");
		ok(id_parse("85", 84, "ID", &v, NULL) == -EINVAL, "id_parse above the maximum");
		ok(id_parse("5-6", 255, "ID", &v, NULL) == -EINVAL, "id_parse of a range");
	}
	(void)want;
	return done_testing();
}
