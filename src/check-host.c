/* SPDX-License-Identifier: MIT */
/*
 * apctl check, the running host: cards configured off, checkstopped or
 * offline, queues offline, guests that lack APQNs of their matrix and why,
 * mdevs that cannot be read, vfio_ap missing while definitions wait for it,
 * and the AP bus's default domain given away.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "masksyntax.h"
#include "output.h"

#define WORDS_MAX 1024

/* What a card's state is (state_card_unusable()'s word), and the command that ends it. */
struct card_trouble {
	const char *state;
	const char *code;
	const char *words;
	const char *chzcrypt;  /* chzcrypt's option, or NULL: no command ends it */
	const char *sandbox;   /* apctl sandbox host's command */
	bool guests;           /* guests lose the card too (zcrypt's online is the host's alone) */
};

static const struct card_trouble troubles[] = {
	{ "checkstopped", "card_checkstopped", "is checkstopped (chkstop reads 1): it needs "
	  "service, see the Hardware Management Console", NULL, "uncheckstop", true },
	{ "configured off", "card_configured_off", "is configured off (config reads 0)",
	  "--config-on", "configure", true },
	{ "offline", "card_offline", "is offline in zcrypt (online reads 0)", "-e", "online",
	  false },
};

static const struct card_trouble *trouble_of(const char *state)
{
	for (size_t i = 0; state && i < sizeof(troubles) / sizeof(troubles[0]); i++)
		if (!strcmp(troubles[i].state, state))
			return &troubles[i];
	return NULL;
}

/* The command that ends trouble t of card a, or of queue (a, d) when d >= 0; NULL: none. */
static char *fix_of(const struct view *v, const struct card_trouble *t, unsigned a, int d,
		    char *buf, size_t size)
{
	char id[ID_STR_MAX], apqn[APQN_STR_MAX];

	if (d >= 0)
		apqn_format(a, (unsigned)d, apqn);
	if (v->st->sandbox)
		snprintf(buf, size, "%s sandbox host %s --%s %s", check_prefix(v), t->sandbox,
			 d >= 0 ? "apqns" : "adapters", d >= 0 ? apqn : id_format(a, id));
	else if (t->chzcrypt && d >= 0)
		snprintf(buf, size, "chzcrypt %s %s", t->chzcrypt, apqn);
	else if (t->chzcrypt)
		/* chzcrypt takes card numbers in hex, as lszcrypt prints them */
		snprintf(buf, size, "chzcrypt %s %02x", t->chzcrypt, a);
	else
		return NULL;
	return buf;
}

/* "guest NAME" or "the guest": who uses m */
static const char *guest_of(const struct ap_mdev *m, char *buf, size_t size)
{
	if (m->guest_name[0])
		snprintf(buf, size, "guest %s", m->guest_name);
	else
		snprintf(buf, size, "its guest");
	return buf;
}

/* The in-use mdevs whose guests hold adapter a, in words; whether there is one. */
static bool guests_of_adapter(const struct view *v, unsigned a, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < v->st->nmdevs; i++) {
		const struct ap_mdev *m = &v->st->mdevs[v->order[i]];
		char who[128];

		if (m->in_use != 1 || !idset_has(&m->matrix.apm, a) ||
		    idset_empty(&m->matrix.aqm))
			continue;
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%smdev %s%s%s%s",
					len ? ", " : "", m->uuid, m->guest_name[0] ? " (" : "",
					m->guest_name[0] ? guest_of(m, who, sizeof(who)) : "",
					m->guest_name[0] ? ")" : "");
	}
	return len > 0;
}

static void check_card(const struct view *v, unsigned a, struct check *c)
{
	const struct card_trouble *t = trouble_of(state_card_unusable(v->st, a));
	char obj[16], guests[WORDS_MAX], fix[256], id[ID_STR_MAX];
	unsigned host = 0;

	if (!t)
		return;
	snprintf(obj, sizeof(obj), "%02x", a);
	idset_foreach(d, &v->st->queues.dom[a])
		if (view_host_owned(v, a, (unsigned)d))
			host++;
	id_format(a, id);
	if (t->guests && guests_of_adapter(v, a, guests, sizeof(guests)))
		check_add(c, SEV_CRITICAL, "card", obj, t->code, fix_of(v, t, a, -1, fix,
			  sizeof(fix)), "adapter %s %s: guests use it through %s", id,
			  t->words, guests);
	else
		check_add(c, SEV_WARNING, "card", obj, t->code, fix_of(v, t, a, -1, fix,
			  sizeof(fix)), "adapter %s %s: %u of its queues %s the host's default "
			  "drivers'%s", id, t->words, host, host == 1 ? "is" : "are",
			  t->guests ? ", no guest uses it" : "; guests that use it are not affected");
}

