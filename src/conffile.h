/* SPDX-License-Identifier: MIT */
/*
 * A whole configuration as a file (version 1): what a host should have, in
 * both scopes. The running masks as the IDs reserved for vfio_ap (adapters,
 * domains) or as the masks themselves (apmask, aqmask); the masks of the udev
 * rule 41-ap.rules (persistent); the mdevs, each where it runs, what mdevctl
 * keeps of it, and its name. A key that is left out leaves that part of the
 * host as it is; a removal is said (false, null). The JSON Schema is
 * schema/config.schema.json; man apctl tells the rest.
 */
#ifndef APCTL_CONFFILE_H
#define APCTL_CONFFILE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "apqn.h"
#include "cardtype.h"
#include "diag.h"
#include "persist.h"
#include "state.h"
#include "strlist.h"
#include "uuid.h"

#define CONFIG_VERSION 1

/* What a key says of a part of the host: nothing (left out), or to set or take it away. */
enum config_say {
	SAY_KEEP,    /* left out: as it is */
	SAY_NO,      /* false or null: taken away */
	SAY_YES,     /* true, or a value */
};

/* A mask of the file. */
struct config_mask {
	enum config_say say;      /* SAY_NO: the rule sets no such mask */
	struct idset mask;
};

struct config_mdev {
	char uuid[UUID_STR_MAX];
	bool given[3];            /* which of adapters, domains, control_domains it names */
	struct ap_matrix ids;
	bool running;             /* "running": it runs (the default) or not */
	enum config_say persistent; /* mdevctl defines it (SAY_YES), not (SAY_NO), as it is */
	/* "persistent" as an object: the definition is not the IDs above */
	bool def_ids_given[3];
	struct ap_matrix def_ids;
	char def_type[DEF_TYPE_MAX]; /* its type, or "" (vfio_ap-passthrough, or as it is) */
	struct mdev_def *def;     /* its attrs, as mdevctl keeps them, or NULL */
	enum config_say autostart;
	enum config_say name;     /* SAY_NO: it has none */
	char name_text[MDEV_NAME_MAX];
};

/* A card the file's mdevs used where it was exported: what a host must have to take them. */
struct config_card {
	unsigned adapter;
	char type[CARD_TYPE_STR_MAX]; /* "CEX5C" */
	char mode;                  /* 'A', 'C' or 'P' (card_mode_name()) */
};

struct config {
	struct config_mask run[2];  /* apmask, aqmask of what runs */
	/*
	 * the rule: SAY_YES with rule[] given (an object) or as the running masks
	 * (true); SAY_NO: none
	 */
	enum config_say persistent;
	bool rule_object;
	struct config_mask rule[2];
	bool has_mdevs;           /* the file lists mdevs: --prune may remove running ones */
	bool covers_persistent;   /* it speaks of the persistent configuration: and definitions */
	struct config_mdev *mdevs;
	size_t nmdevs;
	struct config_card *cards;  /* "cards", or none */
	size_t ncards;
};

/*
 * Reads a configuration: IDs as numbers or strings in apctl's ID syntax, up
 * to the maxima. 0, or -EINVAL with the JSON path, the value and why in *d
 * ("mdevs[2].domains: '08' has a leading 0 ..."); -ENOMEM.
 */
int config_parse(const char *text, unsigned max_adapter, unsigned max_domain, struct config *c,
		 struct diag *d);
void config_free(struct config *c);

/*
 * The whole configuration of a root, as apctl export writes it: both scopes
 * of the masks, every mdev that runs or is defined, with its start, its type,
 * its attributes and its name. Definitions apctl cannot read are left out,
 * each said in *skipped.
 */
struct json_object *config_export(const struct ap_state *st, const struct persist *p,
				  struct strlist *skipped);
/*
 * The configuration of the mdevs uuids alone (running or defined), to move
 * them to another host: no masks, and the type and mode of each card they
 * use. NULL with the UUID in *missing when one is neither.
 */
struct json_object *config_export_mdevs(const struct ap_state *st, const struct persist *p,
					char *const *uuids, size_t n, struct strlist *skipped,
					const char **missing);
/*
 * What differs between the cards of c and those of st, a sentence per
 * adapter (a card missing, of another type, in another mode) in *out.
 */
void config_cards_differ(const struct config *c, const struct ap_state *st, struct strlist *out);

#endif
