/* SPDX-License-Identifier: MIT */
/* A state explained: who holds what, why a guest misses an APQN; and its JSON. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cardtype.h"
#include "errnames.h"
#include "masksyntax.h"
#include "output.h"
#include "report.h"

int view_init(struct view *v, const struct ap_state *st, const char *root, const char *prefix)
{
	memset(v, 0, sizeof(*v));
	v->st = st;
	v->root = root;
	v->prefix = prefix;
	v->ks = state_kview(st);
	v->order = state_mdevs_by_uuid(st);
	v->letters = state_mdevs_by_group(st);
	v->owner = state_apqn_owners(st);
	if (!v->order || !v->letters || !v->owner || !v->ks)
		return -ENOMEM;
	state_mask_scope(st, &v->grid_apm, &v->grid_aqm);
	return 0;
}

void view_free(struct view *v)
{
	if (v->persist) {
		persist_free(v->persist);
		free(v->persist);
	}
	state_kview_free(v->ks);
	free(v->order);
	free(v->letters);
	free(v->owner);
}

bool view_host_owned(const struct view *v, unsigned a, unsigned d)
{
	return rules_apqn_host_owned(&v->ks->k, a, d);
}

const struct ap_mdev *view_holder(const struct view *v, unsigned a, unsigned d)
{
	int i = state_owner(v->owner, a, d);

	return i >= 0 ? &v->st->mdevs[i] : NULL;
}

const char *view_missing(const struct view *v, const struct ap_mdev *m, unsigned a, unsigned d,
			 char *text, size_t size)
{
	unsigned other = 0;
	char x[ID_STR_MAX], y[ID_STR_MAX], apqn[APQN_STR_MAX];
	const char *drv = state_queue_driver_name(v->st, a, d);

	switch (rules_explain_missing(&v->ks->k, &m->matrix, a, d, &other)) {
	case MISSING_ADAPTER_NOT_IN_HOST:
		snprintf(text, size, "adapter %s %s", id_format(a, x),
			 state_adapter_absence(v->st, a, true));
		return "adapter_not_in_host";
	case MISSING_DOMAIN_NOT_IN_HOST:
		snprintf(text, size, "domain %s is not in the host's AP configuration; it joins "
			 "the guest when it appears", id_format(d, x));
		return "domain_not_in_host";
	case MISSING_NO_QUEUE:
		snprintf(text, size, "there is no queue device %s", apqn_format(a, d, apqn));
		return "no_queue";
	case MISSING_HOST_OWNED:
		snprintf(text, size, "the host's default drivers have the queue (apmask bit %s and "
			 "aqmask bit %s are set): '%s reserve --apqns %s' gives it to vfio_ap",
			 id_format(a, x), id_format(d, y), v->prefix ? v->prefix : "apctl",
			 apqn_format(a, d, apqn));
		return "host_owned";
	case MISSING_NOT_BOUND:
		snprintf(text, size, "the queue is %s%s, not to vfio_ap", drv ? "bound to " : "unbound",
			 drv ? drv : "");
		return "not_bound";
	case MISSING_ADAPTER_FILTERED:
		snprintf(text, size, "adapter %s is left out of the guest as a whole, because queue "
			 "%s is not bound to vfio_ap", id_format(a, x), apqn_format(a, other, apqn));
		return "adapter_filtered";
	default:
		snprintf(text, size, "left out since an earlier unassign; the next assignment to "
			 "this mdev (or an ap_config write, a queue bound to vfio_ap, a change of the "
			 "host configuration) brings it back");
		return "history";
	}
}

static struct json_object *json_count(unsigned n)
{
	return json_object_new_int((int)n);
}

static struct json_object *json_missing(const struct view *v, const struct ap_mdev *m)
{
	struct json_object *miss = json_object_new_array();

	idset_foreach(a, &m->matrix.apm) {
		idset_foreach(d, &m->matrix.aqm) {
			struct json_object *e;
			char text[512], apqn[APQN_STR_MAX];
			const char *code;

			if (idset_has(&m->guest.apm, (unsigned)a) && idset_has(&m->guest.aqm, (unsigned)d))
				continue;
			code = view_missing(v, m, (unsigned)a, (unsigned)d, text, sizeof(text));
			e = json_object_new_object();
			json_object_object_add(e, "apqn", json_object_new_string(
								  apqn_format((unsigned)a, (unsigned)d, apqn)));
			json_object_object_add(e, "reason", json_object_new_string(code));
			json_object_object_add(e, "detail", json_object_new_string(text));
			json_object_array_add(miss, e);
		}
	}
	return miss;
}

const char *guest_words(const struct ap_mdev *m, char *buf, size_t size)
{
	if (m->guest_name[0] && m->guest_pid)
		snprintf(buf, size, "in use by guest %s (pid %d)", m->guest_name, m->guest_pid);
	else if (m->guest_name[0])
		snprintf(buf, size, "in use by guest %s", m->guest_name);
	else if (m->guest_pid)
		snprintf(buf, size, "in use by process %d", m->guest_pid);
	else
		snprintf(buf, size, "in use by a guest");
	return buf;
}

const char *guest_words_of(const struct ap_state *st, const char *uuid, char *buf, size_t size)
{
	int i = state_find_mdev(st, uuid);

	if (i < 0)
		return snprintf(buf, size, "in use by a guest") > 0 ? buf : buf;
	return guest_words(&st->mdevs[i], buf, size);
}

/*
 * Who uses m: null, or its pid and name, and the file it holds (the group's,
 * or with iommufd the mdev's own), as far as they are known.
 */
