/* SPDX-License-Identifier: MIT */
/*
 * apctl reserve and apctl release: edit apmask and aqmask. Every APQN that
 * moves is named before anything is written; an edit that gives APQNs back to
 * the host is checked against every mdev with the kernel's in-use rule of the
 * system's generation; both masks change as one change, written in the
 * kernel's relative form under the AP configuration lock.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apctl.h"
#include "change.h"
#include "lock.h"
#include "masksyntax.h"
#include "output.h"
#include "paths.h"
#include "reserve.h"
#include "rules.h"
#include "state.h"
#include "wait.h"

enum {
	OPT_ADAPTERS = 0x100,
	OPT_DOMAINS,
	OPT_APQNS,
	OPT_APMASK,
	OPT_AQMASK,
};

struct args {
	bool release;
	const char *cmd;
	const char *adapters, *domains, *apqns, *apmask, *aqmask;
	struct change_opts change;
};

/* One mask write: which mask, from what to what. */
struct step {
	bool is_apmask;
	struct idset old, new_;
	char edit[MASK_EDIT_MAX];
};

/* An APQN that a write would give back to the host while an mdev holds it. */
struct conflict {
	unsigned a, d;
	const struct ap_mdev *mdev;
	bool moves;          /* it really goes to the host (else only the 6.19 rule objects) */
	const struct step *step;
};

struct plan {
	struct ap_state *st;
	struct idset new_apmask, new_aqmask;
	struct step steps[2];
	size_t nsteps;
	struct apqnset *to_vfio, *to_host, *asked; /* asked: --apqns */
	struct conflict *conflicts;
	size_t nconflicts;
	struct strlist warnings;
	const char *override_block; /* 6.19: a queue with a driver_override blocks mask writes */
};

static void plan_free(struct plan *p)
{
	strlist_free(&p->warnings);
	free(p->conflicts);
	free(p->to_vfio);
	free(p->to_host);
	free(p->asked);
}

/* The APQNs whose owner the masks decide here: the host configuration, or the queues. */
static void scope(const struct ap_state *st, struct idset *sa, struct idset *sd)
{
	struct idset upa = idset_upto(st->max_adapter), upd = idset_upto(st->max_domain);

	if (st->qci) {
		*sa = idset_and(&st->host.apm, &upa);
		*sd = idset_and(&st->host.aqm, &upd);
		return;
	}
	*sa = apqnset_adapters(&st->queues);
	idset_clear(sd);
	for (unsigned a = 0; a < IDSET_BITS; a++)
		*sd = idset_or(sd, &st->queues.dom[a]);
}

static int parse_apqns(const char *cmd, const char *list, const struct ap_state *st,
		       struct apqnset *out)
{
	char *copy = strdup(list), *save = NULL;
	struct diag d;
	int rc = EXIT_OK;

