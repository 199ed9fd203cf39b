/* SPDX-License-Identifier: MIT */
/* apctl show as text: the host, the masks, the queues, a grid and the mdevs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardtype.h"
#include "errnames.h"
#include "masksyntax.h"
#include "output.h"
#include "report.h"

static enum vfio_status queue_status(const struct view *v, unsigned a, unsigned d)
{
	return state_mdev_vfio_status(v->st, view_holder(v, a, d), a, d);
}

/* The letter that stands for the n-th mdev (in the order the kernel made them) in the grid. */
static char mdev_letter(size_t n)
{
	if (n < 26)
		return (char)('A' + n);
	if (n < 52)
		return (char)('a' + n - 26);
	return '#';
}

static size_t mdev_rank(const struct view *v, const struct ap_mdev *m)
{
	for (size_t k = 0; k < v->st->nmdevs; k++)
		if (&v->st->mdevs[v->letters[k]] == m)
			return k;
	return 0;
}

/* The APQNs the masks decide, by who has them: the host's default drivers or vfio_ap. */
static void host_pools(const struct view *v, struct apqnset *host, struct apqnset *vfio)
{
	apqnset_clear(host);
	apqnset_clear(vfio);
	idset_foreach(a, &v->grid_apm)
		idset_foreach(d, &v->grid_aqm)
			apqnset_add(view_host_owned(v, (unsigned)a, (unsigned)d) ? host : vfio,
				    (unsigned)a, (unsigned)d);
}

static void text_header(FILE *f, const struct view *v)
{
	const struct ap_state *st = v->st;
	char gen[KGEN_STR_MAX], ev[KGEN_STR_MAX];
	const char *rel = v->release && *v->release ? v->release : "unknown";

	kgen_format(st->kernel, gen);
	fprintf(f, "AP configuration of %s (", v->root);
	switch (st->kernel_source) {
	case KERNEL_SANDBOX:
		fprintf(f, "sandbox emulating kernel %s)\n", gen);
		break;
	case KERNEL_GIVEN:
		fprintf(f, "%s, kernel %s as given)\n", st->sandbox ? "sandbox" : "live system", gen);
		break;
	case KERNEL_RELEASE:
		fprintf(f, "live system, kernel %s by its release %s)\n", gen, rel);
		break;
	case KERNEL_BACKPORT:
		fprintf(f, "live system, kernel generation %s by what sysfs offers, newer than its "
			"release %s)\n", gen, rel);
		break;
	default:
		fprintf(f, "live system, kernel generation %s by what sysfs offers, at least)\n",
			kgen_format(st->evidence, ev));
		break;
	}
	if (v->journal && v->journal_alive)
		fprintf(f, "\nA change is being made: process %d runs '%s' (%ld of %zu writes "
			"begun)\n", (int)v->journal->pid, v->journal->command, v->journal->begun + 1,
			v->journal->n);
	else if (v->journal)
		fprintf(f, "\nInterrupted change: process %d was stopped during '%s' after %ld of %zu "
			"writes; the next apctl change undoes them, or finishes them where the kernel "
			"refuses an undo\n", (int)v->journal->pid,
			v->journal->command, v->journal->begun + 1, v->journal->n);
}

static void text_host(FILE *f, const struct ap_state *st)
{
	char buf[IDLIST_MAX], m[ID_STR_MAX];

	fprintf(f, "\nHost AP configuration\n");
	if (!st->qci) {
		fprintf(f, "  not available (the AP Query Configuration Information facility is "
		       "missing)\n");
	} else {
		fprintf(f, "  adapters         %s\n", text_ids(&st->host.apm, "none", buf, sizeof(buf)));
		fprintf(f, "  usage domains    %s\n", text_ids(&st->host.aqm, "none", buf, sizeof(buf)));
		fprintf(f, "  control domains  %s\n", text_ids(&st->host.adm, "none", buf, sizeof(buf)));
	}
	fprintf(f, "  maximum IDs      adapter %s, domain ", id_format(st->max_adapter, m));
	fprintf(f, "%s\n", id_format(st->max_domain, m));
	if (st->ap_domain >= 0)
		fprintf(f, "  default domain   %s\n", id_format((unsigned)st->ap_domain, m));
	else
		fprintf(f, "  default domain   none\n");
	if (st->has_features)
		fprintf(f, "  bus features     %s\n", st->features[0] ? st->features : "none");
}

