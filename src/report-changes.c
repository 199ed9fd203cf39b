/* SPDX-License-Identifier: MIT */
#include "report-changes.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "masksyntax.h"
#include "output.h"

#define WORDS_MAX (2 * IDLIST_MAX + 64)

/* A change of out: apqns (or NULL) is copied; the text is printf's. */
static void __attribute__((format(printf, 7, 8)))
add(struct changes *out, const char *event, const char *kind, const char *object,
    const struct apqnset *apqns, const char *guest, const char *fmt, ...)
{
	struct change *c, *more;
	va_list ap;
	int n;

	if (out->err)
		return;
	more = grow(out->v, &out->cap, out->n, sizeof(*more));
	if (!more) {
		out->err = -ENOMEM;
		return;
	}
	out->v = more;
	c = &out->v[out->n];
	*c = (struct change){ .event = event, .kind = kind };
	snprintf(c->object, sizeof(c->object), "%s", object ? object : "");
	snprintf(c->guest, sizeof(c->guest), "%s", guest ? guest : "");
	va_start(ap, fmt);
	n = vasprintf(&c->text, fmt, ap);
	va_end(ap);
	if (apqns && (c->apqns = malloc(sizeof(*c->apqns))))
		*c->apqns = *apqns;
	if (n < 0 || (apqns && !c->apqns)) {
		if (n >= 0)
			free(c->text);
		out->err = -ENOMEM;
		return;
	}
	out->n++;
}

/* IDs that come and go in one set: "gains adapters 7", "loses domains 4,5". */
static void ids_diff(struct changes *out, const char *event, const char *kind, const char *object,
		     const char *lead, const char *what, const struct idset *old,
		     const struct idset *now)
{
	struct idset gone = idset_minus(old, now), came = idset_minus(now, old);
	char ids[IDLIST_MAX];

	if (!idset_empty(&came)) {
		idlist_format(&came, ids, sizeof(ids));
		add(out, event, kind, object, NULL, NULL, "%s gains %s %s", lead, what, ids);
	}
	if (!idset_empty(&gone)) {
		idlist_format(&gone, ids, sizeof(ids));
		add(out, event, kind, object, NULL, NULL, "%s loses %s %s", lead, what, ids);
	}
}

static void host_diff(const struct ap_state *old, const struct ap_state *now, struct changes *out)
{
	if (!old->qci || !now->qci)
		return;
	ids_diff(out, "host_config", "host", "", "the host's AP configuration", "adapters",
		 &old->host.apm, &now->host.apm);
	ids_diff(out, "host_config", "host", "", "the host's AP configuration", "usage domains",
		 &old->host.aqm, &now->host.aqm);
	ids_diff(out, "host_config", "host", "", "the host's AP configuration", "control domains",
		 &old->host.adm, &now->host.adm);
}

/* A card's flag that turned: config, chkstop, or zcrypt's online. */
static void card_flag(struct changes *out, const char *id, const char *event, int was, int is,
		      const char *on, const char *off)
{
	if (was >= 0 && is >= 0 && was != is)
		add(out, event, "card", id, NULL, NULL, "card %s %s", id, is ? on : off);
}

static void cards_diff(const struct ap_state *old, const struct ap_state *now, struct changes *out)
{
	struct idset all = idset_or(&old->cards, &now->cards);

	idset_foreach(a, &all) {
		const struct ap_card *o = &old->card[a], *n = &now->card[a];
		char id[16];

		snprintf(id, sizeof(id), "%02x", (unsigned)a);
		if (!idset_has(&old->cards, (unsigned)a)) {
			add(out, "card_added", "card", id, NULL, NULL, "card %s appears%s%s", id,
			    n->type[0] ? ": " : "", n->type);
			continue;
		}
		if (!idset_has(&now->cards, (unsigned)a)) {
			add(out, "card_removed", "card", id, NULL, NULL, "card %s is gone", id);
			continue;
		}
		card_flag(out, id, "card_config", o->config, n->config, "is configured on",
			  "is configured off");
		card_flag(out, id, "card_chkstop", o->chkstop, n->chkstop, "is checkstopped",
			  "is checkstopped no more");
		card_flag(out, id, "card_online", !o->zoffline, !n->zoffline, "is set online",
			  "is set offline");
	}
}

/* What set s says, with the lead: "queues appear: adapter 7 x domains 4,5". */
static void set_change(struct changes *out, const char *event, const struct apqnset *s,
		       const char *lead)
{
	char words[WORDS_MAX];

	if (!apqnset_empty(s))
		add(out, event, "apqn", "", s, NULL, "%s: %s", lead, apqnset_words(s, words,
											  sizeof(words)));
}

