/* SPDX-License-Identifier: MIT */
/*
 * apctl check, the persistent configuration and what changes leave: files
 * apctl cannot read, masks and mdevs that the next boot would bring otherwise
 * than they run, autostart definitions the next boot would not start, vfio_ap
 * missing, and a journal or lock that a dead process left.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "check.h"
#include "journal.h"
#include "lock.h"
#include "masksyntax.h"
#include "output.h"
#include "paths.h"

static void check_files(const struct view *v, const struct check_input *in, struct check *c)
{
	if (in->persist_error)
		check_add(c, SEV_WARNING, "file", "41-ap.rules", "file_unreadable", NULL,
			  "the persistent configuration cannot be read, so the next boot cannot be "
			  "predicted: %s", in->persist_error);
	for (size_t i = 0; v->persist && i < v->persist->ndefs; i++) {
		const struct mdev_def *def = &v->persist->defs[i];

		if (def->bad[0])
			check_add(c, SEV_WARNING, "definition", def->uuid, "definition_unreadable",
				  NULL, "%s/%s cannot be read: %s%s", MATRIX_DEFS_DIR, def->uuid,
				  def->bad, def->stops_mdevctl ? "; mdevctl cannot load it either, "
				  "and at boot starts no definition of matrix" : "");
	}
}

/* IDs of a mask that move at the next boot: to the host (back) or from it, and the fix. */
static void mask_finding(const struct view *v, struct check *c, bool apmask, bool back,
			 const struct idset *ids)
{
	const char *what = apmask ? "adapters" : "domains", *one = apmask ? "adapter" : "domain";
	bool single = idset_count(ids) == 1;
	char list[IDLIST_MAX], fix[IDLIST_MAX + PATH_MAX + 64];

	idlist_format(ids, list, sizeof(list));
	snprintf(fix, sizeof(fix), "%s %s --%s %s --persistent-only", check_prefix(v),
		 back ? "reserve" : "release", what, list);
	check_add(c, SEV_WARNING, "mask", apmask ? "apmask" : "aqmask", "mask_not_persistent", fix,
		  "%s %s %s %s now and %s after the next boot (%s)", single ? one : what, list,
		  single ? "is" : "are", back ? "vfio_ap's" : "the host's default drivers'",
		  back ? "the host's default drivers'" : "vfio_ap's", v->persist->has_rule ?
		  v->persist->rule_rel : "no udev rule 41-ap.rules sets the mask");
}

/* The mask's IDs that the host's default drivers have now and not after the boot, or back. */
static void check_mask(const struct view *v, bool apmask, struct check *c)
{
	const struct ap_rule *r = &v->persist->rule;
	const struct idset *run = apmask ? &v->st->apmask : &v->st->aqmask;
	unsigned max = apmask ? v->st->max_adapter : v->st->max_domain;
	struct idset boot = idset_upto(IDSET_BITS - 1), upto = idset_upto(max), diff, ids;

	if (apmask ? r->has_apmask : r->has_aqmask)
		boot = apmask ? r->apmask : r->aqmask;
	diff = idset_minus(&boot, run);
	ids = idset_and(&diff, &upto);
	if (!idset_empty(&ids))
		mask_finding(v, c, apmask, true, &ids);
	diff = idset_minus(run, &boot);
	ids = idset_and(&diff, &upto);
	if (!idset_empty(&ids))
		mask_finding(v, c, apmask, false, &ids);
}

