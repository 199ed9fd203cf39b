/* SPDX-License-Identifier: MIT */
#include "kmodel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "masksyntax.h"

enum queue_driver kmodel_bind_queue(struct ap_state *st, unsigned a, unsigned d)
{
	uint8_t slot_default = state_driver_slot(st, QDRV_DEFAULT);
	uint8_t slot_vfio = state_driver_slot(st, QDRV_VFIO);
	int o = state_find_override(st, a, d);
	bool owned = rules_default_owned(&st->apmask, &st->aqmask, a, d);
	enum queue_driver drv;

	if (o >= 0) {
		/* 6.19: only the driver named may bind it; the masks do not count */
		uint8_t slot = state_driver_named(st, st->overrides[o].driver);
		enum queue_driver kind = slot ? st->drivers[slot - 1].kind : QDRV_NONE;

		drv = kind == QDRV_NONE || kind == QDRV_OTHER ? QDRV_NONE :
		      rules_queue_binding(kind == QDRV_DEFAULT, (unsigned)st->card[a].hwtype,
					  kind == QDRV_DEFAULT, kind == QDRV_VFIO);
		st->qdrv[a][d] = drv == QDRV_NONE ? 0 : slot;
		return drv;
	}
	drv = rules_queue_binding(owned, (unsigned)st->card[a].hwtype, slot_default != 0,
				  slot_vfio != 0);
	st->qdrv[a][d] = drv == QDRV_DEFAULT ? slot_default : drv == QDRV_VFIO ? slot_vfio : 0;
	/* zcrypt's queue, and whether it was set offline, goes with the default driver */
	if (drv != QDRV_DEFAULT)
		apqnset_del(&st->qoffline, a, d);
	return drv;
}

/*
 * ap_bus_revise_bindings(): every queue whose ownership changed is reprobed in
 * bus order. A queue leaving vfio_ap takes its adapter out of its mdev's guest
 * (section 4.3); a queue bound to vfio_ap makes its mdev's guest be computed
 * again (section 4.2).
 */
static void revise_bindings(struct ap_state *st, const struct idset *old_apmask,
			    const struct idset *old_aqmask)
{
	bool dynamic = kgen_has(st->kernel, KF_DYNAMIC);
	struct apqnset *ready = malloc(sizeof(*ready));
	/* the matrices stay as they are meanwhile */
	state_owners *owner = state_apqn_owners(st);

	if (!ready || !owner) {
		free(ready);
		free(owner);
		return;
	}
	state_vfio_ready(st, ready);
	for (unsigned a = 0; a < IDSET_BITS; a++) {
		idset_foreach(d, &st->queues.dom[a]) {
			bool was = rules_default_owned(old_apmask, old_aqmask, a, (unsigned)d);
			bool owned = rules_default_owned(&st->apmask, &st->aqmask, a, (unsigned)d);
			int holder = state_owner(owner, a, (unsigned)d);

			if (was == owned)
				continue;
			if (state_queue_driver(st, a, (unsigned)d) == QDRV_VFIO) {
				apqnset_del(ready, a, (unsigned)d);
				if (holder >= 0 && dynamic)
					rules_guest_queue_gone(&st->mdevs[holder].guest, a,
							       (unsigned)d);
			}
			if (kmodel_bind_queue(st, a, (unsigned)d) != QDRV_VFIO)
				continue;
			apqnset_add(ready, a, (unsigned)d);
			if (holder >= 0 && dynamic)
				rules_guest_matrix(&st->mdevs[holder].matrix, &st->host, ready,
						   &st->mdevs[holder].guest);
		}
	}
	free(ready);
	free(owner);
}

int kmodel_mask_write(struct ap_state *st, bool is_apmask, const char *val, struct khits *hits,
		      bool all_mdevs)
{
	struct idset mask;

	/* before the parse 6.19 refuses while an override exists: EINVAL either way */
	if (kernel_mask_parse(val, is_apmask ? &st->apmask : &st->aqmask, &mask))
		return -EINVAL;
	return kmodel_mask_set(st, is_apmask, &mask, hits, all_mdevs);
}