/* Queues set offline on their own, on cards that are usable. */
static void check_queues(const struct view *v, struct check *c)
{
	for (unsigned a = 0; a < IDSET_BITS; a++) {
		if (!idset_has(&v->st->cards, a) || state_card_unusable(v->st, a))
			continue;
		idset_foreach(d, &v->st->queues.dom[a]) {
			char apqn[APQN_STR_MAX], fix[256];

			if (!state_queue_unusable(v->st, a, (unsigned)d))
				continue;
			apqn_format(a, (unsigned)d, apqn);
			check_add(c, SEV_WARNING, "apqn", apqn, "queue_offline",
				  fix_of(v, trouble_of("offline"), a, d, fix, sizeof(fix)),
				  "queue %s is offline in zcrypt (online reads 0): the host's default "
				  "drivers cannot use it", apqn);
		}
	}
}

/* The APQNs of m's matrix that its guest lacks, alike reasons together. */
static void check_guest(const struct view *v, const struct ap_mdev *m, struct check *c)
{
	unsigned missing = 0, nm = idset_count(&m->matrix.apm) * idset_count(&m->matrix.aqm);
	struct apqnset *sets = NULL;
	struct strlist why = { 0 };
	char words[WORDS_MAX * 2] = "", who[128], list[WORDS_MAX];
	size_t len = 0;

	idset_foreach(a, &m->matrix.apm) {
		idset_foreach(d, &m->matrix.aqm) {
			char text[512];
			size_t i = 0;

			if (idset_has(&m->guest.apm, (unsigned)a) &&
			    idset_has(&m->guest.aqm, (unsigned)d))
				continue;
			missing++;
			view_missing(v, m, (unsigned)a, (unsigned)d, text, sizeof(text));
			while (i < why.n && strcmp(why.v[i], text))
				i++;
			if (i == why.n) {
				struct apqnset *more = realloc(sets, (i + 1) * sizeof(*sets));

				if (!more)
					goto out;
				sets = more;
				apqnset_clear(&sets[i]);
				strlist_addf(&why, "%s", text);
			}
			if (i < why.n)
				apqnset_add(&sets[i], (unsigned)a, (unsigned)d);
		}
	}
	for (size_t i = 0; i < why.n; i++)
		len += (size_t)snprintf(words + len, len < sizeof(words) ? sizeof(words) - len : 0,
					"%s%s: %s", i ? "; " : "", apqn_list(&sets[i], list,
					sizeof(list)), why.v[i]);
	if (missing)
		check_add(c, m->in_use == 1 ? SEV_CRITICAL : SEV_WARNING, "mdev", m->uuid,
			  "guest_lacks_apqns", NULL, "%s%s lacks %u of the %u APQNs of its matrix: %s",
			  m->in_use == 1 ? "" : "not in use: ", guest_of(m, who, sizeof(who)),
			  missing, nm, words);
out:
	free(sets);
	strlist_free(&why);
}

static void check_mdevs(const struct view *v, struct check *c)
{
	for (size_t k = 0; k < v->st->nmdevs; k++) {
		const struct ap_mdev *m = &v->st->mdevs[v->order[k]];

		if (m->incomplete)
			check_add(c, SEV_WARNING, "mdev", m->uuid, "mdev_unreadable", NULL,
				  "its files cannot be read: it is being removed or made");
		else if (m->has_guest)
			check_guest(v, m, c);
	}
}

/*
 * The AP bus's default domain, which the host's requests that name no domain
 * go to. Given back by a release of the domain where its aqmask bit alone took
 * it and no mdev holds its queues.
 */
static void check_default_domain(const struct view *v, struct check *c)
{
	const struct ap_state *st = v->st;
	struct idset lost = { 0 };
	char id[ID_STR_MAX], ids[IDLIST_MAX], fix[PATH_MAX + 64];
	unsigned d = (unsigned)st->ap_domain;
	bool held = false;

	if (st->ap_domain < 0 || d >= IDSET_BITS)
		return;
	for (unsigned a = 0; a < IDSET_BITS; a++) {
		if (!apqnset_has(&st->queues, a, d) || view_host_owned(v, a, d))
			continue;
		idset_add(&lost, a);
		held |= view_holder(v, a, d) != NULL || !idset_has(&st->apmask, a);
	}
	if (idset_empty(&lost))
		return;
	id_format(d, id);
	snprintf(fix, sizeof(fix), "%s release --domains %s", check_prefix(v), id);
	check_add(c, SEV_WARNING, "domain", id, "default_domain_given_away",
		  held || idset_has(&st->aqmask, d) ? NULL : fix, "the AP bus's default domain %s "
		  "(ap_domain) is not the host's on adapters %s: the host's requests that name no "
		  "domain (as CCA applications make them) cannot go there", id,
		  text_ids(&lost, "none", ids, sizeof(ids)));
}

void check_running(const struct view *v, struct check *c)
{
	idset_foreach(a, &v->st->cards)
		check_card(v, (unsigned)a, c);
	check_queues(v, c);
	check_mdevs(v, c);
	check_default_domain(v, c);
}
