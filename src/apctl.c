/* SPDX-License-Identifier: MIT */
/* apctl: main, global options, the command table, exit codes. */
#include "apctl.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "state.h"

void errmsg(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("apctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("apctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'apctl %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
	return EXIT_USAGE;
}

int option_error(const char *cmd, int opt, char **argv)
{
	if (opt == ':')
		return usage_error(cmd, "option '%s' needs an argument", argv[optind - 1]);
	if (optopt)
		return usage_error(cmd, "unknown option '-%c'", optopt);
	return usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
}

int common_option(struct ctx *ctx, int opt, const char *arg)
{
	switch (opt) {
	case 'r':
		ctx->root = arg;
		ctx->root_given = true;
		return 1;
	case 'j':
		ctx->json = true;
		return 1;
	default:
		return 0;
	}
}

int open_root(const struct ctx *ctx, struct sysfs *s)
{
	int rc = sysfs_open(s, ctx->root);

	if (rc == -ENOENT || rc == -ENOTDIR) {
		errmsg("root %s: %s", ctx->root,
		       rc == -ENOENT ? "no such directory" : "not a directory");
		return EXIT_NOTFOUND;
	}
	if (rc) {
		errmsg("root %s: %s", ctx->root, strerror(-rc));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

int load_state(const struct ctx *ctx, unsigned flags, struct ap_state **st)
{
	struct diag d = { "" };
	struct sysfs s;
	int rc = open_root(ctx, &s);

	if (rc)
		return rc;
	rc = state_read(&s, flags, st, &d);
	sysfs_close(&s);
	if (rc)
		errmsg("%s", d.msg);
	return !rc ? EXIT_OK : rc == -ENOENT ? EXIT_NOTFOUND : EXIT_RUNTIME;
}

int finish_output(int rc)
{
	if (fflush(stdout) || ferror(stdout)) {
		errmsg("cannot write the output: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	return rc;
}

int print_help(const char *text)
{
	fputs(text, stdout);
	return finish_output(EXIT_OK);
}

struct command {
	const char *name;
	int (*run)(struct ctx *ctx, int argc, char **argv);
};

static const struct command commands[] = {
	{ "show", cmd_show },
	{ "reserve", cmd_reserve },
	{ "release", cmd_release },
	{ "mdev", cmd_mdev },
	{ "ids", cmd_ids },
	{ "sandbox", cmd_sandbox },
};

static const char main_help[] =
	"Usage: apctl [OPTIONS] COMMAND [ARGS]\n"
	"\n"
	"Hand IBM Z crypto adapters (AP queues) to KVM guests through vfio_ap: see\n"
	"the whole AP configuration, on the live system or in a sandbox.\n"
	"\n"
	"Commands:\n"
	"  show [UUID]                 the AP configuration, or one mdev\n"
	"  reserve                     take APQNs from the host's default drivers for\n"
	"                              vfio_ap (--adapters, --domains, --apqns, --apmask,\n"
	"                              --aqmask)\n"
	"  release                     give APQNs back to the host (--adapters, --domains)\n"
	"  mdev create [UUID]          create a vfio_ap mediated device and give it a matrix\n"
	"  mdev assign UUID            assign adapters, domains, control domains to it\n"
	"  mdev unassign UUID          take them away again\n"
	"  mdev remove UUID...         remove mdevs\n"
	"  mdev list                   one line per mdev\n"
	"  ids KIND                    adapters, domains, control-domains or mdevs, one\n"
	"                              per line, for scripts\n"
	"  sandbox create DIR          make a sandbox: an emulated AP bus to rehearse on\n"
	"  sandbox write|fault|attach|detach|host\n"
	"                              drive a sandbox's emulated kernel\n"
	"\n"
	"Options:\n"
	"  -r, --root DIR   work on the sysfs tree under DIR instead of /\n"
	"  -j, --json       print JSON\n"
	"  -h, --help       print this help\n"
	"  -V, --version    print the version\n"
	"\n"
	"Run 'apctl COMMAND --help' for the options of a command. APCTL_ROOT, when\n"
	"set, is the root without --root.\n";

/* Edit distance, for "did you mean". */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[32], cur[32];

	if (la >= 31 || lb >= 31)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof(cur));
	}
	return prev[lb];
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_LONGOPTS,
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctx ctx = { .root = "/" };
	const char *env_root = getenv("APCTL_ROOT");
	const char *name;
	int opt;

	if (env_root && *env_root) {
		ctx.root = env_root;
		ctx.root_given = true;
	}
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+" COMMON_SHORTOPTS "V", opts, NULL)) != -1) {
		if (opt == 'h')
			return print_help(main_help);
		if (opt == 'V') {
			printf("apctl %s\n", PACKAGE_VERSION);
			return finish_output(EXIT_OK);
		}
		if (opt == '?' || opt == ':')
			return option_error(NULL, opt, argv);
		common_option(&ctx, opt, optarg);
	}
	if (optind >= argc)
		return usage_error(NULL, "no command given");
	name = argv[optind];
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(name, commands[i].name))
			continue;
		/* the command parses its own options, from its name on */
		argc -= optind;
		argv += optind;
		optind = 0;
		return commands[i].run(&ctx, argc, argv);
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (distance(name, commands[i].name) <= 2)
			return usage_error(NULL, "unknown command '%s'; did you mean '%s'?", name,
					   commands[i].name);
	return usage_error(NULL, "unknown command '%s'", name);
}