int kmodel_mask_set(struct ap_state *st, bool is_apmask, const struct idset *mask,
		    struct khits *hits, bool all_mdevs)
{
	struct idset old_apmask = st->apmask, old_aqmask = st->aqmask;
	struct kview_store *ks = state_kview(st);
	int rc;

	if (!ks)
		return -ENOMEM;
	rc = rules_mask_write(&ks->k, is_apmask, mask, hits, all_mdevs);
	state_kview_free(ks);
	if (rc || idset_equal(mask, is_apmask ? &st->apmask : &st->aqmask))
		return rc;
	*(is_apmask ? &st->apmask : &st->aqmask) = *mask;
	if (!st->rebind_delay_ms) {
		revise_bindings(st, &old_apmask, &old_aqmask);
		return 0;
	}
	/* the AP bus rebinds later: until then the bindings follow the masks before */
	if (!st->rebind_pending) {
		st->bound_apmask = old_apmask;
		st->bound_aqmask = old_aqmask;
		st->rebind_pending = true;
	}
	return 0;
}

void kmodel_rebind(struct ap_state *st)
{
	if (!st->rebind_pending)
		return;
	revise_bindings(st, &st->bound_apmask, &st->bound_aqmask);
	st->rebind_pending = false;
	st->rebind_due = 0;
}

int kmodel_create(struct ap_state *st, const char *uuid)
{
	int group, vfio_dev;

	struct ap_mdev *more, *m;

	if (!uuid_valid(uuid))
		return -EINVAL;
	if (state_find_mdev(st, uuid) >= 0)
		return -EEXIST;
	if (st->available_instances <= 0)
		return rules_no_instances(st->kernel);
	/*
	 * the kernel's IDAs: iommu_group_alloc() for the group vfio_ap's
	 * emulated IOMMU makes, the vfio device's index
	 */
	group = state_lowest_free(st, false);
	vfio_dev = kgen_has(st->kernel, KF_VFIO_CDEV) ? state_lowest_free(st, true) : -1;
	if (group < 0 || vfio_dev == -ENOMEM)
		return -ENOMEM;
	more = grow(st->mdevs, &st->capmdevs, st->nmdevs, sizeof(*more));
	if (!more)
		return -ENOMEM;
	st->mdevs = more;
	m = &st->mdevs[st->nmdevs++];
	memset(m, 0, sizeof(*m));
	uuid_lower(uuid, m->uuid);
	m->iommu_group = group;
	m->vfio_dev = vfio_dev;
	m->has_guest = kgen_has(st->kernel, KF_DYNAMIC);
	st->available_instances--;
	state_mdev_added(st);
	return 0;
}

static void remove_now(struct ap_state *st, size_t i)
{
	memmove(&st->mdevs[i], &st->mdevs[i + 1], (st->nmdevs - i - 1) * sizeof(*st->mdevs));
	st->nmdevs--;
	state_mdevs_changed(st);
	st->available_instances++;
}

int kmodel_remove(struct ap_state *st, size_t i)
{
	struct kview_store *ks = state_kview(st);
	int rc;

	if (!ks)
		return -ENOMEM;
	rc = rules_remove(&ks->k, i);
	state_kview_free(ks);
	if (rc == -EINPROGRESS)
		st->mdevs[i].removing = true;
	if (!rc)
		remove_now(st, i);
	return rc;
}

int kmodel_assign(struct ap_state *st, size_t i, enum assign_kind kind, unsigned long id,
		  bool assign, struct khits *hits, bool all_mdevs)
{
	struct kview_store *ks = state_kview(st);
	struct ap_mdev *m = &st->mdevs[i];
	struct ap_matrix after, guest;
	int rc;

	if (!ks)
		return -ENOMEM;
	rc = assign ? rules_assign(&ks->k, i, kind, id, &after, hits, all_mdevs) :
		      rules_unassign(&ks->k, i, kind, id, &after);
	if (!rc && m->has_guest) {
		rules_guest_after(&ks->k, &m->matrix, &after, &m->guest, &guest);
		m->guest = guest;
	}
	if (!rc)
		m->matrix = after;
	state_kview_free(ks);
	return rc;
}