static void queues_diff(const struct ap_state *old, const struct ap_state *now,
			struct changes *out, struct apqnset tmp[2])
{
	struct apqnset *both = tmp + 1;

	apqnset_minus(tmp, &now->queues, &old->queues);
	set_change(out, "queues_added", tmp, "queues appear");
	apqnset_minus(tmp, &old->queues, &now->queues);
	set_change(out, "queues_removed", tmp, "queues are gone");
	/* zcrypt's online is its default drivers' own: a queue that leaves them loses it */
	apqnset_clear(both);
	/* a queue set offline or online is told only where the two differ */
	for (unsigned a = 0; a < IDSET_BITS; a++) {
		if (idset_equal(&now->qoffline.dom[a], &old->qoffline.dom[a]))
			continue;
		idset_foreach(d, &now->queues.dom[a])
			if (apqnset_has(&old->queues, a, (unsigned)d) &&
			    state_queue_driver(old, a, (unsigned)d) == QDRV_DEFAULT &&
			    state_queue_driver(now, a, (unsigned)d) == QDRV_DEFAULT)
				apqnset_add(both, a, (unsigned)d);
	}
	apqnset_minus(tmp, &now->qoffline, &old->qoffline);
	apqnset_and(tmp, tmp, both);
	set_change(out, "queues_offline", tmp, "queues are set offline");
	apqnset_minus(tmp, &old->qoffline, &now->qoffline);
	apqnset_and(tmp, tmp, both);
	set_change(out, "queues_online", tmp, "queues are set online");
}

/* The queues that went from one driver to another (from NULL: unbound or new). */
struct rebinding {
	const char *from, *to;
	bool added;                /* new queues */
	struct apqnset set;
};

#define REBINDINGS_MAX (2 * (STATE_MAX_DRIVERS + 1) * (STATE_MAX_DRIVERS + 1))

static void note_rebinding(struct rebinding *r, size_t *n, const char *from, const char *to,
			   bool added, unsigned a, unsigned d)
{
	size_t i = 0;

	while (i < *n && (r[i].added != added || (r[i].from ? !from || strcmp(r[i].from, from) :
						  !!from) ||
			  (r[i].to ? !to || strcmp(r[i].to, to) : !!to)))
		i++;
	if (i == *n) {
		if (*n == REBINDINGS_MAX)
			return;
		r[i] = (struct rebinding){ .from = from, .to = to, .added = added };
		(*n)++;
	}
	apqnset_add(&r[i].set, a, d);
}

static void bindings_diff(const struct ap_state *old, const struct ap_state *now,
			  struct changes *out)
{
	struct rebinding *r = malloc(REBINDINGS_MAX * sizeof(*r));
	/* the same drivers in the same order: an index names the same driver in both */
	bool same = old->ndrivers == now->ndrivers &&
		    !memcmp(old->drivers, now->drivers, now->ndrivers * sizeof(*now->drivers));
	size_t n = 0;

	if (!r) {
		out->err = -ENOMEM;
		return;
	}
	for (unsigned a = 0; a < IDSET_BITS; a++) {
		/* an adapter whose queues and their drivers' indices are the same: none moved */
		if (same && idset_equal(&now->queues.dom[a], &old->queues.dom[a]) &&
		    !memcmp(now->qdrv[a], old->qdrv[a], sizeof(now->qdrv[a])))
			continue;
		idset_foreach(d, &now->queues.dom[a]) {
			bool added = !apqnset_has(&old->queues, a, (unsigned)d);
			const char *was = added ? NULL : state_queue_driver_name(old, a, (unsigned)d);
			const char *is = state_queue_driver_name(now, a, (unsigned)d);

			if (added ? !is : was && is ? !strcmp(was, is) : was == is)
				continue;
			note_rebinding(r, &n, was, is, added, a, (unsigned)d);
		}
	}
	for (size_t i = 0; i < n; i++) {
		char lead[128];

		if (!r[i].to)
			snprintf(lead, sizeof(lead), "queues are unbound from %s", r[i].from);
		else if (r[i].added || !r[i].from)
			snprintf(lead, sizeof(lead), "queues are bound to %s", r[i].to);
		else
			snprintf(lead, sizeof(lead), "queues are bound to %s (were %s's)", r[i].to,
				 r[i].from);
		set_change(out, r[i].to ? "queues_bound" : "queues_unbound", &r[i].set, lead);
	}
	free(r);
}