/* Running mdevs against their definitions, and autostart definitions against what runs. */
static void check_defs(const struct view *v, struct check *c)
{
	char fix[PATH_MAX + 128];

	for (size_t k = 0; k < v->st->nmdevs; k++) {
		const struct ap_mdev *m = &v->st->mdevs[v->order[k]];
		const struct mdev_def *def = persist_find(v->persist, m->uuid);

		if (m->incomplete || (def && def->bad[0]))
			continue;
		snprintf(fix, sizeof(fix), "%s mdev define %s%s", check_prefix(v), m->uuid,
			 !def || def->autostart ? " --autostart" : "");
		if (!def)
			check_add(c, SEV_WARNING, "mdev", m->uuid, "mdev_not_defined", fix,
				  "it runs and mdevctl has no definition of it: it is gone after the "
				  "next boot");
		else if (def_running(v, def) == DEF_RUNNING_OTHER)
			check_add(c, SEV_WARNING, "mdev", m->uuid, "definition_differs", fix,
				  "its definition in %s assigns other IDs than it has now: mdevctl "
				  "starts it otherwise", MATRIX_DEFS_DIR);
	}
	for (size_t i = 0; i < v->persist->ndefs; i++) {
		const struct mdev_def *def = &v->persist->defs[i];

		if (def->bad[0] || !def->autostart || def_running(v, def) != DEF_STOPPED)
			continue;
		snprintf(fix, sizeof(fix), "%s mdev start %s", check_prefix(v), def->uuid);
		check_add(c, SEV_WARNING, "definition", def->uuid, "autostart_not_running", fix,
			  "mdevctl starts it at boot, and it does not run now");
	}
}

static bool any_autostart(const struct persist *p)
{
	for (size_t i = 0; i < p->ndefs; i++)
		if (p->defs[i].autostart)
			return true;
	return false;
}

static void check_vfio_ap(const struct view *v, struct check *c)
{
	bool autostart = any_autostart(v->persist);

	if (v->st->vfio_loaded || !v->persist->ndefs)
		return;
	check_add(c, autostart ? SEV_CRITICAL : SEV_WARNING, "module", "vfio_ap",
		  "vfio_ap_not_loaded", v->st->sandbox ? NULL : "modprobe vfio_ap",
		  "vfio_ap is not loaded, and mdevctl has %zu definition%s of vfio_ap mdevs%s: none "
		  "can start", v->persist->ndefs, v->persist->ndefs == 1 ? "" : "s",
		  autostart ? ", to be started at boot" : "");
}

/* The next boot, predicted: autostart definitions it would not start, what it depends on. */
static void check_boot(const struct view *v, struct check *c)
{
	struct boot b;
	char words[512];

	if (boot_predict(v->st, v->persist, &b)) {
		c->oom = true;
		boot_free(&b);
		return;
	}
	for (size_t i = 0; i < b.nstarts; i++) {
		const struct boot_start *s = &b.starts[i];

		if (!s->started)
			check_add(c, SEV_WARNING, "definition", v->persist->defs[s->def].uuid,
				  "boot_start_fails", NULL, "the next boot would not start it: %s",
				  boot_start_words(&b, s, words, sizeof(words)));
	}
	for (size_t i = 0; i < b.notes.n; i++)
		check_add(c, SEV_WARNING, "boot", "next boot", "boot_depends", NULL, "%s",
			  b.notes.v[i]);
	boot_free(&b);
}

/* What a change killed midway left: its journal, or the lock of a process gone. */
static void check_leftovers(const struct view *v, const struct check_input *in,
			    struct check *c)
{
	char fix[PATH_MAX + 32];

	snprintf(fix, sizeof(fix), "%s recover", check_prefix(v));
	if (v->journal && !v->journal_alive)
		check_add(c, SEV_CRITICAL, "file", JOURNAL_FILE, "change_interrupted", fix,
			  "process %d was stopped during '%s' after %ld of %zu writes: the "
			  "configuration is half changed", (int)v->journal->pid, v->journal->command,
			  v->journal->begun + 1, v->journal->n);
	if (in->lock == APLOCK_STALE && !(v->journal && !v->journal_alive))
		check_add(c, SEV_WARNING, "file", AP_LOCK_FILE, "lock_stale", fix,
			  "the AP configuration lock %s: chzdev and mdevctl's ap-check wait for it",
			  in->lock_pid ? "is held by a process that is gone" : "names no process");
}

void check_persistent(const struct view *v, const struct check_input *in, struct check *c)
{
	check_files(v, in, c);
	if (v->persist) {
		check_vfio_ap(v, c);
		check_mask(v, true, c);
		check_mask(v, false, c);
		check_defs(v, c);
		check_boot(v, c);
	}
	check_leftovers(v, in, c);
}