static void text_masks(FILE *f, const struct ap_state *st, const struct view *v)
{
	char hex[IDSET_HEX_LEN], ids[IDLIST_MAX];
	struct apqnset *host = malloc(sizeof(*host)), *vfio = malloc(sizeof(*vfio));

	fprintf(f, "\nMasks (a set bit keeps the APQNs of that ID for the host's default drivers)\n");
	idset_to_hex(&st->apmask, hex);
	fprintf(f, "  apmask  %s\n          adapters %s\n", hex,
	       text_ids(&st->apmask, "none", ids, sizeof(ids)));
	idset_to_hex(&st->aqmask, hex);
	fprintf(f, "  aqmask  %s\n          domains %s\n", hex,
	       text_ids(&st->aqmask, "none", ids, sizeof(ids)));
	if (!host || !vfio)
		goto out;
	host_pools(v, host, vfio);
	fprintf(f, "\nAPQNs of the host configuration\n");
	fprintf(f, "  host's default drivers  ");
	text_apqnset(f, host, "                            ");
	fprintf(f, "  vfio_ap                 ");
	text_apqnset(f, vfio, "                            ");
out:
	free(host);
	free(vfio);
}

static void text_adapters(FILE *f, const struct ap_state *st)
{
	fprintf(f, "\nAdapters\n");
	if (idset_empty(&st->cards)) {
		fprintf(f, "  none\n");
		return;
	}
	fprintf(f, "  CARD  TYPE   MODE         HWTYPE  STATE\n");
	idset_foreach(a, &st->cards) {
		const struct ap_card *c = &st->card[a];
		const char *why = state_card_unusable(st, (unsigned)a);

		fprintf(f, "  %02x    %-6s %-12s %-7d %s\n", a, c->type[0] ? c->type : "-",
		       card_mode_name(card_mode_from_functions(c->functions)), c->hwtype,
		       why ? why : c->online < 0 ? "-" : "usable");
	}
}

static void text_queues(FILE *f, const struct view *v)
{
	const struct ap_state *st = v->st;

	fprintf(f, "\nQueues\n");
	if (apqnset_empty(&st->queues)) {
		fprintf(f, "  none\n");
		return;
	}
	fprintf(f, "  APQN     OWNER    DRIVER      STATUS      STATE           MDEV\n");
	for (unsigned a = 0; a < IDSET_BITS; a++) {
		idset_foreach(d, &st->queues.dom[a]) {
			const char *drv = state_queue_driver_name(st, a, (unsigned)d);
			const struct ap_mdev *m = view_holder(v, a, (unsigned)d);
			bool vfio = state_queue_driver(st, a, (unsigned)d) == QDRV_VFIO;
			const char *why = state_queue_unusable(st, a, (unsigned)d);

			fprintf(f, "  %02x.%04x  %-8s %-11s %-11s %-15s %s\n", a, d,
			       view_host_owned(v, a, (unsigned)d) ? "host" : "vfio_ap", drv ? drv : "-",
			       vfio ? vfio_status_name(queue_status(v, a, (unsigned)d)) : "-",
			       why ? why : "usable", m ? m->uuid : "-");
		}
	}
}

/* One grid cell: who holds the APQN, and marks for in use and a wrong binding. */
static void grid_cell(const struct view *v, unsigned a, unsigned d, char cell[4])
{
	const struct ap_state *st = v->st;
	const struct ap_mdev *m = view_holder(v, a, d);
	enum queue_driver drv = state_queue_driver(st, a, d);
	bool host = view_host_owned(v, a, d);
	size_t n = 0;

	if (!apqnset_has(&st->queues, a, d)) {
		cell[n++] = '-';
	} else if (host) {
		cell[n++] = 'H';
	} else {
		cell[n++] = m ? mdev_letter(mdev_rank(v, m)) : '.';
		if (drv == QDRV_VFIO && queue_status(v, a, d) == VFIO_STATUS_IN_USE)
			cell[n++] = '*';
	}
	if (apqnset_has(&st->queues, a, d) && drv != (host ? QDRV_DEFAULT : QDRV_VFIO))
		cell[n++] = '!';
	cell[n] = '\0';
}

#define GRID_COLUMNS 16

