/* SPDX-License-Identifier: MIT */
/*
 * The persistent configuration beside the running one: the udev rule's masks
 * and mdevctl's definitions, each said against what runs now.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "masksyntax.h"
#include "paths.h"
#include "output.h"
#include "report.h"

int view_load_persist(struct view *v, struct sysfs *s, struct diag *d)
{
	struct persist *p = malloc(sizeof(*p));

	if (!p) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	if (persist_read(s, p, d)) {
		persist_free(p);
		free(p);
		return -EINVAL;
	}
	v->persist = p;
	return 0;
}

void view_read_persist(struct view *v, struct sysfs *s)
{
	struct diag d = { "" };

	if (view_load_persist(v, s, &d))
		errmsg("warning: the persistent configuration is left out: %s", d.msg);
}

void view_read_journal(struct view *v, struct sysfs *s, struct journal **j)
{
	if (journal_load(s, j)) {
		*j = NULL;
		return;
	}
	v->journal = *j;
	v->journal_alive = (*j)->pid > 0 && (kill((*j)->pid, 0) == 0 || errno == EPERM);
}

enum def_running def_running(const struct view *v, const struct mdev_def *def)
{
	int i = state_find_mdev(v->st, def->uuid);
	const struct ap_matrix *m;

	if (i < 0)
		return DEF_STOPPED;
	m = &v->st->mdevs[i].matrix;
	return matrix_equal(m, &def->ids) ? DEF_RUNNING : DEF_RUNNING_OTHER;
}

static const char *const running_words[] = {
	[DEF_STOPPED] = "not running",
	[DEF_RUNNING] = "running",
	[DEF_RUNNING_OTHER] = "running with other IDs",
};

static struct json_object *json_rule_mask(const struct ap_rule *r, bool apmask)
{
	char hex[IDSET_HEX_LEN];

	if (!(apmask ? r->has_apmask : r->has_aqmask))
		return NULL;
	idset_to_hex(apmask ? &r->apmask : &r->aqmask, hex);
	return json_object_new_string(hex);
}

struct json_object *json_def(const struct view *v, const struct mdev_def *def)
{
	struct json_object *o = json_object_new_object(), *attrs = json_object_new_array();
	enum def_running run = def_running(v, def);

	json_object_object_add(o, "uuid", json_object_new_string(def->uuid));
	json_object_object_add(o, "error", def->bad[0] ? json_object_new_string(def->bad) : NULL);
	json_object_object_add(o, "blocks_autostart", json_object_new_boolean(def->stops_mdevctl));
	json_object_object_add(o, "mdev_type", json_object_new_string(def->type));
	json_object_object_add(o, "start", json_object_new_string(def->autostart ? "auto" : "manual"));
	for (size_t i = 0; i < def->nattrs; i++) {
		struct json_object *a = json_object_new_object();

		json_object_object_add(a, def->attrs[i].name,
				       json_object_new_string(def->attrs[i].value));
		json_object_array_add(attrs, a);
	}
	json_object_object_add(o, "attrs", attrs);
	json_object_object_add(o, "adapters", json_idset(&def->ids.apm));
	json_object_object_add(o, "domains", json_idset(&def->ids.aqm));
	json_object_object_add(o, "control_domains", json_idset(&def->ids.adm));
	json_object_object_add(o, "running", json_object_new_boolean(run != DEF_STOPPED));
	json_object_object_add(o, "same_as_running", json_object_new_boolean(run == DEF_RUNNING));
	return o;
}

struct json_object *json_persist(const struct view *v)
{
	const struct persist *p = v->persist;
	struct json_object *o, *defs;

	if (!p)
		return NULL;
	o = json_object_new_object();
	defs = json_object_new_array();
	json_object_object_add(o, "rule", p->has_rule ? json_object_new_string(p->rule_rel) : NULL);
	json_object_object_add(o, "apmask", json_rule_mask(&p->rule, true));
	json_object_object_add(o, "aqmask", json_rule_mask(&p->rule, false));
	for (size_t i = 0; i < p->ndefs; i++)
		json_object_array_add(defs, json_def(v, &p->defs[i]));
	json_object_object_add(o, "definitions", defs);
	return o;
}

static void text_rule_mask(FILE *f, const struct view *v, bool apmask)
{
	const struct ap_rule *r = &v->persist->rule;
	const struct idset *run = apmask ? &v->st->apmask : &v->st->aqmask;
	const struct idset *boot = apmask ? &r->apmask : &r->aqmask;
	char hex[IDSET_HEX_LEN];

	if (!(apmask ? r->has_apmask : r->has_aqmask)) {
		fprintf(f, "  %s  not set: all ones at boot, the kernel's default\n",
			apmask ? "apmask" : "aqmask");
		return;
	}
	idset_to_hex(boot, hex);
	fprintf(f, "  %s  %s  %s\n", apmask ? "apmask" : "aqmask", hex,
		idset_equal(run, boot) ? "as running" : "differs from the running one");
}

void text_def_table(FILE *f, const struct view *v, const char *indent, bool stopped_only)
{
	const struct persist *p = v->persist;

	fprintf(f, "%s%-36s  %-6s %-16s %-20s %-16s %s\n", indent, "UUID", "START", "ADAPTERS",
		"DOMAINS", "CONTROL", "RUNNING");
	for (size_t i = 0; i < p->ndefs; i++) {
		const struct mdev_def *def = &p->defs[i];
		char a[IDLIST_MAX], q[IDLIST_MAX], c[IDLIST_MAX];

		if (stopped_only && def_running(v, def) != DEF_STOPPED)
			continue;
		if (def->bad[0]) {
			fprintf(f, "%s%-36s  unreadable: %s%s\n", indent, def->uuid, def->bad,
				def->stops_mdevctl ? "; mdevctl cannot load it either, and at boot "
				"starts no definition of matrix" : "");
			continue;
		}
		fprintf(f, "%s%-36s  %-6s %-16s %-20s %-16s %s\n", indent, def->uuid,
			def->autostart ? "auto" : "manual", text_ids(&def->ids.apm, "-", a, sizeof(a)),
			text_ids(&def->ids.aqm, "-", q, sizeof(q)),
			text_ids(&def->ids.adm, "-", c, sizeof(c)), running_words[def_running(v, def)]);
	}
}

void text_persist(FILE *f, const struct view *v)
{
	const struct persist *p = v->persist;

	if (!p)
		return;
	fprintf(f, "\nPersistent masks (udev rule %s)\n",
		p->has_rule ? p->rule_rel : "41-ap.rules: none");
	text_rule_mask(f, v, true);
	text_rule_mask(f, v, false);
	if (!p->ndefs) {
		fprintf(f, "\nmdevctl definitions: none\n");
		return;
	}
	fprintf(f, "\nmdevctl definitions (%s)\n", MATRIX_DEFS_DIR);
	text_def_table(f, v, "  ", false);
}
