/* SPDX-License-Identifier: MIT */
/* apctl: the table of commands, and main. */
#include "apctl.h"

static const struct verb *const commands[] = {
	&show_verb, &reserve_verb, &release_verb, &mdev_verb, &export_verb, &plan_verb, &apply_verb,
	&ids_verb, &sandbox_verb, NULL,
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
	return cli_main(&top, argc, argv);
}