static void text_grid(FILE *f, const struct view *v)
{
	unsigned ndom = idset_count(&v->grid_aqm);
	int first = idset_first(&v->grid_aqm);

	fprintf(f, "\nAPQN grid of the host configuration\n");
	if (idset_empty(&v->grid_apm) || !ndom) {
		fprintf(f, "  empty\n");
		return;
	}
	fprintf(f, "  H host's default drivers   . free for vfio_ap   A-Z assigned to that mdev\n"
	       "  * in use by a guest   ! not bound to its owner's driver   - no queue device\n");
	while (first >= 0) {
		int cols[GRID_COLUMNS], n = 0;

		for (int d = first; d >= 0 && n < GRID_COLUMNS;
		     d = idset_next(&v->grid_aqm, (unsigned)d + 1))
			cols[n++] = d;
		fprintf(f, "\n  %-6s", "");
		for (int i = 0; i < n; i++)
			fprintf(f, " %04x", cols[i]);
		fputc('\n', f);
		idset_foreach(a, &v->grid_apm) {
			char row[16 + GRID_COLUMNS * 5];
			size_t len = (size_t)snprintf(row, sizeof(row), "  %02x    ", a);

			for (int i = 0; i < n; i++) {
				char cell[4];

				grid_cell(v, (unsigned)a, (unsigned)cols[i], cell);
				len += (size_t)snprintf(row + len, sizeof(row) - len, " %-4s", cell);
			}
			while (len && row[len - 1] == ' ')
				row[--len] = '\0';
			fputs(row, f);
			fputc('\n', f);
		}
		first = idset_next(&v->grid_aqm, (unsigned)cols[n - 1] + 1);
	}
}

void text_mdev(FILE *f, const struct view *v, const struct ap_mdev *m, bool letter)
{
	char buf[IDLIST_MAX];
	unsigned nm = idset_count(&m->matrix.apm) * idset_count(&m->matrix.aqm);
	unsigned ng = idset_count(&m->guest.apm) * idset_count(&m->guest.aqm);

	if (letter)
		fprintf(f, "  %c  %s", mdev_letter(mdev_rank(v, m)), m->uuid);
	else
		fprintf(f, "  %s", m->uuid);
	if (m->incomplete) {
		fprintf(f, "  incomplete: its files could not be read (%s): it is being removed "
			"or made\n", errno_name(-m->incomplete));
		return;
	}
	fprintf(f, "  %s\n", m->in_use < 0 ? "use by a guest unknown" :
			 m->in_use ? guest_words(m, buf, sizeof(buf)) : "not in use");
	if (m->in_use == 1 && m->guest_device[0])
		fprintf(f, "     held through     %s (%s)\n", m->guest_device,
			m->guest_iommufd ? "iommufd" : "VFIO group");
	fprintf(f, "     adapters         %s\n", text_ids(&m->matrix.apm, "none", buf, sizeof(buf)));
	fprintf(f, "     domains          %s\n", text_ids(&m->matrix.aqm, "none", buf, sizeof(buf)));
	fprintf(f, "     control domains  %s\n", text_ids(&m->matrix.adm, "none", buf, sizeof(buf)));
	if (!m->has_guest) {
		fprintf(f, "     matrix           %u APQN%s (this kernel has no guest_matrix)\n", nm,
		       nm == 1 ? "" : "s");
		return;
	}
	if (idset_equal(&m->matrix.apm, &m->guest.apm) &&
	    idset_equal(&m->matrix.aqm, &m->guest.aqm)) {
		fprintf(f, "     matrix           %u APQN%s, all in guest_matrix\n", nm,
		       nm == 1 ? "" : "s");
		return;
	}
	/* the guest's APQNs are always a part of the matrix: one line per matrix APQN */
	snprintf(buf, sizeof(buf), "matrix (%u APQN%s)", nm, nm == 1 ? "" : "s");
	fprintf(f, "     %-22s guest_matrix (%u APQN%s)\n", buf, ng, ng == 1 ? "" : "s");
	idset_foreach(a, &m->matrix.apm) {
		idset_foreach(d, &m->matrix.aqm) {
			char apqn[APQN_STR_MAX];
			bool in = idset_has(&m->guest.apm, (unsigned)a) &&
				  idset_has(&m->guest.aqm, (unsigned)d);

			apqn_format((unsigned)a, (unsigned)d, apqn);
			if (in) {
				fprintf(f, "     %-22s %s\n", apqn, apqn);
			} else {
				char why[512];

				view_missing(v, m, (unsigned)a, (unsigned)d, why, sizeof(why));
				fprintf(f, "     %-22s %-12s %s\n", apqn, "-", why);
			}
		}
	}
}

