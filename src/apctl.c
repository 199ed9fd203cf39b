/* SPDX-License-Identifier: MIT */
/* apctl: the table of commands, and main. */
#include "apctl.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "paths.h"

static const struct verb *const commands[] = {
	&show_verb, &check_verb, &watch_verb, &reserve_verb, &release_verb, &mdev_verb, &export_verb,
	&plan_verb, &apply_verb, &recover_verb, &ids_verb, &callout_verb, &sandbox_verb, NULL,
};

static const struct verb_opt top_opts[] = {
	{ O_ROOT, NULL }, { O_JSON, NULL }, { O_KERNEL, NULL }, { O_VERSION, NULL }, { O_COUNT, NULL },
};

static const struct verb top = {
	.name = "apctl",
	.text = "Hand IBM Z crypto adapters (AP queues) to KVM guests through vfio_ap: see\n"
		"the whole AP configuration, on the live system or in a sandbox, and change\n"
		"it as one change that is checked against the kernel's rules first.",
	.opts = top_opts,
	.subs = commands,
};

int main(int argc, char **argv)
{
	static char callout_word[] = "callout";
	const char *base = strrchr(argv[0], '/');
	char **args;
	int rc;

	/*
	 * A state of a large host (a few hundred KB) is copied and freed several
	 * times in one run: the heap keeps what is freed for the next copy,
	 * instead of a new mapping whose every page faults on first touch. What
	 * is larger still (plan's arrays of 100 000 mdevs) keeps a mapping of
	 * its own, which grows without a copy.
	 */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	mallopt(M_TRIM_THRESHOLD, 8 << 20);
	/* run as mdevctl's callout, through its link: apctl callout ARGS */
	if (strcmp(base ? base + 1 : argv[0], CALLOUT_LINK_NAME))
		return cli_main(&top, argc, argv, EXIT_USAGE);
	args = calloc((size_t)argc + 2, sizeof(*args));
	if (!args)
		return EXIT_RUNTIME;
	args[0] = argv[0];
	args[1] = callout_word;
	memcpy(args + 2, argv + 1, (size_t)argc * sizeof(*args));
	/* exit 2 tells mdevctl "not my type": a bad call must not say that */
	rc = cli_main(&top, argc + 1, args, EXIT_RUNTIME);
	free(args);
	return rc;
}
