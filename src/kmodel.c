/* SPDX-License-Identifier: MIT */
#include "kmodel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int kmodel_create(struct ap_state *st, const char *uuid)
{
	struct ap_mdev *more;

	if (!uuid_valid(uuid))
		return -EINVAL;
	if (state_find_mdev(st, uuid) >= 0)
		return -EEXIST;
	if (st->available_instances <= 0)
		return rules_no_instances(st->kernel);
	more = realloc(st->mdevs, (st->nmdevs + 1) * sizeof(*more));
	if (!more)
		return -ENOMEM;
	st->mdevs = more;
	memset(&st->mdevs[st->nmdevs], 0, sizeof(*more));
	uuid_lower(uuid, st->mdevs[st->nmdevs].uuid);
	st->mdevs[st->nmdevs].has_guest = kgen_has(st->kernel, KF_DYNAMIC);
	st->nmdevs++;
	st->available_instances--;
	return 0;
}

int kmodel_remove(struct ap_state *st, size_t i)
{
	struct kview_store *ks = state_kview(st);
	int rc;

	if (!ks)
		return -ENOMEM;
	rc = rules_remove(&ks->k, i);
	state_kview_free(ks);
	if (rc)
		return rc;
	memmove(&st->mdevs[i], &st->mdevs[i + 1], (st->nmdevs - i - 1) * sizeof(*st->mdevs));
	st->nmdevs--;
	st->available_instances++;
	return 0;
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