int kmodel_ap_config(struct ap_state *st, size_t i, const struct ap_matrix *m,
		     struct khits *hits, bool all_mdevs)
{
	struct kview_store *ks = state_kview(st);
	int rc;

	if (!ks)
		return -ENOMEM;
	rc = rules_ap_config(&ks->k, i, m, hits, all_mdevs);
	if (!rc) {
		/* the guest is computed again in full */
		rules_guest_matrix(m, &st->host, ks->k.vfio, &st->mdevs[i].guest);
		st->mdevs[i].matrix = *m;
	}
	state_kview_free(ks);
	return rc;
}

int kmodel_driver_override(struct ap_state *st, unsigned a, unsigned d, const char *driver)
{
	int o = state_find_override(st, a, d);

	if (!rules_overrides_allowed(&st->apmask, &st->aqmask) || strlen(driver) >= DRIVER_NAME_MAX)
		return -EINVAL;
	if (!*driver) {
		if (o >= 0)
			st->overrides[o] = st->overrides[--st->noverrides];
		return 0;
	}
	if (o < 0)
		return state_add_override(st, a, d, driver);
	snprintf(st->overrides[o].driver, sizeof(st->overrides[o].driver), "%s", driver);
	return 0;
}

int kmodel_ap_domain(struct ap_state *st, long domain)
{
	if (domain < 0 || (unsigned long)domain > st->max_domain ||
	    !idset_has(&st->aqmask, (unsigned)domain))
		return -EINVAL;
	st->ap_domain = (int)domain;
	return 0;
}

/* What a card's online reads: configured, not checkstopped, and online in zcrypt. */
static void card_settle(struct ap_card *c)
{
	c->online = c->config == 1 && c->chkstop != 1 && !c->zoffline;
}

void kmodel_add_card(struct ap_state *st, unsigned a, const struct card_type *t)
{
	struct ap_card *c = &st->card[a];

	idset_add(&st->cards, a);
	memset(c, 0, sizeof(*c));
	card_type_name(t, c->type);
	c->hwtype = c->raw_hwtype = (int)t->hwtype;
	c->depth = 7;
	c->config = 1;
	c->functions = card_functions(t);
	/* a serial number of its own for every CCA and EP11 card */
	if (t->mode == 'C')
		snprintf(c->serialnr, sizeof(c->serialnr), "93A%05X", a);
	else if (t->mode == 'P')
		snprintf(c->serialnr, sizeof(c->serialnr), "93AB00000000%04X", a);
	card_settle(c);
}

int kmodel_card_config(struct ap_state *st, unsigned a, bool on)
{
	struct ap_matrix ids = { { { 0 } }, { { 0 } }, { { 0 } } };
	struct ap_card *c = &st->card[a];

	if (!idset_has(&st->cards, a))
		return -ENODEV;
	if ((c->config == 1) == on)
		return 0;
	/* configured on or off, the adapter joins or leaves the host's configuration (4.4) */
	idset_add(&ids.apm, a);
	c->config = on;
	card_settle(c);
	kmodel_host_change(st, on, &ids, NULL);
	return 0;
}

void kmodel_card_chkstop(struct ap_state *st, unsigned a, bool on)
{
	/* a checkstopped queue stays "passable": the guests keep it (4.1) */
	st->card[a].chkstop = on;
	card_settle(&st->card[a]);
}

int kmodel_card_online(struct ap_state *st, unsigned a, bool on)
{
	struct ap_card *c = &st->card[a];

	if (on && (c->config != 1 || c->chkstop == 1))
		return -ENODEV;
	c->zoffline = !on;
	card_settle(c);
	/* zcrypt sets every queue of the card so too */
	idset_foreach(d, &st->queues.dom[a]) {
		if (state_queue_driver(st, a, (unsigned)d) != QDRV_DEFAULT)
			continue;
		if (on)
			apqnset_del(&st->qoffline, a, (unsigned)d);
		else
			apqnset_add(&st->qoffline, a, (unsigned)d);
	}
	return 0;
}