	if (!copy)
		return EXIT_RUNTIME;
	apqnset_clear(out);
	if (!*list)
		rc = usage_error(cmd, "empty APQN list");
	for (char *t = strtok_r(copy, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
		unsigned a, q;
		char m[ID_STR_MAX];

		if (apqn_parse(t, &a, &q, &d))
			rc = usage_error(cmd, "%s", d.msg);
		else if (a > st->max_adapter)
			rc = usage_error(cmd, "APQN %s: adapter 0x%02x is above the maximum adapter "
					 "ID %s", t, a, id_format(st->max_adapter, m));
		else if (q > st->max_domain)
			rc = usage_error(cmd, "APQN %s: domain 0x%02x is above the maximum domain ID "
					 "%s", t, q, id_format(st->max_domain, m));
		else
			apqnset_add(out, a, q);
	}
	if (!rc && (strstr(list, ",,") || list[0] == ',' || list[strlen(list) - 1] == ','))
		rc = usage_error(cmd, "APQN list '%s' has an empty term", list);
	free(copy);
	return rc;
}

/* The new masks asked for; EXIT_OK or a usage error. */
static int new_masks(struct args *a, struct plan *p)
{
	struct ap_state *st = p->st;
	struct diag d;
	struct idset ids;

	p->new_apmask = st->apmask;
	p->new_aqmask = st->aqmask;
	if (a->adapters) {
		if (idlist_parse(a->adapters, st->max_adapter, "adapter", &ids, &d))
			return usage_error(a->cmd, "%s", d.msg);
		p->new_apmask = a->release ? idset_or(&st->apmask, &ids) : idset_minus(&st->apmask, &ids);
	}
	if (a->domains) {
		if (idlist_parse(a->domains, st->max_domain, "domain", &ids, &d))
			return usage_error(a->cmd, "%s", d.msg);
		p->new_aqmask = a->release ? idset_or(&st->aqmask, &ids) : idset_minus(&st->aqmask, &ids);
	}
	if (a->apmask && mask_edit_parse(a->apmask, &st->apmask, &p->new_apmask, NULL, &d))
		return usage_error(a->cmd, "--apmask %s", d.msg);
	if (a->aqmask && mask_edit_parse(a->aqmask, &st->aqmask, &p->new_aqmask, NULL, &d))
		return usage_error(a->cmd, "--aqmask %s", d.msg);
	if (a->apqns) {
		struct idset sa, sd;
		struct reserve_plan rp;
		int rc;

		p->asked = malloc(sizeof(*p->asked));
		if (!p->asked)
			return EXIT_RUNTIME;
		rc = parse_apqns(a->cmd, a->apqns, st, p->asked);
		if (rc)
			return rc;
		scope(st, &sa, &sd);
		reserve_smallest(&st->apmask, &st->aqmask, &sa, &sd, p->asked, &rp);
		p->new_apmask = idset_minus(&st->apmask, &rp.clear_apm);
		p->new_aqmask = idset_minus(&st->aqmask, &rp.clear_aqm);
	}
	return EXIT_OK;
}

/*
 * The writes in the order apctl makes them: an edit that only clears bits
 * (APQNs go to vfio_ap, which the kernel never refuses) before one that sets
 * bits, so that a refusal of the second leaves one write to undo.
 */
static void order_steps(struct plan *p)
{
	struct step s[2] = {
		{ .is_apmask = true, .old = p->st->apmask, .new_ = p->new_apmask },
		{ .is_apmask = false, .old = p->st->aqmask, .new_ = p->new_aqmask },
	};
	bool sets[2];

	for (int i = 0; i < 2; i++) {
		struct idset set = idset_minus(&s[i].new_, &s[i].old);

		sets[i] = !idset_empty(&set);
		mask_edit_format(&s[i].old, &s[i].new_, MASK_EDIT_ALL, s[i].edit, sizeof(s[i].edit));
	}
	p->nsteps = 0;
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < 2; i++)
			if (s[i].edit[0] && sets[i] == (pass == 1))
				p->steps[p->nsteps++] = s[i];
}

static void add_conflict(struct plan *p, unsigned a, unsigned d, const struct ap_mdev *m,
			 bool moves, const struct step *step)
{
	struct conflict *more = realloc(p->conflicts, (p->nconflicts + 1) * sizeof(*more));

	if (!more)
		return;
	p->conflicts = more;
	p->conflicts[p->nconflicts++] = (struct conflict){ a, d, m, moves, step };
}

/* Conflicts by write, then by APQN. */
static int by_apqn(const void *x, const void *y)
{
	const struct conflict *a = x, *b = y;

	if (a->step != b->step)
		return a->step < b->step ? -1 : 1;
	return apqn_cmp(a->a, a->d, b->a, b->d);
}

/*
 * Every APQN that a write would give to the host while an mdev holds it, for
 * every mdev (the kernel stops at the first). Before 6.0 the kernel checks
 * nothing and the guest simply loses the queue; apctl checks all the same.
 */
