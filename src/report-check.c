/* SPDX-License-Identifier: MIT */
/*
 * How apctl check prints: the monitoring plugins' status line and a finding
 * per line; one JSON document; or the metrics of the Prometheus text format
 * that node_exporter's textfile collector reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardtype.h"
#include "check.h"
#include "output.h"

/* Each code in a few words, for the status line. */
static const struct {
	const char *code, *words;
} titles[] = {
	{ "card_checkstopped", "checkstopped" },
	{ "card_configured_off", "configured off" },
	{ "card_offline", "offline" },
	{ "queue_offline", "offline" },
	{ "guest_lacks_apqns", "guest lacks APQNs" },
	{ "mdev_unreadable", "unreadable" },
	{ "default_domain_given_away", "not the host's" },
	{ "file_unreadable", "unreadable" },
	{ "definition_unreadable", "unreadable" },
	{ "vfio_ap_not_loaded", "not loaded" },
	{ "mask_not_persistent", "differs after the next boot" },
	{ "mdev_not_defined", "not defined" },
	{ "definition_differs", "defined otherwise" },
	{ "autostart_not_running", "autostart, not running" },
	{ "boot_start_fails", "fails at the next boot" },
	{ "boot_depends", "depends on more than the files" },
	{ "change_interrupted", "a change was interrupted" },
	{ "lock_stale", "stale" },
};

static const char *title(const char *code)
{
	for (size_t i = 0; i < sizeof(titles) / sizeof(titles[0]); i++)
		if (!strcmp(titles[i].code, code))
			return titles[i].words;
	return code;
}

static void lower(const char *s, char *out, size_t size)
{
	size_t i = 0;

	for (; s[i] && i + 1 < size; i++)
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	out[i] = '\0';
}

/* "1 critical, 2 warnings: card 06 configured off, ..." or what the host has, when all is well */
static void summary(const struct view *v, const struct check *c, char *buf, size_t size)
{
	size_t len = 0, shown = 0;
	unsigned in_use = 0;

	if (!c->n) {
		for (size_t i = 0; i < v->st->nmdevs; i++)
			in_use += v->st->mdevs[i].in_use == 1;
		snprintf(buf, size, "%u adapter%s, %zu mdev%s, %u in use: no findings",
			 idset_count(&v->st->cards), idset_count(&v->st->cards) == 1 ? "" : "s",
			 v->st->nmdevs, v->st->nmdevs == 1 ? "" : "s", in_use);
		return;
	}
	for (int s = SEV_UNKNOWN; s > SEV_OK; s--)
		if (c->count[s])
			len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%u %s%s",
						len ? ", " : "", c->count[s], s == SEV_CRITICAL ?
						"critical" : s == SEV_WARNING ? "warning" : "unknown",
						s == SEV_WARNING && c->count[s] > 1 ? "s" : "");
	for (size_t i = 0; i < c->n && shown < 3; i++, shown++)
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s %s %s",
					i ? ", " : ": ", c->f[i].kind, c->f[i].object,
					title(c->f[i].code));
	if (c->n > shown)
		snprintf(buf + len, len < size ? size - len : 0, ", and %zu more", c->n - shown);
}

void check_print_text(FILE *f, const struct view *v, const struct check *c)
{
	enum severity s = check_status(c);
	char line[1024];

	summary(v, c, line, sizeof(line));
	fprintf(f, "APCTL %s - %s | critical=%u;;;0 warning=%u;;;0 unknown=%u;;;0\n",
		severity_name(s), line, c->count[SEV_CRITICAL], c->count[SEV_WARNING],
		c->count[SEV_UNKNOWN]);
	for (size_t i = 0; i < c->n; i++) {
		fprintf(f, "%s %s %s: %s\n", severity_name(c->f[i].sev), c->f[i].kind,
			c->f[i].object, c->f[i].reason);
		if (c->f[i].fix)
			fprintf(f, "  fix: %s\n", c->f[i].fix);
	}
}

void check_print_json(FILE *f, const struct view *v, const struct check *c)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	struct json_object *counts = json_object_new_object();
	enum severity s = check_status(c);
	char line[1024], sev[16];

	summary(v, c, line, sizeof(line));
	lower(severity_name(s), sev, sizeof(sev));
	json_object_object_add(o, "status", json_object_new_string(sev));
	json_object_object_add(o, "exit_status", json_object_new_int((int)s));
	json_object_object_add(o, "summary", json_object_new_string(line));
	for (int k = SEV_WARNING; k < SEV_COUNT; k++) {
		lower(severity_name((enum severity)k), sev, sizeof(sev));
		json_object_object_add(counts, sev, json_object_new_int((int)c->count[k]));
	}
	json_object_object_add(o, "counts", counts);
	for (size_t i = 0; i < c->n; i++) {
		struct json_object *e = json_object_new_object();

		lower(severity_name(c->f[i].sev), sev, sizeof(sev));
		json_object_object_add(e, "severity", json_object_new_string(sev));
		json_object_object_add(e, "kind", json_object_new_string(c->f[i].kind));
		json_object_object_add(e, "object", json_object_new_string(c->f[i].object));
		json_object_object_add(e, "code", json_object_new_string(c->f[i].code));
		json_object_object_add(e, "title", json_object_new_string(title(c->f[i].code)));
		json_object_object_add(e, "reason", json_object_new_string(c->f[i].reason));
		json_object_object_add(e, "fix", c->f[i].fix ? json_object_new_string(c->f[i].fix) :
							      NULL);
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "findings", arr);
	json_print(f, o);
}