int kmodel_queue_online(struct ap_state *st, unsigned a, unsigned d, bool on)
{
	const struct ap_card *c = &st->card[a];

	if (on && (c->config != 1 || c->chkstop == 1))
		return -ENODEV;
	if (on && c->zoffline)
		return -EINVAL;
	if (on)
		apqnset_del(&st->qoffline, a, d);
	else
		apqnset_add(&st->qoffline, a, d);
	return 0;
}

void kmodel_add_queues(struct ap_state *st, const struct idset *apm, const struct idset *aqm)
{
	idset_foreach(a, apm) {
		if (!idset_has(&st->cards, (unsigned)a) || (unsigned)a > st->max_adapter)
			continue;
		idset_foreach(d, aqm) {
			if ((unsigned)d > st->max_domain ||
			    apqnset_has(&st->queues, (unsigned)a, (unsigned)d))
				continue;
			apqnset_add(&st->queues, (unsigned)a, (unsigned)d);
			kmodel_bind_queue(st, (unsigned)a, (unsigned)d);
		}
	}
}

/* IDs join the host configuration: cards and queues appear, vfio_ap plugs them (4.4). */
static void host_added(struct ap_state *st, const struct ap_matrix *delta,
		       const struct card_type *t)
{
	struct apqnset *ready = malloc(sizeof(*ready));

	idset_foreach(a, &delta->apm)
		if ((unsigned)a <= st->max_adapter && !idset_has(&st->cards, (unsigned)a) && t)
			kmodel_add_card(st, (unsigned)a, t);
	kmodel_add_queues(st, &st->host.apm, &st->host.aqm);
	if (!ready || !kgen_has(st->kernel, KF_DYNAMIC)) {
		free(ready);
		return;
	}
	/* at the end of the scan, vfio_ap filters the mdevs the new IDs concern */
	state_vfio_ready(st, ready);
	for (size_t i = 0; i < st->nmdevs; i++) {
		struct ap_mdev *m = &st->mdevs[i];

		if (idset_intersects(&m->matrix.apm, &delta->apm) ||
		    idset_intersects(&m->matrix.aqm, &delta->aqm) ||
		    idset_intersects(&m->matrix.adm, &delta->adm))
			rules_guest_matrix(&m->matrix, &st->host, ready, &m->guest);
	}
	free(ready);
}

/*
 * IDs leave the host configuration: vfio_ap unplugs them, then the scan
 * removes the devices, but those of a card that is only configured off.
 */
static void host_removed(struct ap_state *st, const struct ap_matrix *delta)
{
	bool dynamic = kgen_has(st->kernel, KF_DYNAMIC);

	/* vfio_ap_mdev_on_cfg_remove(): the IDs leave every guest */
	for (size_t i = 0; dynamic && i < st->nmdevs; i++) {
		st->mdevs[i].guest.apm = idset_minus(&st->mdevs[i].guest.apm, &delta->apm);
		st->mdevs[i].guest.aqm = idset_minus(&st->mdevs[i].guest.aqm, &delta->aqm);
	}
	for (unsigned a = 0; a < IDSET_BITS; a++) {
		idset_foreach(d, &st->queues.dom[a]) {
			int holder;

			if ((!idset_has(&delta->apm, a) && !idset_has(&delta->aqm, (unsigned)d)) ||
			    st->card[a].config == 0)
				continue;
			holder = state_apqn_mdev(st, a, (unsigned)d);
			if (holder >= 0 && dynamic &&
			    state_queue_driver(st, a, (unsigned)d) == QDRV_VFIO)
				rules_guest_queue_gone(&st->mdevs[holder].guest, a, (unsigned)d);
			apqnset_del(&st->queues, a, (unsigned)d);
			st->qdrv[a][d] = 0;
		}
	}
	idset_foreach(a, &delta->apm)
		if (st->card[a].config != 0)
			idset_del(&st->cards, (unsigned)a);
}

