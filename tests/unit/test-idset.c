/* SPDX-License-Identifier: MIT */
/* idset: the kernel's bit order (spec sections 1 and 8). */
#include "idset.h"
#include "tap.h"

static const char *hex(const struct idset *s)
{
	static char buf[IDSET_HEX_LEN];

	idset_to_hex(s, buf);
	return buf;
}

/* n zeros; two calls can share one printf */
static const char *zeros(int n)
{
	static char bufs[2][64];
	static int next;
	char *buf = bufs[next++ % 2];

	memset(buf, '0', (size_t)n);
	buf[n] = '\0';
	return buf;
}

int main(void)
{
	struct idset s = { { 0 } }, t = { { 0 } }, r;
	char want[160];

	is_str(hex(&s), "0x0000000000000000000000000000000000000000000000000000000000000000",
	       "the empty set prints as 64 zeros");
	idset_add(&s, 0);
	snprintf(want, sizeof(want), "0x8%s", zeros(63));
	is_str(hex(&s), want, "ID 0 is the leftmost bit");
	idset_clear(&s);
	idset_add(&s, 255);
	snprintf(want, sizeof(want), "0x%s1", zeros(63));
	is_str(hex(&s), want, "ID 255 is the rightmost bit");

	/* section 8 */
	idset_clear(&s);
	idset_add(&s, 5);
	snprintf(want, sizeof(want), "0x04%s", zeros(62));
	is_str(hex(&s), want, "adapter 5 alone");
	idset_add(&s, 6);
	snprintf(want, sizeof(want), "0x06%s", zeros(62));
	is_str(hex(&s), want, "adapters 5 and 6");
	idset_clear(&s);
	idset_add(&s, 4);
	idset_add(&s, 0x47);
	snprintf(want, sizeof(want), "0x08%s01%s", zeros(14), zeros(46));
	is_str(hex(&s), want, "domains 4 and 0x47");
	idset_clear(&s);
	idset_add(&s, 64);
	snprintf(want, sizeof(want), "0x%s8%s", zeros(16), zeros(47));
	is_str(hex(&s), want, "ID 64 starts the second word");
	idset_fill(&s);
	idset_del(&s, 5);
	idset_del(&s, 6);
	is_str(hex(&s), "0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	       "-5,-6 from all ones");
	/* section 1: 0x41 followed by zeros means IDs 1 and 7 */
	idset_clear(&s);
	idset_add(&s, 1);
	idset_add(&s, 7);
	snprintf(want, sizeof(want), "0x41%s", zeros(62));
	is_str(hex(&s), want, "IDs 1 and 7 are 0x41");

	/* iteration and counting */
	idset_clear(&s);
	idset_add(&s, 0);
	idset_add(&s, 63);
	idset_add(&s, 64);
	idset_add(&s, 255);
	is_int(idset_first(&s), 0, "first");
	is_int(idset_next(&s, 1), 63, "next crosses within a word");
	is_int(idset_next(&s, 64), 64, "next at a word start");
	is_int(idset_next(&s, 65), 255, "next crosses words");
	is_int(idset_next(&s, 256), -1, "next past the end");
	is_int(idset_last(&s), 255, "last");
	is_int(idset_count(&s), 4, "count");
	{
		int n = 0, sum = 0;

		idset_foreach(id, &s) {
			n++;
			sum += id;
		}
		is_int(n, 4, "foreach visits every ID");
		is_int(sum, 0 + 63 + 64 + 255, "foreach visits the right IDs");
	}
	idset_clear(&s);
	is_int(idset_first(&s), -1, "first of the empty set");
	is_int(idset_last(&s), -1, "last of the empty set");
	ok(idset_empty(&s), "empty");

	/* ranges and set operations */
	r = idset_upto(255);
	is_int(idset_count(&r), 256, "0..255 has 256 IDs");
	r = idset_upto(0);
	is_int(idset_count(&r), 1, "0..0 has one ID");
	idset_add_range(&s, 10, 20);
	idset_add_range(&t, 15, 30);
	r = idset_and(&s, &t);
	is_int(idset_count(&r), 6, "and");
	r = idset_or(&s, &t);
	is_int(idset_count(&r), 21, "or");
	r = idset_minus(&s, &t);
	is_int(idset_count(&r), 5, "minus");
	ok(idset_intersects(&s, &t), "intersects");
	ok(!idset_subset(&s, &t), "not a subset");
	r = idset_and(&s, &t);
	ok(idset_subset(&r, &s), "a subset");
	r = idset_not(&s);
	is_int(idset_count(&r), 256 - 11, "not");
	idset_del_range(&s, 0, 255);
	ok(idset_empty(&s), "del_range of everything");
	idset_add(&s, 256);
	ok(idset_empty(&s), "IDs above 255 are ignored");
	ok(!idset_has(&s, 1000), "has() of a large ID");
	return done_testing();
}
