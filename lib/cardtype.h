/* SPDX-License-Identifier: MIT */
/*
 * Crypto Express card types: "CEX5C" and friends, the hardware type numbers
 * of ap_bus.h, and the mode that lszcrypt derives from ap_functions.
 */
#ifndef APCTL_CARDTYPE_H
#define APCTL_CARDTYPE_H

#include <stdint.h>

#include "diag.h"

#define CARD_HWTYPE_CEX4 10
#define CARD_HWTYPE_CEX8 14
/* "CEX8P" and the NUL, with room to spare */
#define CARD_TYPE_STR_MAX 16

struct card_type {
	unsigned hwtype; /* 10 (CEX4) .. 14 (CEX8) */
	char mode;       /* 'A' accelerator, 'C' CCA coprocessor, 'P' EP11 coprocessor */
};

/* "CEX4A" .. "CEX8P", case-insensitive. */
int card_type_parse(const char *s, struct card_type *t, struct diag *d);
const char *card_type_name(const struct card_type *t, char buf[CARD_TYPE_STR_MAX]);
/* "Accelerator", "CCA-Coproc", "EP11-Coproc" or "Unknown", as lszcrypt says. */
const char *card_mode_name(char mode);
/* MODE= of the card's and its queues' uevent: "accel", "cca" or "ep11". */
const char *card_mode_word(char mode);
/* A plausible ap_functions value for a card of this type. */
uint32_t card_functions(const struct card_type *t);
/* lszcrypt's reading of ap_functions: 'C', 'A', 'P' or '?'. */
char card_mode_from_functions(uint32_t functions);

#endif