static int find_conflicts(struct plan *p)
{
	const struct ap_state *st = p->st;
	struct idset apmask = st->apmask, aqmask = st->aqmask;
	struct kview_store *ks = state_kview(st);

	if (!ks)
		return -ENOMEM;
	for (size_t i = 0; i < p->nsteps; i++) {
		const struct step *s = &p->steps[i];
		struct idset *mask = s->is_apmask ? &apmask : &aqmask;
		const struct idset *other = s->is_apmask ? &aqmask : &apmask;
		struct idset ra, rq;
		struct khits hits = { 0 };

		rules_mask_inuse_region(st->kernel, s->is_apmask, mask, &s->new_, other, &ra, &rq);
		rules_shared(&ks->k, RULES_NO_MDEV, &ra, &rq, &hits, true);
		for (size_t h = 0; h < hits.n; h++) {
			unsigned a = hits.v[h].a, d = hits.v[h].d;

			/* whether it really goes to the host, or only the 6.19 rule objects */
			add_conflict(p, a, d, &st->mdevs[hits.v[h].mdev],
				     idset_has(s->is_apmask ? &s->new_ : other, a) &&
					     idset_has(s->is_apmask ? other : &s->new_, d),
				     s);
		}
		khits_free(&hits);
		*mask = s->new_;
	}
	state_kview_free(ks);
	if (p->nconflicts)
		qsort(p->conflicts, p->nconflicts, sizeof(*p->conflicts), by_apqn);
	if (p->nsteps && kgen_has(st->kernel, KF_DRIVER_OVERRIDE) && state_has_overrides(st))
		p->override_block = "driver_override";
	return 0;
}

/* The APQNs of the scope that change owner, and warnings about what the host loses. */
static int find_moves(struct sysfs *s, struct plan *p)
{
	const struct ap_state *st = p->st;
	struct idset sa, sd;
	unsigned online = 0, dd;
	struct apqnset *online_set;

	p->to_vfio = calloc(1, sizeof(*p->to_vfio));
	p->to_host = calloc(1, sizeof(*p->to_host));
	online_set = calloc(1, sizeof(*online_set));
	if (!p->to_vfio || !p->to_host || !online_set) {
		free(online_set);
		return -ENOMEM;
	}
	scope(st, &sa, &sd);
	idset_foreach(a, &sa) {
		idset_foreach(d, &sd) {
			bool was = rules_default_owned(&st->apmask, &st->aqmask, (unsigned)a, (unsigned)d);
			bool is = rules_default_owned(&p->new_apmask, &p->new_aqmask, (unsigned)a,
						      (unsigned)d);

			if (was && !is)
				apqnset_add(p->to_vfio, (unsigned)a, (unsigned)d);
			else if (!was && is)
				apqnset_add(p->to_host, (unsigned)a, (unsigned)d);
		}
	}
	/* the online state of the queues that leave cex4queue: only theirs is read */
	for (unsigned a = 0; a < IDSET_BITS; a++) {
		idset_foreach(d, &p->to_vfio->dom[a]) {
			char rel[128];
			long v;

			if (state_queue_driver(st, a, (unsigned)d) != QDRV_DEFAULT)
				continue;
			snprintf(rel, sizeof(rel), AP_DEVICES "/card%02x/%02x.%04x/online", a, a, d);
			if (sysfs_read_long(s, rel, &v) == 0 && v == 1) {
				apqnset_add(online_set, a, (unsigned)d);
				online++;
			}
		}
	}
	if (online) {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		if (f) {
			text_apqnset(f, online_set, "  ");
			fclose(f);
			if (len && text[len - 1] == '\n')
				text[len - 1] = '\0';
			strlist_addf(&p->warnings, "%u online queue%s leave%s the host's default drivers: %s", online,
			     online == 1 ? "" : "s", online == 1 ? "s" : "", strchr(text, ':') ?
			     strchr(text, ':') + 2 : text);
			free(text);
		}
	}
	free(online_set);
	if (st->ap_domain >= 0) {
		struct idset lost = { { 0 } };
		char ids[IDLIST_MAX], m[ID_STR_MAX];

		dd = (unsigned)st->ap_domain;
		for (unsigned a = 0; a < IDSET_BITS; a++)
			if (apqnset_has(p->to_vfio, a, dd))
				idset_add(&lost, a);
		if (idset_has(&st->aqmask, dd) && !idset_has(&p->new_aqmask, dd))
			strlist_addf(&p->warnings, "the AP bus's default domain %s (ap_domain) leaves the host's default "
			     "drivers on every adapter", id_format(dd, m));
		else if (!idset_empty(&lost))
			strlist_addf(&p->warnings, "the AP bus's default domain %s (ap_domain) loses its queues on "
			     "adapter%s %s", id_format(dd, m), idset_count(&lost) == 1 ? "" : "s",
			     text_ids(&lost, "", ids, sizeof(ids)));
	}
	return 0;
}

