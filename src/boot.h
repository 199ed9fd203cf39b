/* SPDX-License-Identifier: MIT */
/*
 * The next boot. The kernel starts with both masks all ones, no mdevs and no
 * driver overrides; udev then writes the masks of 41-ap.rules (in the rule's
 * order) once the AP bus has bound its queues, and mdevctl starts each
 * autostart definition in the order it reads them: the UUID written to
 * create, then one write per attribute, and on the first failing write "1"
 * to remove. The same writes serve the prediction (played on a copy of the
 * state with the emulated kernel's store functions) and a sandbox's reboot
 * (written through its emulated kernel).
 */
#ifndef APCTL_BOOT_H
#define APCTL_BOOT_H

#include <stdbool.h>
#include <stddef.h>

#include "persist.h"
#include "state.h"
#include "strlist.h"

/* One write of the boot and the kernel's answer. */
struct boot_write {
	char attr[160];
	char val[APRULE_VALUE_MAX];
	int answer;               /* 0 or the -errno */
	char why[256];            /* a refusal in words (predictions), or "" */
	bool has_apqn;            /* the APQN behind the refusal, where there is one */
	unsigned a, d;
	size_t def;               /* the definition it starts, or BOOT_NO_DEF for a mask */
};
#define BOOT_NO_DEF ((size_t)-1)

/* How the start of one autostart definition ends. */
struct boot_start {
	size_t def;               /* index in the persistent configuration */
	bool started;
	size_t failed;            /* the write that failed (index in w), or BOOT_NO_WRITE */
	char refused[320];        /* refused before any write: by whom, and why */
};
#define BOOT_NO_WRITE ((size_t)-1)

struct boot {
	struct boot_write *w;
	size_t nw, capw;
	struct boot_start *starts; /* one per autostart definition, in the order started */
	size_t nstarts;
	size_t blocked;           /* a definition mdevctl cannot load, so it starts none; or BOOT_NO_DEF */
	struct strlist notes;     /* what the boot depends on beside the files */
	struct ap_state *st;      /* the state the boot ends with (the prediction) */
};

/* Makes a write of the boot: 0 or the kernel's -errno. */
typedef int (*boot_write_fn)(void *ctx, const char *attr, const char *val);

/* The machine a boot is played on. */
struct boot_host {
	boot_write_fn write;
	void (*wait)(void *ctx);  /* for the AP bus's bindings after the masks, or NULL */
	/* the running state that a callout reads before a start (held by the host) */
	const struct ap_state *(*state)(void *ctx);
	void *ctx;
};

/*
 * Plays the boot after the reset: the rule's mask writes, a wait for the
 * bindings, then mdevctl's start of each autostart definition: its callout
 * (ap-check's rules, where that is the one mdevctl runs), the type, create,
 * one write per attribute. 0 or -ENOMEM.
 */
int boot_play(const struct persist *p, const struct boot_host *h, struct boot *b);

/*
 * The boot predicted from the running state st: kmodel_boot() and the play on a
 * copy, each write answered by the emulated kernel's store function; failed
 * starts explained. 0 or -ENOMEM.
 */
int boot_predict(const struct ap_state *st, const struct persist *p, struct boot *b);
/*
 * mdevctl's start of def now, predicted on a copy of the running state st
 * (no callout): the writes, and how the start ends in b->starts[0]. 0 or
 * -ENOMEM.
 */
int boot_predict_start(const struct ap_state *st, const struct mdev_def *def, struct boot *b);
void boot_free(struct boot *b);
/* "writing VALUE to ATTRIBUTE: ERRNO", and ": why" where it is known, in buf. */
const char *boot_write_words(const struct boot_write *w, char *buf, size_t size);
/* Why start s failed, in words (a refusal or its failed write), in buf. */
const char *boot_start_words(const struct boot *b, const struct boot_start *s, char *buf,
			     size_t size);

#endif