static void text_mdevs(FILE *f, const struct view *v)
{
	const struct ap_state *st = v->st;

	if (!st->matrix_present) {
		fprintf(f, "\nMediated devices: vfio_ap is not loaded (no %s)\n",
		       "sys/devices/vfio_ap/matrix");
		return;
	}
	if (!st->nmdevs) {
		fprintf(f, "\nMediated devices: none\n");
		return;
	}
	fprintf(f, "\nMediated devices\n");
	for (size_t k = 0; k < st->nmdevs; k++)
		text_mdev(f, v, &st->mdevs[v->letters[k]], true);
}

void show_text(FILE *f, const struct view *v)
{
	const struct ap_state *st = v->st;

	text_header(f, v);
	text_host(f, st);
	text_masks(f, st, v);
	text_adapters(f, st);
	text_queues(f, v);
	text_grid(f, v);
	text_mdevs(f, v);
	text_persist(f, v);
}


/* What the definition of running mdev m says of it: "auto", "manual, differs", "-". */
static const char *defined_as(const struct view *v, const struct ap_mdev *m, char *buf,
			      size_t size)
{
	const struct mdev_def *def = v->persist ? persist_find(v->persist, m->uuid) : NULL;

	if (!def)
		return "-";
	if (def->bad[0])
		return "unreadable";
	snprintf(buf, size, "%s%s", def->autostart ? "auto" : "manual",
		 def_running(v, def) == DEF_RUNNING ? "" : ", differs");
	return buf;
}

/* The IN USE column: the guest's name, else its process, else yes. */
static const char *in_use_by(const struct ap_mdev *m, char *buf, size_t size)
{
	if (m->guest_name[0])
		snprintf(buf, size, "%s", m->guest_name);
	else if (m->guest_pid)
		snprintf(buf, size, "pid %d", m->guest_pid);
	else
		snprintf(buf, size, "yes");
	return buf;
}

void text_mdev_table(FILE *f, const struct view *v)
{
	const struct ap_state *st = v->st;
	size_t stopped = 0;

	if (v->persist)
		for (size_t i = 0; i < v->persist->ndefs; i++)
			stopped += state_find_mdev(st, v->persist->defs[i].uuid) < 0;
	if (!st->nmdevs)
		fprintf(f, "No mdevs%s.\n", stopped ? " run" : "");
	else
		fprintf(f, "%-36s  %-16s %-20s %-20s %6s %6s  %-6s  %s\n", "UUID", "ADAPTERS",
			"DOMAINS", "CONTROL", "MATRIX", "GUEST", "IN USE", "DEFINED");
	for (size_t i = 0; i < st->nmdevs; i++) {
		const struct ap_mdev *m = &st->mdevs[v->order[i]];
		char a[IDLIST_MAX], q[IDLIST_MAX], c[IDLIST_MAX], g[16], d[32], who[72];

		if (m->incomplete) {
			fprintf(f, "%-36s  incomplete: its files could not be read (%s)\n", m->uuid,
				errno_name(-m->incomplete));
			continue;
		}
		snprintf(g, sizeof(g), "%u", idset_count(&m->guest.apm) * idset_count(&m->guest.aqm));
		fprintf(f, "%-36s  %-16s %-20s %-20s %6u %6s  %-6s  %s\n", m->uuid,
			text_ids(&m->matrix.apm, "-", a, sizeof(a)),
			text_ids(&m->matrix.aqm, "-", q, sizeof(q)),
			text_ids(&m->matrix.adm, "-", c, sizeof(c)),
			idset_count(&m->matrix.apm) * idset_count(&m->matrix.aqm),
			m->has_guest ? g : "-",
			m->in_use < 0 ? "?" : m->in_use != 1 ? "no" : in_use_by(m, who, sizeof(who)),
			defined_as(v, m, d, sizeof(d)));
	}
	if (stopped) {
		fprintf(f, "\nDefined, not running (mdevctl)\n");
		text_def_table(f, v, "  ", true);
	}
}