/* ---- output ---- */

static const char *uuid_of(const struct conflict *c)
{
	return c->mdev->uuid;
}

/* "run 'apctl mdev unassign UUID --adapters 5'": the fix that matches the write */
static void fix_hint(const struct conflict *c, char *buf, size_t size)
{
	char id[ID_STR_MAX];

	if (c->step->is_apmask)
		snprintf(buf, size, "apctl mdev unassign %s --adapters %s", uuid_of(c),
			 id_format(c->a, id));
	else
		snprintf(buf, size, "apctl mdev unassign %s --domains %s", uuid_of(c),
			 id_format(c->d, id));
}

static void conflict_reason(const struct plan *p, const struct conflict *c, char *buf,
			    size_t size)
{
	char id[ID_STR_MAX];
	const struct step *s = c->step;
	unsigned bit = s->is_apmask ? c->a : c->d;
	int n;

	n = snprintf(buf, size, "assigned to mdev %s%s; %s bit %s would give it to the host's "
		     "default drivers", uuid_of(c), c->mdev->in_use == 1 ? ", in use by a guest" : "",
		     s->is_apmask ? "apmask" : "aqmask", id_format(bit, id));
	if (!c->moves && n > 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n,
			 " (it stays with vfio_ap, as %s bit %s is 0, but kernel %u.%u and later "
			 "refuse the write while an mdev holds any APQN of %s %s)",
			 s->is_apmask ? "aqmask" : "apmask",
			 id_format(s->is_apmask ? c->d : c->a, id),
			 kfeature_since(KF_INUSE_ALL_BITS).major,
			 kfeature_since(KF_INUSE_ALL_BITS).minor,
			 s->is_apmask ? "adapter" : "domain",
			 id_format(bit, (char[ID_STR_MAX]){ 0 }));
	(void)p;
}

static void print_conflicts(FILE *f, const struct plan *p)
{
	char reason[512], fix[128];

	for (size_t i = 0; i < p->nconflicts; i++) {
		const struct conflict *c = &p->conflicts[i];

		conflict_reason(p, c, reason, sizeof(reason));
		fix_hint(c, fix, sizeof(fix));
		fprintf(f, "  %02x.%04x  %s; run '%s'\n", c->a, c->d, reason, fix);
	}
	if (p->override_block)
		fprintf(f, "  a queue has a driver_override, and while one does the kernel refuses "
			"every mask write (EINVAL); clear it first with an empty write to the "
			"queue's driver_override\n");
}

static struct json_object *json_mask(const struct idset *old, const struct idset *new_)
{
	struct json_object *o = json_object_new_object();
	char hex[IDSET_HEX_LEN], edit[MASK_EDIT_MAX];

	idset_to_hex(old, hex);
	json_object_object_add(o, "old", json_object_new_string(hex));
	idset_to_hex(new_, hex);
	json_object_object_add(o, "new", json_object_new_string(hex));
	mask_edit_format(old, new_, MASK_EDIT_ALL, edit, sizeof(edit));
	json_object_object_add(o, "edit", edit[0] ? json_object_new_string(edit) : NULL);
	return o;
}