static void mask_diff(struct changes *out, const char *name, const char *what,
		      const struct idset *old, const struct idset *now, unsigned max)
{
	struct idset upto = idset_upto(max), d, cleared, set;
	char a[IDLIST_MAX], b[IDLIST_MAX], hex[IDSET_HEX_LEN];

	d = idset_minus(old, now);
	cleared = idset_and(&d, &upto);
	d = idset_minus(now, old);
	set = idset_and(&d, &upto);
	if (idset_empty(&cleared) && idset_empty(&set))
		return;
	idlist_format(&cleared, a, sizeof(a));
	idlist_format(&set, b, sizeof(b));
	idset_to_hex(now, hex);
	if (idset_empty(&set))
		add(out, "mask", "mask", name, NULL, NULL, "%s is %s: %s %s leave the host", name,
		    hex, what, a);
	else if (idset_empty(&cleared))
		add(out, "mask", "mask", name, NULL, NULL, "%s is %s: %s %s come back to the host",
		    name, hex, what, b);
	else
		add(out, "mask", "mask", name, NULL, NULL, "%s is %s: %s %s leave the host, %s "
		    "come back", name, hex, what, a, b);
}

static void bus_diff(const struct ap_state *old, const struct ap_state *now, struct changes *out)
{
	char x[ID_STR_MAX], y[ID_STR_MAX];

	mask_diff(out, "apmask", "adapters", &old->apmask, &now->apmask, now->max_adapter);
	mask_diff(out, "aqmask", "domains", &old->aqmask, &now->aqmask, now->max_domain);
	if (old->ap_domain != now->ap_domain)
		add(out, "default_domain", "bus", "ap_domain", NULL, NULL,
		    "the default domain is %s (was %s)",
		    now->ap_domain < 0 ? "none" : id_format((unsigned)now->ap_domain, x),
		    old->ap_domain < 0 ? "none" : id_format((unsigned)old->ap_domain, y));
	if (old->vfio_loaded != now->vfio_loaded)
		add(out, "vfio_ap", "bus", "vfio_ap", NULL, NULL, "vfio_ap is %s",
		    now->vfio_loaded ? "loaded" : "unloaded");
}

/* "adapters 5,6, domains 0x47,0xab, control domains none" */
static const char *matrix_words(const struct ap_matrix *m, char *buf, size_t size)
{
	char a[IDLIST_MAX], d[IDLIST_MAX], c[IDLIST_MAX];

	idlist_format(&m->apm, a, sizeof(a));
	idlist_format(&m->aqm, d, sizeof(d));
	idlist_format(&m->adm, c, sizeof(c));
	snprintf(buf, size, "adapters %s, domains %s, control domains %s", *a ? a : "none",
		 *d ? d : "none", *c ? c : "none");
	return buf;
}

static void matrix_diff(struct changes *out, const char *uuid, const struct ap_matrix *o,
			const struct ap_matrix *n)
{
	static const char *const what[] = { "adapters", "domains", "control domains" };
	const struct idset *was[] = { &o->apm, &o->aqm, &o->adm };
	const struct idset *is[] = { &n->apm, &n->aqm, &n->adm };

	for (int k = 0; k < 3; k++) {
		struct idset came = idset_minus(is[k], was[k]), gone = idset_minus(was[k], is[k]);
		char ids[IDLIST_MAX];

		if (!idset_empty(&came)) {
			idlist_format(&came, ids, sizeof(ids));
			add(out, "mdev_assigned", "mdev", uuid, NULL, NULL, "mdev %s: %s %s assigned",
			    uuid, what[k], ids);
		}
		if (!idset_empty(&gone)) {
			idlist_format(&gone, ids, sizeof(ids));
			add(out, "mdev_unassigned", "mdev", uuid, NULL, NULL,
			    "mdev %s: %s %s unassigned", uuid, what[k], ids);
		}
	}
}

static void mdevs_diff(const struct ap_state *old, const struct ap_state *now,
		       struct changes *out)
{
	char words[3 * IDLIST_MAX + 64];

	for (size_t i = 0; i < now->nmdevs; i++) {
		const struct ap_mdev *n = &now->mdevs[i];
		int j = state_find_mdev(old, n->uuid);
		const struct ap_mdev *o = j >= 0 ? &old->mdevs[j] : NULL;

		if (!o)
			add(out, "mdev_created", "mdev", n->uuid, NULL, NULL, "mdev %s is created: %s",
			    n->uuid, matrix_words(&n->matrix, words, sizeof(words)));
		else
			matrix_diff(out, n->uuid, &o->matrix, &n->matrix);
		if (n->in_use == 1 && (!o || o->in_use != 1))
			add(out, "mdev_attached", "mdev", n->uuid, NULL, n->guest_name,
			    "mdev %s is in use by %s%s", n->uuid, n->guest_name[0] ? "guest " : "a guest",
			    n->guest_name);
		else if (o && o->in_use == 1 && n->in_use == 0)
			add(out, "mdev_detached", "mdev", n->uuid, NULL, o->guest_name,
			    "mdev %s is no longer in use%s%s", n->uuid, o->guest_name[0] ?
			    " by guest " : "", o->guest_name);
	}
	for (size_t j = 0; j < old->nmdevs; j++)
		if (state_find_mdev(now, old->mdevs[j].uuid) < 0)
			add(out, "mdev_removed", "mdev", old->mdevs[j].uuid, NULL, NULL,
			    "mdev %s is removed", old->mdevs[j].uuid);
}

