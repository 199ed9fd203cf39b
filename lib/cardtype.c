/* SPDX-License-Identifier: MIT */
#include "cardtype.h"

#include <errno.h>
#include <stdio.h>

#include "ascii.h"

/* ap_functions bits (AP facilities as TAPQ reports them) */
#define FUNC_APSC 0x80000000u
#define FUNC_RSA4K 0x60000000u
#define FUNC_COPRO 0x10000000u
#define FUNC_ACCEL 0x08000000u
#define FUNC_EP11 0x04000000u
#define FUNC_APXA 0x02000000u
#define FUNC_FULL 0x00800000u

int card_type_parse(const char *s, struct card_type *t, struct diag *d)
{
	char gen, mode;

	if (ascii_toupper(s[0]) != 'C' || ascii_toupper(s[1]) != 'E' || ascii_toupper(s[2]) != 'X' || !s[3] || !s[4] ||
	    s[5]) {
		diag_set(d, "'%s' is not a card type: write CEX4A to CEX8P (A accelerator, "
			 "C CCA coprocessor, P EP11 coprocessor)", s);
		return -EINVAL;
	}
	gen = s[3];
	mode = ascii_toupper(s[4]);
	if (gen < '4' || gen > '8' || (mode != 'A' && mode != 'C' && mode != 'P')) {
		diag_set(d, "'%s' is not a card type: write CEX4A to CEX8P (A accelerator, "
			 "C CCA coprocessor, P EP11 coprocessor)", s);
		return -EINVAL;
	}
	t->hwtype = CARD_HWTYPE_CEX4 + (unsigned)(gen - '4');
	t->mode = mode;
	return 0;
}

const char *card_type_name(const struct card_type *t, char buf[CARD_TYPE_STR_MAX])
{
	snprintf(buf, CARD_TYPE_STR_MAX, "CEX%u%c", t->hwtype - CARD_HWTYPE_CEX4 + 4, t->mode);
	return buf;
}

const char *card_mode_name(char mode)
{
	switch (mode) {
	case 'A':
		return "Accelerator";
	case 'C':
		return "CCA-Coproc";
	case 'P':
		return "EP11-Coproc";
	default:
		return "Unknown";
	}
}

uint32_t card_functions(const struct card_type *t)
{
	switch (t->mode) {
	case 'A':
		return FUNC_RSA4K | FUNC_ACCEL | FUNC_APXA;
	case 'C':
		return FUNC_APSC | FUNC_COPRO | FUNC_APXA | FUNC_FULL;
	default:
		/* EP11 coprocessors have no APSC: a CEX8P reads -----XN-F- in lszcrypt -V */
		return FUNC_EP11 | FUNC_APXA | FUNC_FULL;
	}
}

const char *card_mode_word(char mode)
{
	switch (mode) {
	case 'A':
		return "accel";
	case 'C':
		return "cca";
	default:
		return "ep11";
	}
}

char card_mode_from_functions(uint32_t f)
{
	if (f & FUNC_COPRO)
		return 'C';
	if (f & FUNC_ACCEL)
		return 'A';
	if (f & FUNC_EP11)
		return 'P';
	return '?';
}