static void print_json(const struct plan *p, const struct change_opts *c, bool written,
		       const struct apqnset *pending)
{
	struct json_object *o = json_object_new_object(), *arr;
	char apqn[APQN_STR_MAX], reason[512];

	json_object_object_add(o, "dry_run", json_object_new_boolean(c->dry_run));
	json_object_object_add(o, "ok", json_object_new_boolean(!p->nconflicts && !p->override_block));
	/* the kernel's answer: EINVAL for an override, EBUSY where it checks, else none */
	json_object_object_add(o, "errno",
			       p->override_block ? json_object_new_string("EINVAL") :
			       p->nconflicts && rules_mask_inuse_checked(p->st->kernel) ?
						   json_object_new_string("EBUSY") :
						   NULL);
	json_object_object_add(o, "written", json_object_new_boolean(written));
	json_object_object_add(o, "apmask", json_mask(&p->st->apmask, &p->new_apmask));
	json_object_object_add(o, "aqmask", json_mask(&p->st->aqmask, &p->new_aqmask));
	json_object_object_add(o, "to_vfio", json_apqnset(p->to_vfio));
	json_object_object_add(o, "to_host", json_apqnset(p->to_host));
	if (p->asked) {
		struct apqnset *others = malloc(sizeof(*others));

		if (others) {
			apqnset_minus(others, p->to_vfio, p->asked);
			json_object_object_add(o, "also_moved", json_apqnset(others));
			free(others);
		}
	}
	json_object_object_add(o, "warnings", json_strlist(&p->warnings));
	arr = json_object_new_array();
	for (size_t i = 0; i < p->nconflicts; i++) {
		struct json_object *e = json_object_new_object();

		conflict_reason(p, &p->conflicts[i], reason, sizeof(reason));
		json_object_object_add(e, "apqn", json_object_new_string(apqn_format(
							  p->conflicts[i].a, p->conflicts[i].d, apqn)));
		json_object_object_add(e, "reason", json_object_new_string(reason));
		json_object_object_add(e, "mdev", json_object_new_string(uuid_of(&p->conflicts[i])));
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "conflicts", arr);
	json_object_object_add(o, "pending", pending ? json_apqnset(pending) : json_object_new_array());
	json_print(stdout, o);
}

static void print_mask(const char *name, const struct idset *old, const struct idset *new_)
{
	char hex[IDSET_HEX_LEN], edit[MASK_EDIT_MAX];

	idset_to_hex(old, hex);
	if (idset_equal(old, new_)) {
		printf("%s  %s  (unchanged)\n", name, hex);
		return;
	}
	printf("%s  %s\n", name, hex);
	idset_to_hex(new_, hex);
	mask_edit_format(old, new_, MASK_EDIT_ALL, edit, sizeof(edit));
	printf("    -> %s  (%s)\n", hex, edit);
}

static void print_text(const struct plan *p)
{
	print_mask("apmask", &p->st->apmask, &p->new_apmask);
	print_mask("aqmask", &p->st->aqmask, &p->new_aqmask);
	printf("From the host to vfio_ap: ");
	text_apqnset(stdout, p->to_vfio, "  ");
	printf("From vfio_ap to the host: ");
	text_apqnset(stdout, p->to_host, "  ");
	if (p->asked) {
		struct apqnset *others = malloc(sizeof(*others));

		if (others) {
			apqnset_minus(others, p->to_vfio, p->asked);
			printf("Beyond the APQNs asked for: ");
			text_apqnset(stdout, others, "  ");
			free(others);
		}
	}
	for (size_t i = 0; i < p->warnings.n; i++)
		printf("warning: %s\n", p->warnings.v[i]);
}

/* ---- writing ---- */

static const char *mask_rel(const struct step *s)
{
	return s->is_apmask ? AP_BUS "/apmask" : AP_BUS "/aqmask";
}

/* Writes a relative edit of one mask: 0 or the kernel's -errno. */
static int write_edit(struct sysfs *s, const struct step *st, const char *edit)
{
	char buf[MASK_EDIT_MAX + 1];

	snprintf(buf, sizeof(buf), "%s\n", edit);
	return sysfs_write(s, mask_rel(st), buf, strlen(buf));
}

/*
 * The writes, as one change: when the second fails, the first is undone by
 * the opposite edit. EXIT_OK or EXIT_RUNTIME with the kernel's answer said.
 */
