/* SPDX-License-Identifier: MIT */
/*
 * apctl check --prometheus: the facts of the host as metrics of the
 * Prometheus text format (version 0.0.4), as node_exporter's textfile
 * collector reads them: every metric family with its HELP and TYPE once,
 * its samples together, label values escaped.
 */
#include <stdio.h>
#include <string.h>

#include "cardtype.h"
#include "check.h"
#include "output.h"

static void family(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* A label's value: backslash, double quote and newline escaped. */
static void label(FILE *f, const char *name, const char *value, bool last)
{
	fprintf(f, "%s=\"", name);
	for (const char *p = value; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', f);
		if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
	fputs(last ? "\"" : "\",", f);
}

static void check_metrics(FILE *f, const struct check *c)
{
	static const char *const sev[] = { "ok", "warning", "critical", "unknown" };

	family(f, "apctl_check_status", "The worst finding of apctl check: 0 OK, 1 WARNING, "
	       "2 CRITICAL, 3 UNKNOWN.");
	fprintf(f, "apctl_check_status %d\n", (int)check_status(c));
	family(f, "apctl_findings", "The findings of apctl check, by severity.");
	for (int s = SEV_WARNING; s < SEV_COUNT; s++)
		fprintf(f, "apctl_findings{severity=\"%s\"} %u\n", sev[s], c->count[s]);
	family(f, "apctl_findings_by_code", "The findings of apctl check, by code and severity.");
	for (size_t i = 0; i < c->n; i++) {
		unsigned n = 0;
		bool seen = false;

		for (size_t j = 0; j < c->n; j++) {
			bool same = !strcmp(c->f[j].code, c->f[i].code) && c->f[j].sev == c->f[i].sev;

			seen |= same && j < i;
			n += same;
		}
		if (!seen)
			fprintf(f, "apctl_findings_by_code{code=\"%s\",severity=\"%s\"} %u\n",
				c->f[i].code, sev[c->f[i].sev], n);
	}
}

static void card_metrics(FILE *f, const struct ap_state *st)
{
	static const char *const fams[][2] = {
		{ "apctl_card_online", "Whether the card is online (its online attribute)." },
		{ "apctl_card_config", "Whether the card is configured (its config attribute)." },
		{ "apctl_card_chkstop", "Whether the card is checkstopped (its chkstop attribute)." },
	};

	for (int k = 0; k < 3; k++) {
		family(f, fams[k][0], fams[k][1]);
		idset_foreach(a, &st->cards) {
			const struct ap_card *c = &st->card[a];
			char id[16];
			int val = k == 0 ? !state_card_unusable(st, (unsigned)a) :
				  k == 1 ? c->config != 0 : c->chkstop == 1;

			snprintf(id, sizeof(id), "%02x", (unsigned)a);
			fprintf(f, "%s{", fams[k][0]);
			label(f, "card", id, false);
			label(f, "type", c->type, false);
			label(f, "mode", card_mode_name(card_mode_from_functions(c->functions)), true);
			fprintf(f, "} %d\n", val);
		}
	}
}

static void queue_metrics(FILE *f, const struct ap_state *st)
{
	static const char *const fams[][2] = {
		{ "apctl_queue_online", "Whether the queue is usable: its card configured, not "
		  "checkstopped, and online in zcrypt where zcrypt has the queue." },
		{ "apctl_queue_config", "Whether the queue's card is configured." },
		{ "apctl_queue_chkstop", "Whether the queue's card is checkstopped." },
	};

	for (int k = 0; k < 3; k++) {
		family(f, fams[k][0], fams[k][1]);
		for (unsigned a = 0; a < IDSET_BITS; a++) {
			const struct ap_card *c = &st->card[a];

			idset_foreach(d, &st->queues.dom[a]) {
				const char *drv = state_queue_driver_name(st, a, (unsigned)d);
				char apqn[APQN_STR_MAX];
				int val = k == 1 ? c->config != 0 : k == 2 ? c->chkstop == 1 :
					  !state_queue_unusable(st, a, (unsigned)d);

				fprintf(f, "%s{", fams[k][0]);
				label(f, "apqn", apqn_format(a, (unsigned)d, apqn), false);
				label(f, "driver", drv ? drv : "", true);
				fprintf(f, "} %d\n", val);
			}
		}
	}
}

static void mdev_metrics(FILE *f, const struct view *v)
{
	static const char *const fams[][2] = {
		{ "apctl_mdev_matrix_apqns", "The APQNs assigned to the mdev (its matrix)." },
		{ "apctl_mdev_guest_apqns", "The APQNs its guest gets (guest_matrix)." },
		{ "apctl_mdev_in_use", "Whether a guest uses the mdev (-1: unknown)." },
	};

	for (int k = 0; k < 3; k++) {
		family(f, fams[k][0], fams[k][1]);
		for (size_t i = 0; i < v->st->nmdevs; i++) {
			const struct ap_mdev *m = &v->st->mdevs[v->order[i]];
			const struct ap_matrix *x = k == 0 || !m->has_guest ? &m->matrix : &m->guest;
			long val = k == 2 ? m->in_use :
				   (long)idset_count(&x->apm) * idset_count(&x->aqm);

			/* before 6.0 the kernel shows no guest_matrix */
			if (k == 1 && !m->has_guest)
				continue;
			fprintf(f, "%s{", fams[k][0]);
			label(f, "uuid", m->uuid, false);
			label(f, "guest", m->guest_name, true);
			fprintf(f, "} %ld\n", val);
		}
	}
}

void check_print_prometheus(FILE *f, const struct view *v, const struct check *c)
{
	check_metrics(f, c);
	card_metrics(f, v->st);
	queue_metrics(f, v->st);
	mdev_metrics(f, v);
}
