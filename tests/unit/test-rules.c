/* SPDX-License-Identifier: MIT */
/* lib/rules: generations, ownership, binding, status, the guest_matrix filter (spec 2-5). */
#include <errno.h>
#include <stdlib.h>

#include "masksyntax.h"
#include "rules.h"
#include "tap.h"

static struct idset ids(const char *list)
{
	struct idset s = { { 0 } };

	if (*list)
		idlist_parse(list, 255, "test", &s, NULL);
	return s;
}

static bool same(const struct idset *a, const char *list)
{
	struct idset b = ids(list);

	return idset_equal(a, &b);
}

static struct idset mask(const char *hex)
{
	struct idset s;

	kernel_hex2bitmap(hex, &s);
	return s;
}

int main(void)
{
	struct kgen g;
	char buf[KGEN_STR_MAX];

	/* generations */
	ok(kgen_parse("6.19", &g, NULL) == 0 && g.major == 6 && g.minor == 19, "6.19");
	ok(kgen_parse("5.10", &g, NULL) == 0, "5.10 is the oldest");
	ok(kgen_parse("5.9", &g, NULL) == -EINVAL, "5.9 is too old");
	ok(kgen_parse("7.2", &g, NULL) == 1 && g.major == 6 && g.minor == 19,
	   "a version after the newest known is taken as the newest, with a note");
	ok(kgen_parse("5.-2", &g, NULL) == -EINVAL, "5.-2 is refused");
	ok(kgen_parse("06.19", &g, NULL) == -EINVAL, "a leading zero in the major is refused");
	ok(kgen_parse("6.019", &g, NULL) == -EINVAL, "a leading zero in the minor is refused");
	ok(kgen_parse("5.4294967294", &g, NULL) == -EINVAL, "a number that wraps is refused");
	ok(kgen_parse("6.+1", &g, NULL) == -EINVAL && kgen_parse("6.1x", &g, NULL) == -EINVAL,
	   "signs and trailing characters are refused");
	ok(kgen_parse("10.0", &g, NULL) == 1, "10.0 is newer than known");
	ok(kgen_from_release("6.19.0-rc3", &g, NULL) == 0 && g.major == 6 && g.minor == 19,
	   "a release with patch level and suffix");
	ok(kgen_from_release("5.14.0-362.el9.s390x\n", &g, NULL) == 0 && g.minor == 14,
	   "a distribution's release");
	ok(kgen_from_release("6.1", &g, NULL) == 0 && g.minor == 1, "a bare release");
	ok(kgen_from_release("7.1.0", &g, NULL) == 1 && g.major == 6 && g.minor == 19,
	   "a release after the newest known is taken as the newest");
	ok(kgen_from_release("4.19.0", &g, NULL) == 1 && g.major == 5 && g.minor == 10,
	   "a release before the oldest known is taken as the oldest");
	ok(kgen_from_release("6.1x", &g, NULL) == -EINVAL && kgen_from_release("x", &g, NULL) ==
	   -EINVAL && kgen_from_release("06.1.0", &g, NULL) == -EINVAL, "garbage is refused");
	ok(kgen_parse("6", &g, NULL) == -EINVAL, "6 alone is refused");
	ok(kgen_parse("6.19.1", &g, NULL) == -EINVAL, "6.19.1 is refused");
	ok(kgen_parse("v6.19", &g, NULL) == -EINVAL, "v6.19 is refused");
	ok(kgen_parse(" 6.1", &g, NULL) == -EINVAL, "a space is refused");
	is_str(kgen_format((struct kgen){ 6, 0 }, buf), "6.0", "format");
	ok(!kgen_has((struct kgen){ 5, 19 }, KF_DYNAMIC), "5.19 has no dynamic configuration");
	ok(kgen_has((struct kgen){ 6, 0 }, KF_DYNAMIC), "6.0 has it");
	ok(!kgen_has((struct kgen){ 6, 9 }, KF_AP_CONFIG), "6.9 has no ap_config");
	ok(kgen_has((struct kgen){ 6, 10 }, KF_AP_CONFIG), "6.10 has ap_config");
	ok(!kgen_has((struct kgen){ 6, 18 }, KF_INUSE_ALL_BITS), "6.18 checks the other mask");
	ok(kgen_has((struct kgen){ 6, 19 }, KF_INUSE_ALL_BITS), "6.19 checks all IDs");
	ok(kgen_has((struct kgen){ 7, 0 }, KF_INUSE_ALL_BITS), "7.0 behaves as the newest");
	ok(!kgen_has((struct kgen){ 6, 5 }, KF_VFIO_CDEV), "6.5 has no vfio device files");
	ok(kgen_has((struct kgen){ 6, 6 }, KF_VFIO_CDEV), "6.6 has them");

	/* ownership: the document's example masks */
	{
		struct idset apm = mask("0x7d00000000000000000000000000000000000000000000000000000000000000");
		struct idset aqm = mask("0x8000000000000000000000000000000000000000000000000000000000000000");
		int n = 0, right = 1;

		for (unsigned a = 0; a < 256; a++)
			for (unsigned d = 0; d < 256; d++)
				if (rules_default_owned(&apm, &aqm, a, d)) {
					n++;
					right &= d == 0 && (a == 1 || a == 2 || a == 3 || a == 4 ||
							    a == 5 || a == 7);
				}
		ok(n == 6 && right, "apmask 0x7d, aqmask 0x80: (1,0) (2,0) (3,0) (4,0) (5,0) (7,0)");
	}
	{
		struct idset all = ids("0-255"), apm = ids("0-4,7-255");

		ok(!rules_default_owned(&apm, &all, 5, 0x47), "-5 gives adapter 5 to vfio_ap");
		ok(rules_default_owned(&apm, &all, 4, 0x47), "adapter 4 stays with the host");
	}

	/* the assignment attributes' names (vfio_ap_ops.c's DEVICE_ATTR_WO) */
	is_str(assign_attr_name(ASSIGN_ADAPTER, true), "assign_adapter", "assign_adapter");
	is_str(assign_attr_name(ASSIGN_DOMAIN, false), "unassign_domain", "unassign_domain");
	is_str(assign_attr_name(ASSIGN_CONTROL_DOMAIN, true), "assign_control_domain",
	       "assign_control_domain");
	is_str(assign_attr_name(ASSIGN_CONTROL_DOMAIN, false), "unassign_control_domain",
	       "unassign_control_domain");

	/* matrix_edit: only what really comes or goes is a change */
	{
		struct ap_matrix m = { ids("5"), ids("4"), ids("") }, ch;
		struct ap_matrix add = { ids("5,6"), ids("4"), ids("4") }, del = { ids("6,7"), ids(""), ids("") };

		matrix_edit(&m, &add, true, &ch);
		ok(same(&m.apm, "5,6") && same(&m.aqm, "4") && same(&m.adm, "4"), "add 5,6 x 4 + 4");
		ok(same(&ch.apm, "6") && same(&ch.aqm, "") && same(&ch.adm, "4"),
		   "adapter 5 and domain 4 were there already");
		matrix_edit(&m, &del, false, &ch);
		ok(same(&m.apm, "5") && same(&ch.apm, "6") && same(&ch.aqm, ""), "take away 6,7: 6 goes");
	}

	/* binding */
	is_int(rules_queue_binding(true, 11, true, true), QDRV_DEFAULT, "host's -> cex4queue");
	is_int(rules_queue_binding(true, 11, false, true), QDRV_NONE, "no cex4queue -> unbound");
	is_int(rules_queue_binding(false, 11, true, true), QDRV_VFIO, "vfio's -> vfio_ap");
	is_int(rules_queue_binding(false, 11, true, false), QDRV_NONE, "no vfio_ap -> unbound");
	is_int(rules_queue_binding(false, 9, true, true), QDRV_NONE, "below CEX4 -> unbound");

	/* status */
	is_str(vfio_status_name(rules_vfio_status(KGEN_NEWEST, false, false, false)), "unassigned",
	       "unassigned");
	is_str(vfio_status_name(rules_vfio_status(KGEN_NEWEST, true, false, false)), "assigned",
	       "assigned");
	is_str(vfio_status_name(rules_vfio_status(KGEN_NEWEST, true, true, true)), "in use",
	       "in use");
	is_str(vfio_status_name(rules_vfio_status(KGEN_NEWEST, true, true, false)), "assigned",
	       "attached but filtered out of the guest: assigned");
	is_str(vfio_status_name(rules_vfio_status((struct kgen){ 5, 15 }, true, true, false)),
	       "in use", "before 6.0 the whole matrix is in use");

	/* the guest_matrix filter (spec 4.1) */
	{
		struct ap_matrix host = { ids("5,6"), ids("4,0x47,0xab,0xff"), ids("4,0x47,0xab,0xff") };
		struct ap_matrix m = { ids("5,6"), ids("4,0x47"), ids("4,0x10") }, gm;
		struct apqnset *ready = calloc(1, sizeof(*ready));
		struct idset ha = ids("5,6"), hd = ids("4,0x47,0xab,0xff");

		apqnset_add_product(ready, &ha, &hd);
		rules_guest_matrix(&m, &host, ready, &gm);
		ok(idset_equal(&gm.apm, &m.apm) && idset_equal(&gm.aqm, &m.aqm),
		   "everything ready: guest_matrix = matrix");
		ok(same(&gm.adm, "4"),
		   "control domains are filtered by the host configuration only");
		/* the example of 4.3: queue 06.0047 does not exist */
		apqnset_del(ready, 6, 0x47);
		rules_guest_matrix(&m, &host, ready, &gm);
		ok(same(&gm.apm, "5") &&
			   idset_equal(&gm.aqm, &m.aqm),
		   "06.0047 missing: adapter 6 leaves the guest, domains stay");
		/* over-provisioning: adapter 7 and domain 0x50 are not in the host */
		m.apm = ids("5,7");
		m.aqm = ids("4,0x50");
		rules_guest_matrix(&m, &host, ready, &gm);
		ok(same(&gm.apm, "5") &&
			   same(&gm.aqm, "4"),
		   "IDs outside the host configuration are dropped and knock nothing out");
		/* no domains: adapters are not checked for binding */
		apqnset_clear(ready);
		m.apm = ids("5,6");
		m.aqm = ids("");
		rules_guest_matrix(&m, &host, ready, &gm);
		ok(idset_equal(&gm.apm, &m.apm), "without domains every host adapter stays");
		/* every adapter filtered out: the domains remain */
		m.aqm = ids("4");
		rules_guest_matrix(&m, &host, ready, &gm);
		ok(idset_empty(&gm.apm) && idset_equal(&gm.aqm, &m.aqm),
		   "all adapters filtered: only domains remain");
		/* no QCI: the host is all zeros and so is the guest */
		{
			struct ap_matrix zero = { { { 0 } }, { { 0 } }, { { 0 } } };

			rules_guest_matrix(&m, &zero, ready, &gm);
			ok(idset_empty(&gm.apm) && idset_empty(&gm.aqm) && idset_empty(&gm.adm),
			   "without a host configuration the guest gets nothing");
		}
		free(ready);
	}

	/* the in-use region of a mask write (spec 3.1 step 5) */
	{
		struct idset all = ids("0-255"), old = ids("0-4,7-255"), new_ = ids("0-5,7-255");
		struct idset other = ids("0-3,5-255"), ra, rq;

		rules_mask_inuse_region((struct kgen){ 6, 18 }, true, &old, &new_, &other, &ra, &rq);
		ok(same(&ra, "5") && idset_equal(&rq, &other),
		   "6.0-6.18, apmask +5: adapter 5 x the current aqmask");
		rules_mask_inuse_region(KGEN_NEWEST, true, &old, &new_, &other, &ra, &rq);
		ok(same(&ra, "5") && idset_equal(&rq, &all), "6.19, apmask +5: adapter 5 x every domain");
		rules_mask_inuse_region(KGEN_NEWEST, false, &old, &new_, &other, &ra, &rq);
		ok(same(&rq, "5") && idset_equal(&ra, &all), "6.19, aqmask +5: every adapter x domain 5");
		rules_mask_inuse_region((struct kgen){ 6, 0 }, false, &old, &new_, &other, &ra, &rq);
		ok(same(&rq, "5") && idset_equal(&ra, &other), "6.0, aqmask +5: the current apmask x 5");
		rules_mask_inuse_region(KGEN_NEWEST, true, &new_, &old, &other, &ra, &rq);
		ok(idset_empty(&ra) && idset_empty(&rq), "clearing bits checks nothing");
		ok(!rules_mask_inuse_checked((struct kgen){ 5, 19 }), "before 6.0 nothing is checked");
		ok(rules_mask_inuse_checked((struct kgen){ 6, 0 }), "6.0 checks");
	}
	/* overlap of a matrix with a region */
	{
		struct ap_matrix m = { ids("5,6"), ids("4,0x47"), ids("") };
		struct idset a = ids("5"), q = ids("0-255"), oa, oq, none = ids("");

		ok(rules_matrix_overlap(&m, &a, &q, &oa, &oq) && same(&oa, "5") && same(&oq, "4,0x47"),
		   "overlap with adapter 5 x all");
		ok(!rules_matrix_overlap(&m, &a, &none, &oa, &oq) && idset_empty(&oa),
		   "no domains, no overlap");
		m.aqm = ids("");
		ok(!rules_matrix_overlap(&m, &a, &q, &oa, &oq),
		   "an mdev without domains never holds an APQN");
	}
	/* a queue leaving vfio_ap (spec 4.3) */
	{
		struct ap_matrix gm = { ids("5,6"), ids("4,0x47"), ids("") };

		rules_guest_queue_gone(&gm, 6, 0x47);
		ok(same(&gm.apm, "5") && same(&gm.aqm, "4,0x47"), "06.0047 gone: adapter 6 leaves");
		rules_guest_queue_gone(&gm, 6, 4);
		ok(same(&gm.apm, "5"), "an adapter already out stays out");
		rules_guest_queue_gone(&gm, 5, 0x10);
		ok(same(&gm.apm, "5"), "a queue outside the guest changes nothing");
	}
	/* the kernel's log lines */
	{
		char line[LOG_LINE_MAX];
		const char *u = "62177883-f1bb-47f0-914d-32a22e3a8804";

		rules_log_inuse(KGEN_NEWEST, u, 5, 0x54, line);
		is_str(line,
		       "vfio_ap_mdev 62177883-f1bb-47f0-914d-32a22e3a8804: Can not reserve queue "
		       "05.0054 for host driver: in use by mdev", "new log text");
		rules_log_inuse((struct kgen){ 6, 14 }, u, 5, 0x54, line);
		is_str(line,
		       "vfio_ap_mdev 62177883-f1bb-47f0-914d-32a22e3a8804: Userspace may not "
		       "re-assign queue 05.0054 already assigned to "
		       "62177883-f1bb-47f0-914d-32a22e3a8804", "old log text");
	}

	/* default domain */
	{
		struct apqnset *q = calloc(1, sizeof(*q));
		struct idset a = ids("5,6"), d = ids("4,0x47,0xab,0xff"), all = ids("0-255");

		apqnset_add_product(q, &a, &d);
		is_int(rules_default_domain(q, &all), 4, "the demo's default domain is 4");
		apqnset_add(q, 7, 0x47);
		is_int(rules_default_domain(q, &all), 0x47, "the domain with the most queues");
		d = ids("0-0x46,0x48-0xff");
		is_int(rules_default_domain(q, &d), 4, "only domains in aqmask");
		apqnset_clear(q);
		is_int(rules_default_domain(q, &all), -1, "no queues, no default domain");
		free(q);
	}
	return done_testing();
}