static int write_steps(struct sysfs *s, const struct plan *p, bool forced)
{
	for (size_t i = 0; i < p->nsteps; i++) {
		const struct step *st = &p->steps[i];
		char path[256];
		int rc = write_edit(s, st, st->edit);

		if (!rc)
			continue;
		errmsg("writing '%s' to %s failed: %s (%s)%s", st->edit,
		       sysfs_path(s, mask_rel(st), path, sizeof(path)), errno_name(-rc),
		       strerror(-rc),
		       rc == -EBUSY && forced ? "; the kernel refused as predicted" : "");
		if (rc == -EBUSY)
			errmsg("the kernel's log (dmesg) names each APQN and the mdev that holds it");
		for (size_t j = i; j-- > 0;) {
			const struct step *done = &p->steps[j];
			char undo[MASK_EDIT_MAX];
			int urc;

			mask_edit_format(&done->new_, &done->old, MASK_EDIT_ALL, undo, sizeof(undo));
			urc = write_edit(s, done, undo);
			if (urc)
				errmsg("undoing '%s' with '%s' failed too: %s (%s); %s is changed: "
				       "restore it with 'apctl reserve --%s %s'", done->edit, undo,
				       errno_name(-urc), strerror(-urc), mask_rel(done) + 11,
				       done->is_apmask ? "apmask" : "aqmask", undo);
			else
				errmsg("undid the write of '%s' to %s: the masks are as before",
				       done->edit, mask_rel(done));
		}
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* The queues to wait for: those that exist and whose new owner's driver is loaded. */
static void expected_bindings(const struct plan *p, struct apqnset *vfio, struct apqnset *dflt)
{
	const struct ap_state *st = p->st;

	apqnset_clear(vfio);
	apqnset_clear(dflt);
	for (unsigned a = 0; a < IDSET_BITS; a++) {
		idset_foreach(d, &st->queues.dom[a]) {
			bool owned = rules_default_owned(&p->new_apmask, &p->new_aqmask, a, (unsigned)d);
			bool was = rules_default_owned(&st->apmask, &st->aqmask, a, (unsigned)d);
			enum queue_driver drv = rules_queue_binding(owned, (unsigned)st->card[a].hwtype,
								    st->default_loaded, st->vfio_loaded);

			if (owned == was)
				continue;
			if (drv == QDRV_VFIO)
				apqnset_add(vfio, a, (unsigned)d);
			else if (drv == QDRV_DEFAULT)
				apqnset_add(dflt, a, (unsigned)d);
		}
	}
}

/* ---- the command ---- */

static const char reserve_help[] =
	"Usage: apctl reserve [--adapters LIST] [--domains LIST] [--apmask EDIT]\n"
	"                     [--aqmask EDIT] [OPTIONS]\n"
	"       apctl reserve --apqns APQN,... [OPTIONS]\n"
	"\n"
	"Take APQNs from the host's default drivers for vfio_ap by clearing apmask\n"
	"and aqmask bits. Shows which APQNs of the host configuration move before\n"
	"anything is written.\n"
	"\n"
	"Options:\n"
	"      --adapters LIST    clear these apmask bits (5,6 is the kernel's -5,-6)\n"
	"      --domains LIST     clear these aqmask bits\n"
	"      --apqns APQN,...   reserve these APQNs (05.0047) with the smallest edit\n"
	"      --apmask EDIT      edit apmask in the kernel's syntax: +N, -N, +N-M, comma\n"
	"                         separated, or 0x and up to 64 hex digits\n"
	"      --aqmask EDIT      edit aqmask the same way\n"
	CHANGE_OPTIONS_HELP
	"  -j, --json             print JSON\n"
	"  -r, --root DIR         work on the sysfs tree under DIR (default /)\n"
	"  -h, --help             print this help\n";

static const char release_help[] =
	"Usage: apctl release [--adapters LIST] [--domains LIST] [OPTIONS]\n"
	"\n"
	"Give APQNs back to the host's default drivers by setting apmask and aqmask\n"
	"bits. Refused while an mdev holds an APQN that would move (the kernel's\n"
	"in-use rule of this system's generation), naming each APQN and its mdev.\n"
	"\n"
	"Options:\n"
	"      --adapters LIST    set these apmask bits (5,6 is the kernel's +5,+6)\n"
	"      --domains LIST     set these aqmask bits\n"
	CHANGE_OPTIONS_HELP
	"  -j, --json             print JSON\n"
	"  -r, --root DIR         work on the sysfs tree under DIR (default /)\n"
	"  -h, --help             print this help\n";

static int parse_args(struct ctx *ctx, int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		COMMON_LONGOPTS,
		CHANGE_LONGOPTS,
		{ "adapters", required_argument, NULL, OPT_ADAPTERS },
		{ "domains", required_argument, NULL, OPT_DOMAINS },
		{ "apqns", required_argument, NULL, OPT_APQNS },
		{ "apmask", required_argument, NULL, OPT_APMASK },
		{ "aqmask", required_argument, NULL, OPT_AQMASK },
		{ NULL, 0, NULL, 0 },
	};
	int opt, rc;

	change_opts_init(&a->change);
	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, opts, NULL)) != -1) {
		const char **slot = NULL;

		switch (opt) {
		case 'h':
			fputs(a->release ? release_help : reserve_help, stdout);
			return -1;
		case OPT_ADAPTERS:
			slot = &a->adapters;
			break;
		case OPT_DOMAINS:
			slot = &a->domains;
			break;
		case OPT_APQNS:
			slot = &a->apqns;
			break;
		case OPT_APMASK:
			slot = &a->apmask;
			break;
		case OPT_AQMASK:
			slot = &a->aqmask;
			break;
		default:
			rc = change_option(&a->change, a->cmd, opt, optarg);
			if (rc > 0)
				continue;
			if (rc < 0)
				return EXIT_USAGE;
			if (!common_option(ctx, opt, optarg))
				return option_error(a->cmd, opt, argv);
			continue;
		}
		if (a->release && (opt == OPT_APQNS || opt == OPT_APMASK || opt == OPT_AQMASK))
			return option_error(a->cmd, '?', argv);
		*slot = optarg;
	}
	if (optind < argc)
		return usage_error(a->cmd, "unexpected argument '%s'", argv[optind]);
	if (!a->adapters && !a->domains && !a->apqns && !a->apmask && !a->aqmask)
		return usage_error(a->cmd, "nothing to %s: give --adapters or --domains%s", a->cmd,
				   a->release ? "" : ", --apqns, --apmask or --aqmask");
	if (a->apqns && (a->adapters || a->domains || a->apmask || a->aqmask))
		return usage_error(a->cmd, "--apqns chooses the mask edit itself; it does not go "
				   "with --adapters, --domains, --apmask or --aqmask");
	if (a->adapters && a->apmask)
		return usage_error(a->cmd, "--adapters and --apmask both edit apmask; give one");
	if (a->domains && a->aqmask)
		return usage_error(a->cmd, "--domains and --aqmask both edit aqmask; give one");
	return EXIT_OK;
}