static struct json_object *json_guest(const struct ap_mdev *m)
{
	struct json_object *o;

	if (m->in_use != 1)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "pid", m->guest_pid ? json_object_new_int(m->guest_pid) : NULL);
	json_object_object_add(o, "name", m->guest_name[0] ? json_object_new_string(m->guest_name) :
							     NULL);
	json_object_object_add(o, "device", m->guest_device[0] ?
					    json_object_new_string(m->guest_device) : NULL);
	json_object_object_add(o, "iommufd", m->guest_device[0] ?
					     json_object_new_boolean(m->guest_iommufd) : NULL);
	return o;
}

struct json_object *json_mdev(const struct view *v, const struct ap_mdev *m)
{
	struct json_object *o = json_object_new_object();
	bool guest = m->has_guest && !m->incomplete;

	json_object_object_add(o, "uuid", json_object_new_string(m->uuid));
	json_object_object_add(o, "adapters", json_idset(&m->matrix.apm));
	json_object_object_add(o, "domains", json_idset(&m->matrix.aqm));
	json_object_object_add(o, "control_domains", json_idset(&m->matrix.adm));
	json_object_object_add(o, "matrix", json_apqns(&m->matrix.apm, &m->matrix.aqm));
	json_object_object_add(o, "guest_matrix",
			       guest ? json_apqns(&m->guest.apm, &m->guest.aqm) : NULL);
	json_object_object_add(o, "matrix_apqns", json_count(idset_count(&m->matrix.apm) *
							     idset_count(&m->matrix.aqm)));
	json_object_object_add(o, "guest_matrix_apqns",
			       guest ? json_count(idset_count(&m->guest.apm) *
						  idset_count(&m->guest.aqm)) : NULL);
	json_object_object_add(o, "in_use",
			       m->in_use < 0 ? NULL : json_object_new_boolean(m->in_use == 1));
	json_object_object_add(o, "guest", json_guest(m));
	json_object_object_add(o, "iommu_group", m->iommu_group >= 0 ?
						 json_object_new_int(m->iommu_group) : NULL);
	json_object_object_add(o, "missing", guest && v ? json_missing(v, m) : NULL);
	json_object_object_add(o, "incomplete", m->incomplete ?
				   json_object_new_string(errno_name(-m->incomplete)) : NULL);
	return o;
}

static struct json_object *json_bus(const struct ap_state *st)
{
	struct json_object *bus = json_object_new_object(), *host = NULL, *features = NULL;
	char hex[IDSET_HEX_LEN];

	json_object_object_add(bus, "max_adapter_id", json_object_new_int((int)st->max_adapter));
	json_object_object_add(bus, "max_domain_id", json_object_new_int((int)st->max_domain));
	idset_to_hex(&st->apmask, hex);
	json_object_object_add(bus, "apmask", json_object_new_string(hex));
	idset_to_hex(&st->aqmask, hex);
	json_object_object_add(bus, "aqmask", json_object_new_string(hex));
	if (st->has_features && strcmp(st->features, "-")) {
		char copy[sizeof(st->features)];

		features = json_object_new_array();
		snprintf(copy, sizeof(copy), "%s", st->features);
		for (char *w = strtok(copy, " "); w; w = strtok(NULL, " "))
			json_object_array_add(features, json_object_new_string(w));
	}
	json_object_object_add(bus, "features", features);
	json_object_object_add(bus, "default_domain",
			       st->ap_domain < 0 ? NULL : json_object_new_int(st->ap_domain));
	if (st->qci) {
		host = json_object_new_object();
		json_object_object_add(host, "adapters", json_idset(&st->host.apm));
		json_object_object_add(host, "usage_domains", json_idset(&st->host.aqm));
		json_object_object_add(host, "control_domains", json_idset(&st->host.adm));
	}
	json_object_object_add(bus, "host", host);
	return bus;
}