void kmodel_host_change(struct ap_state *st, bool add, const struct ap_matrix *ids,
			const struct card_type *t)
{
	struct ap_matrix delta;

	matrix_edit(&st->host, ids, add, &delta);
	if (add)
		host_added(st, &delta, t);
	else
		host_removed(st, &delta);
	for (size_t i = 0; i < st->nmdevs; i++)
		st->mdevs[i].guest.adm = rules_guest_cdoms(&st->mdevs[i].matrix, &st->host);
	if (st->ap_domain < 0 || !idset_has(&st->host.aqm, (unsigned)st->ap_domain))
		st->ap_domain = rules_default_domain(&st->queues, &st->aqmask);
}

/* The file the guest of m holds: the group's, or with iommufd the device's own. */
static void guest_device(struct ap_mdev *m)
{
	if (m->guest_iommufd)
		snprintf(m->guest_device, sizeof(m->guest_device), "/dev/vfio/devices/vfio%d",
			 m->vfio_dev);
	else
		snprintf(m->guest_device, sizeof(m->guest_device), "/dev/vfio/%d", m->iommu_group);
}

/* The lowest free number, or -1 (none) when out of memory. */
static int number_or_none(const struct ap_state *st, bool vfio_dev)
{
	int n = state_lowest_free(st, vfio_dev);

	return n < 0 ? -1 : n;
}

void kmodel_number(struct ap_state *st)
{
	bool cdev = kgen_has(st->kernel, KF_VFIO_CDEV);

	for (size_t i = 0; i < st->nmdevs; i++) {
		struct ap_mdev *m = &st->mdevs[i];
		int group = m->iommu_group, dev = m->vfio_dev;

		/* out of memory: left unnumbered (-1), as an mdev without a group */
		if (m->iommu_group < 0)
			m->iommu_group = number_or_none(st, false);
		if (!cdev)
			m->vfio_dev = -1;
		else if (m->vfio_dev < 0)
			m->vfio_dev = number_or_none(st, true);
		/* numbers given or dropped: the index's record of those in use is made anew */
		if (group != m->iommu_group || dev != m->vfio_dev)
			state_mdevs_changed(st);
		m->guest_iommufd &= m->vfio_dev >= 0;
		if (m->in_use == 1)
			guest_device(m);
	}
}

int kmodel_attach(struct ap_state *st, size_t i, bool attach, bool iommufd)
{
	struct ap_mdev *m = &st->mdevs[i];

	if ((m->in_use == 1) == attach)
		return -EALREADY;
	if (attach && iommufd && m->vfio_dev < 0)
		return -EOPNOTSUPP;
	/* the guest gets the shadow APCB as it is (vfio_ap_mdev_set_kvm) */
	m->in_use = attach;
	m->guest_iommufd = attach && iommufd;
	if (attach) {
		guest_device(m);
	} else {
		m->guest_name[0] = m->guest_device[0] = '\0';
		m->guest_pid = 0;
	}
	/* the remove that waited for the guest goes on */
	if (!attach && m->removing)
		remove_now(st, i);
	return 0;
}

void kmodel_boot(struct ap_state *st)
{
	struct idset all;

	for (size_t i = st->nmdevs; i-- > 0;) {
		if (st->mdevs[i].in_use == 1)
			kmodel_attach(st, i, false, false);
		if (i < st->nmdevs)
			kmodel_remove(st, i);
	}
	while (st->noverrides)
		if (kmodel_driver_override(st, st->overrides[0].adapter, st->overrides[0].domain, ""))
			break;
	idset_fill(&all);
	kmodel_mask_set(st, true, &all, NULL, false);
	kmodel_mask_set(st, false, &all, NULL, false);
	kmodel_rebind(st);
}
