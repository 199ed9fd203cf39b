/* SPDX-License-Identifier: MIT */
/*
 * The parts of reading a state that its files share: state.c (the bus, the
 * devices, the drivers, the cards), state-mdevs.c (the mdevs) and
 * state-scope.c (a lazy read's rest).
 */
#ifndef APCTL_STATE_READ_H
#define APCTL_STATE_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "idset.h"

struct ap_card;
struct ap_matrix;
struct ap_state;
struct diag;
struct state_scope;
struct sysfs;

/* "05.0047" exactly as the AP bus names queue devices. */
bool state_parse_queue_name(const char *n, unsigned *a, unsigned *d);
/* One line of rel without its newline; "" and *present false when it cannot be read. */
void state_read_line(struct sysfs *s, const char *rel, char *buf, size_t size, bool *present);
/* A number of rel, or fallback. */
long state_read_number(struct sysfs *s, const char *rel, long fallback);
/* Card a's attributes: all with STATE_DETAILS, else what a change and show need. */
void state_read_card(struct sysfs *s, unsigned a, unsigned flags, struct ap_card *c);

/* The bus attributes: masks, maxima, default domain, features. 0 or -errno (said in *d). */
int state_read_bus(struct sysfs *s, struct ap_state *st, struct diag *d);
/* The drivers registered on the AP bus, without the queues they have. */
int state_read_drivers(struct sysfs *s, struct ap_state *st);
/*
 * The queues that each driver of st has, from the drivers' directories: 1 +
 * the driver's index in st->drivers, or 0. 0 or -errno.
 */
int state_list_bound(struct sysfs *s, const struct ap_state *st, uint8_t (*qdrv)[IDSET_BITS]);
/* The queue devices and the drivers they are bound to, all of them (the drivers listed). */
int state_read_devices(struct sysfs *s, struct ap_state *st);

/*
 * The mdevs and their matrices, each as far as it can be read: one whose
 * files vanish meanwhile (removed, or still being made) is kept as
 * incomplete. *ap_config says whether the kernel showed ap_config.
 */
int state_read_mdevs(struct sysfs *s, struct ap_state *st, bool *ap_config);
/*
 * What a guest of mdev i has: its guest_matrix, its VFIO group, whether it is
 * in use (the queues' bindings must be read). 0, or the -errno of a file that
 * vanished (m->incomplete).
 */
int state_read_mdev_guest(struct sysfs *s, struct ap_state *st, size_t i);
/*
 * Whether a lazy read as far as sc has read the guest of an mdev with matrix
 * m: where it reads a queue of m, or with sc->guests where m has none.
 */
bool state_scope_reaches(const struct state_scope *sc, const struct ap_matrix *m);

#endif
