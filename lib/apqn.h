/* SPDX-License-Identifier: MIT */
/*
 * APQNs (adapter, domain), their notation "05.0047", sets of APQNs, Cartesian
 * products, and the kernel's text formats built from them: the vfio_ap
 * `matrix`/`guest_matrix` and `control_domains` renderings and `ap_config`.
 */
#ifndef APCTL_APQN_H
#define APCTL_APQN_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "idset.h"

/* "ff.00ff" and the NUL */
#define APQN_STR_MAX 8

/* "AA.DDDD" in lowercase hex, the queue device's name. */
const char *apqn_format(unsigned adapter, unsigned domain, char buf[APQN_STR_MAX]);

/* APQNs in the order lszcrypt lists them: by adapter, then by domain (for qsort) */
static inline int apqn_cmp(unsigned a1, unsigned d1, unsigned a2, unsigned d2)
{
	if (a1 != a2)
		return a1 < a2 ? -1 : 1;
	return d1 < d2 ? -1 : d1 > d2;
}

/*
 * Reads "AA.DDDD": two hex digits, a dot, four hex digits, either case, both
 * IDs at most 255. Other spellings are refused rather than guessed at, since
 * tools differ ("1.6" is decimal in ap-check and hex in sysfs).
 */
int apqn_parse(const char *s, unsigned *adapter, unsigned *domain, struct diag *d);

/* A set of APQNs: for each adapter, the set of its domains. */
struct apqnset {
	struct idset dom[IDSET_BITS];
};

void apqnset_clear(struct apqnset *s);
static inline void apqnset_add(struct apqnset *s, unsigned a, unsigned d)
{
	if (a < IDSET_BITS)
		idset_add(&s->dom[a], d);
}
static inline bool apqnset_has(const struct apqnset *s, unsigned a, unsigned d)
{
	return a < IDSET_BITS && idset_has(&s->dom[a], d);
}
static inline void apqnset_del(struct apqnset *s, unsigned a, unsigned d)
{
	if (a < IDSET_BITS)
		idset_del(&s->dom[a], d);
}
/* Adds adapters x domains. */
void apqnset_add_product(struct apqnset *s, const struct idset *adapters,
			 const struct idset *domains);
void apqnset_and(struct apqnset *r, const struct apqnset *a, const struct apqnset *b);
void apqnset_minus(struct apqnset *r, const struct apqnset *a, const struct apqnset *b);
bool apqnset_empty(const struct apqnset *s);
unsigned apqnset_count(const struct apqnset *s);
/* The adapters with at least one domain in s. */
struct idset apqnset_adapters(const struct apqnset *s);

/*
 * A product adapters x domains. apqnset_groups() writes s as a union of
 * disjoint products, one per distinct domain set, adapters ascending: a
 * compact way to name thousands of APQNs. Returns how many (at most 256).
 */
struct apqn_group {
	struct idset adapters;
	struct idset domains;
};
size_t apqnset_groups(const struct apqnset *s, struct apqn_group out[IDSET_BITS]);

/* The three masks of an mdev or of the host's AP configuration. */
struct ap_matrix {
	struct idset apm; /* adapters */
	struct idset aqm; /* usage domains */
	struct idset adm; /* control domains */
};

bool matrix_equal(const struct ap_matrix *a, const struct ap_matrix *b);
/* No ID of any kind. */
bool matrix_empty(const struct ap_matrix *m);
/* The first APQN of a's apm x aqm that b's has too, in *ad, *dd: whether there is one. */
bool matrix_shared_apqn(const struct ap_matrix *a, const struct ap_matrix *b, unsigned *ad,
			unsigned *dd);

/*
 * vfio_ap_mdev_matrix_show(): one "AA.DDDD\n" per APQN of apm x aqm, or
 * "AA.\n" per adapter when there are no domains, or ".DDDD\n" per domain when
 * there are no adapters; only IDs up to the maxima. Returns a malloc'ed
 * string (empty when both are empty), NULL when out of memory.
 */
char *matrix_render(const struct idset *apm, const struct idset *aqm, unsigned max_adapter,
		    unsigned max_domain);
/* Reads that rendering back; -EINVAL for a line of another form. */
int matrix_parse(const char *text, struct idset *apm, struct idset *aqm);

/* control_domains: "DDDD\n" per domain up to max; the caller's buffer. */
#define CDOMS_STR_MAX (IDSET_BITS * 5 + 1)
void cdoms_render(const struct idset *adm, unsigned max_domain, char buf[CDOMS_STR_MAX]);
int cdoms_parse(const char *text, struct idset *adm);

/* ap_config: the three masks, "0x..,0x..,0x..\n" (201 bytes and the NUL). */
#define AP_CONFIG_STR_MAX 202
void ap_config_render(const struct ap_matrix *m, char buf[AP_CONFIG_STR_MAX]);
/* ap_config_store()'s reading of a write: 0 or -EINVAL. */
int kernel_ap_config_parse(const char *buf, size_t len, struct ap_matrix *out);

#endif