static int run(struct ctx *ctx, struct args *a)
{
	struct plan p = { 0 };
	struct change ch;
	struct apqnset *want_vfio = NULL, *want_dflt = NULL, *pending = NULL;
	struct waiter *w = NULL;
	bool refused, written = false;
	int rc;

	rc = change_begin(&ch, ctx, &a->change, a->cmd, STATE_OVERRIDES);
	if (rc)
		return rc;
	p.st = ch.st;
	rc = new_masks(a, &p);
	if (rc)
		goto out;
	if (idset_equal(&p.new_apmask, &p.st->apmask) && idset_equal(&p.new_aqmask, &p.st->aqmask)) {
		if (ctx->json) {
			order_steps(&p);
			rc = find_moves(ch.s, &p) ? EXIT_RUNTIME : EXIT_OK;
			if (!rc)
				print_json(&p, &a->change, false, NULL);
		} else {
			printf("Nothing to change: apmask and aqmask already read so.\n");
		}
		rc = finish_output(rc);
		goto out;
	}
	order_steps(&p);
	if (find_conflicts(&p) || find_moves(ch.s, &p)) {
		errmsg("out of memory");
		rc = EXIT_RUNTIME;
		goto out;
	}
	refused = p.nconflicts || p.override_block;
	if (refused && !rules_mask_inuse_checked(p.st->kernel) && a->change.force && p.nconflicts)
		strlist_addf(&p.warnings, "kernel %u.%u checks nothing: these queues are taken from their mdevs%s",
		     p.st->kernel.major, p.st->kernel.minor,
		     " and from the guests using them, whose keys the host can then reach");

	if (a->change.dry_run || !refused || a->change.force) {
		if (ctx->json && a->change.dry_run)
			print_json(&p, &a->change, false, NULL);
		else if (!ctx->json)
			print_text(&p);
	}
	if (refused && (a->change.dry_run || !a->change.force)) {
		FILE *f = a->change.dry_run ? stdout : stderr;

		if (!(ctx->json && a->change.dry_run)) {
			if (!a->change.dry_run)
				errmsg("refused: the %s would take APQNs from mdevs", a->cmd);
			else
				printf("Refused: the %s would take APQNs from mdevs:\n", a->cmd);
			print_conflicts(f, &p);
			fprintf(f, "%s--force writes anyway%s.\n",
				a->change.dry_run ? "" : "Nothing was written. ",
				rules_mask_inuse_checked(p.st->kernel) ?
					", and the kernel will refuse with EBUSY" :
					": this kernel does not protect the guests' queues");
		}
		rc = finish_output(EXIT_REFUSED);
		goto out;
	}
	if (refused) {
		/* forced: say loudly what is taken from which mdev before it is */
		errmsg("warning: --force writes although the %s takes APQNs from mdevs:", a->cmd);
		print_conflicts(stderr, &p);
	}
	if (a->change.dry_run) {
		if (!ctx->json)
			printf("Dry run: nothing was written.\n");
		rc = finish_output(EXIT_OK);
		goto out;
	}

	want_vfio = malloc(sizeof(*want_vfio));
	want_dflt = malloc(sizeof(*want_dflt));
	pending = calloc(1, sizeof(*pending));
	if (!want_vfio || !want_dflt || !pending) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	expected_bindings(&p, want_vfio, want_dflt);
	/* with --no-wait, one look at the bindings tells what is still pending */
	w = waiter_start(ch.s, a->change.wait && change_live(&ch));
	rc = write_steps(ch.s, &p, a->change.force);
	written = rc == EXIT_OK;
	if (written)
		rc = change_verify_masks(&ch, &p.new_apmask, &p.new_aqmask);
	if (w) {
		int wrc = waiter_finish(w, written ? want_vfio : pending,
					written ? want_dflt : pending,
					a->change.wait ? a->change.wait_s : 0, pending);

		if (wrc == -ETIMEDOUT && a->change.wait) {
			errmsg("timed out after %u s waiting for the AP bus to bind these queues:",
			       a->change.wait_s);
			fprintf(stderr, "  ");
			text_apqnset(stderr, pending, "  ");
			rc = EXIT_TIMEOUT;
		}
	}
	if (written && ctx->json && rc == EXIT_OK)
		print_json(&p, &a->change, true, pending);
	else if (written && rc == EXIT_OK)
		printf("Done: %u APQN%s to vfio_ap, %u to the host.\n", apqnset_count(p.to_vfio),
		       apqnset_count(p.to_vfio) == 1 ? "" : "s", apqnset_count(p.to_host));
	rc = finish_output(rc);
out:
	free(want_vfio);
	free(want_dflt);
	free(pending);
	plan_free(&p);
	change_end(&ch);
	return rc;
}

static int reserve_or_release(struct ctx *ctx, int argc, char **argv, bool release)
{
	struct args a = { .release = release, .cmd = release ? "release" : "reserve" };
	int rc = parse_args(ctx, argc, argv, &a);

	if (rc < 0)
		return finish_output(EXIT_OK);
	return rc ? rc : run(ctx, &a);
}

int cmd_reserve(struct ctx *ctx, int argc, char **argv)
{
	return reserve_or_release(ctx, argc, argv, false);
}

int cmd_release(struct ctx *ctx, int argc, char **argv)
{
	return reserve_or_release(ctx, argc, argv, true);
}