/* Why a card or queue cannot be used, or null. */
static struct json_object *json_reason(const char *why)
{
	return why ? json_object_new_string(why) : NULL;
}

static struct json_object *json_adapter(const struct ap_state *st, unsigned a)
{
	const struct ap_card *c = &st->card[a];
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int((int)a));
	json_object_object_add(o, "type", c->type[0] ? json_object_new_string(c->type) : NULL);
	json_object_object_add(o, "mode", json_object_new_string(card_mode_name(
						  card_mode_from_functions(c->functions))));
	json_object_object_add(o, "hwtype", c->hwtype < 0 ? NULL : json_object_new_int(c->hwtype));
	json_object_object_add(o, "online",
			       c->online < 0 ? NULL : json_object_new_boolean(c->online == 1));
	json_object_object_add(o, "config",
			       c->config < 0 ? NULL : json_object_new_boolean(c->config == 1));
	json_object_object_add(o, "chkstop",
			       c->chkstop < 0 ? NULL : json_object_new_boolean(c->chkstop == 1));
	json_object_object_add(o, "unusable", json_reason(state_card_unusable(st, a)));
	return o;
}

void js_queue(struct jstream *js, const struct view *v, unsigned a, unsigned d)
{
	const struct ap_state *st = v->st;
	const struct ap_mdev *m = view_holder(v, a, d);
	char apqn[APQN_STR_MAX];

	js_object(js);
	js_string(js, "apqn", apqn_format(a, d, apqn));
	js_int(js, "adapter", (long)a);
	js_int(js, "domain", (long)d);
	js_string(js, "owner", view_host_owned(v, a, d) ? "host" : "vfio_ap");
	js_string(js, "driver", state_queue_driver_name(st, a, d));
	js_string(js, "status", state_queue_driver(st, a, d) == QDRV_VFIO ?
					vfio_status_name(state_mdev_vfio_status(st, m, a, d)) :
					NULL);
	js_string(js, "mdev", m ? m->uuid : NULL);
	js_string(js, "unusable", state_queue_unusable(st, a, d));
	js_end_object(js);
}

static struct json_object *json_journal(const struct view *v)
{
	struct json_object *o;

	if (!v->journal)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "pid", json_object_new_int((int)v->journal->pid));
	json_object_object_add(o, "running", json_object_new_boolean(v->journal_alive));
	json_object_object_add(o, "command", json_object_new_string(v->journal->command));
	json_object_object_add(o, "writes", json_object_new_int((int)v->journal->n));
	json_object_object_add(o, "writes_begun", json_object_new_int((int)v->journal->begun + 1));
	return o;
}

void show_json(FILE *f, const struct view *v)
{
	const struct ap_state *st = v->st;
	char gen[KGEN_STR_MAX];
	struct jstream js;

	js_begin(&js, f);
	js_member(&js, "root", json_object_new_string(v->root));
	js_member(&js, "sandbox", json_object_new_boolean(st->sandbox));
	js_member(&js, "kernel", json_object_new_string(kgen_format(st->kernel, gen)));
	js_member(&js, "interrupted_change", json_journal(v));
	js_member(&js, "bus", json_bus(st));
	js_begin_array(&js, "adapters");
	idset_foreach(a, &st->cards)
		js_element(&js, json_adapter(st, (unsigned)a));
	js_end_array(&js);
	js_begin_array(&js, "queues");
	for (unsigned a = 0; a < IDSET_BITS; a++)
		idset_foreach(d, &st->queues.dom[a])
			js_queue(&js, v, a, (unsigned)d);
	js_end_array(&js);
	js_begin_array(&js, "mdevs");
	for (size_t k = 0; k < st->nmdevs; k++)
		js_element(&js, json_mdev(v, &st->mdevs[v->order[k]]));
	js_end_array(&js);
	if (v->persist)
		js_member(&js, "persistent", json_persist(v));
	js_end(&js);
}