/* The APQNs the guest of m has (none when m is not in use); the matrix before 6.0. */
static void guest_apqns(const struct ap_mdev *m, struct apqnset *s)
{
	const struct ap_matrix *x = m && m->in_use == 1 ? (m->has_guest ? &m->guest : &m->matrix) :
				       NULL;

	apqnset_clear(s);
	if (x)
		apqnset_add_product(s, &x->apm, &x->aqm);
}

/* Each guest's gain and loss, after what caused them. */
static void guest_change(struct changes *out, const struct ap_mdev *m, const char *name,
			 struct apqnset tmp[3])
{
	char words[WORDS_MAX], who[128];

	snprintf(who, sizeof(who), "%s%s (mdev %s)", name[0] ? "guest " : "the guest", name,
		 m->uuid);
	apqnset_minus(&tmp[2], &tmp[1], &tmp[0]);
	if (!apqnset_empty(&tmp[2]))
		add(out, "guest_gains", "mdev", m->uuid, &tmp[2], name, "%s gains %s", who,
		    apqnset_words(&tmp[2], words, sizeof(words)));
	apqnset_minus(&tmp[2], &tmp[0], &tmp[1]);
	if (!apqnset_empty(&tmp[2]))
		add(out, "guest_loses", "mdev", m->uuid, &tmp[2], name, "%s loses %s", who,
		    apqnset_words(&tmp[2], words, sizeof(words)));
}

static void guests_diff(const struct ap_state *old, const struct ap_state *now,
			struct changes *out, struct apqnset tmp[3])
{
	for (size_t i = 0; i < now->nmdevs; i++) {
		const struct ap_mdev *n = &now->mdevs[i];
		int j = state_find_mdev(old, n->uuid);
		const struct ap_mdev *o = j >= 0 ? &old->mdevs[j] : NULL;

		/* most mdevs: no guest, or the same one with the same APQNs */
		if (o && o->in_use == n->in_use && (n->in_use != 1 ||
		    (o->has_guest == n->has_guest && matrix_equal(&o->matrix, &n->matrix) &&
		     matrix_equal(&o->guest, &n->guest))))
			continue;
		guest_apqns(o, &tmp[0]);
		guest_apqns(n, &tmp[1]);
		guest_change(out, n, n->guest_name[0] || !o ? n->guest_name : o->guest_name, tmp);
	}
	for (size_t j = 0; j < old->nmdevs; j++) {
		if (state_find_mdev(now, old->mdevs[j].uuid) >= 0)
			continue;
		guest_apqns(&old->mdevs[j], &tmp[0]);
		apqnset_clear(&tmp[1]);
		guest_change(out, &old->mdevs[j], old->mdevs[j].guest_name, tmp);
	}
}

int state_diff(const struct ap_state *old, const struct ap_state *now, struct changes *out)
{
	struct apqnset *tmp = malloc(3 * sizeof(*tmp));

	memset(out, 0, sizeof(*out));
	if (!tmp)
		return -ENOMEM;
	host_diff(old, now, out);
	bus_diff(old, now, out);
	cards_diff(old, now, out);
	queues_diff(old, now, out, tmp);
	bindings_diff(old, now, out);
	mdevs_diff(old, now, out);
	guests_diff(old, now, out, tmp);
	free(tmp);
	return out->err;
}

void changes_free(struct changes *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].text);
		free(c->v[i].apqns);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

struct json_object *change_json(const struct change *c, unsigned long long seq, long long time_ms)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "seq", json_object_new_uint64(seq));
	json_object_object_add(o, "time_ms", json_object_new_int64(time_ms));
	json_object_object_add(o, "event", json_object_new_string(c->event));
	json_object_object_add(o, "kind", json_object_new_string(c->kind));
	json_object_object_add(o, "object", c->object[0] ? json_object_new_string(c->object) : NULL);
	json_object_object_add(o, "guest", c->guest[0] ? json_object_new_string(c->guest) : NULL);
	json_object_object_add(o, "apqns", c->apqns ? json_apqnset(c->apqns) : NULL);
	json_object_object_add(o, "text", json_object_new_string(c->text));
	return o;
}
