/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "exitcodes.h"
#include "masksyntax.h"
#include "output.h"
#include "sandbox.h"
#include "uuid.h"

const struct optdef cli_optdefs[O_COUNT] = {
	[O_ROOT] = { "root", 'r', true, "DIR", "work on the sysfs tree under DIR (default /)" },
	[O_JSON] = { "json", 'j', false, NULL, "print JSON" },
	[O_KERNEL] = { "kernel", 0, true, "GENERATION",
		       "apply the rules of this kernel generation\n(5.10 to 6.19, a newer one "
		       "as 6.19), not\nthe root's kernel's" },
	[O_HELP] = { "help", 'h', false, NULL, "print this help" },
	[O_VERBOSE] = { "verbose", 'v', false, NULL,
			"print every read and write of sysfs and of the\nconfiguration files, with its result, on stderr" },
	[O_VERSION] = { "version", 'V', false, NULL, "print the version" },
	[O_ADAPTERS] = { "adapters", 0, true, "LIST", "adapters (5,6,0x0a-0x0c)" },
	[O_DOMAINS] = { "domains", 0, true, "LIST", "usage domains" },
	[O_CDOMS] = { "control-domains", 0, true, "LIST", "control domains" },
	[O_APQNS] = { "apqns", 0, true, "APQN,...", "APQNs such as 05.0047" },
	[O_APMASK] = { "apmask", 0, true, "EDIT", "edit apmask in the kernel's syntax" },
	[O_AQMASK] = { "aqmask", 0, true, "EDIT", "edit aqmask in the kernel's syntax" },
	[O_DRY_RUN] = { "dry-run", 0, false, NULL,
			"show what would be done and the verdict; write nothing" },
	[O_FORCE] = { "force", 0, false, NULL,
		      "write even when apctl predicts a refusal, and report the\n"
		      "kernel's answer" },
	[O_WAIT] = { "wait", 0, true, "SECONDS",
		     "wait this long for the AP bus to bind the queues that change\n"
		     "owner, or for a guest to let go of an mdev (default 30)" },
	[O_NO_WAIT] = { "no-wait", 0, false, NULL, "do not wait for the AP bus" },
	[O_LOCK_TIMEOUT] = { "lock-timeout", 0, true, "SECONDS",
			     "wait this long for the AP configuration lock held by another\n"
			     "tool (default 90)" },
	[O_TYPE] = { "type", 0, true, "TYPE", "card type, CEX4A to CEX8P" },
	[O_MAX_ADAPTER] = { "max-adapter-id", 0, true, "N", "highest adapter ID (default 255)" },
	[O_MAX_DOMAIN] = { "max-domain-id", 0, true, "N", "highest domain ID (default 255)" },
	[O_FROM] = { "from", 0, true, "ROOT", "copy the AP state of ROOT (/ for this system)" },
	[O_REBIND_DELAY] = { "rebind-delay", 0, true, "MS",
			     "the AP bus rebinds queues this many milliseconds\nafter a mask "
			     "write (default 0: at once)" },
	[O_CLEAR] = { "clear", 0, false, NULL, "remove every fault" },
	[O_NO_NEWLINE] = { NULL, 'n', false, NULL, "no newline after VALUE (as echo -n)" },
	[O_AUTOSTART] = { "autostart", 0, false, NULL,
			  "mdevctl starts the mdev at boot (start: auto)" },
	[O_MANUAL] = { "manual", 0, false, NULL,
		       "mdevctl starts it when told to (start: manual, the default)" },
	[O_PERSISTENT] = { "persistent", 0, false, NULL,
			   "change the persistent configuration too (41-ap.rules,\n"
			   "mdevctl's definitions), so that it lasts beyond a reboot" },
	[O_PERSISTENT_ONLY] = { "persistent-only", 0, false, NULL,
				"change only the persistent configuration; write\n"
				"nothing to sysfs" },
	[O_PRUNE] = { "prune", 0, false, NULL,
		      "also remove the mdevs and definitions the file does not name" },
	[O_FORMAT] = { "format", 0, true, "FORMAT", "libvirt, nodedev, qemu, hmp or qmp" },
	[O_GUEST] = { "guest", 0, true, "NAME", "the guest's name" },
	[O_IOMMUFD] = { "iommufd", 0, false, NULL,
			"through iommufd: the guest holds the mdev's own device\n"
			"file (/dev/vfio/devices/vfioN, 6.6 and later), not its group" },
	[O_BARE] = { "bare", 0, false, NULL,
		     "only the kernel's reset: the boot's work is left to the real tools" },
	[O_ALLOW_OTHER] = { "allow-other", 0, false, NULL,
			    "other users see the mount too (their permissions checked)" },
	[O_MDEV_TYPE] = { NULL, 't', true, "TYPE", "the mdev type" },
	[O_EVENT] = { NULL, 'e', true, "EVENT", "pre, post, get or live" },
	[O_ACTION] = { NULL, 'a', true, "ACTION",
		       "define, modify, start, stop, undefine, attributes or\ncapabilities" },
	[O_STATE] = { NULL, 's', true, "STATE", "none, success or failure (what a post call follows)" },
	[O_UUID] = { NULL, 'u', true, "UUID", "the mdev" },
	[O_PARENT] = { NULL, 'p', true, "PARENT", "its parent device (matrix)" },
	[O_BOOT] = { "boot", 0, false, NULL,
		     "what the next boot brings: the rule's masks, then mdevctl's\n"
		     "starts, each with the kernel's answer" },
	[O_PROMETHEUS] = { "prometheus", 0, false, NULL,
			   "print the facts as metrics in Prometheus's text format" },
	[O_INTERVAL] = { "interval", 0, true, "SECONDS",
			 "also read the whole configuration this often, for what the\n"
			 "kernel sends no event of (default 2; 0: never)" },
	[O_DEVICE_ID] = { "id", 0, true, "ID", "the QEMU device's id (default ap-UUID)" },
	[O_MDEV] = { "mdev", 0, true, "UUID,...",
		     "only these mdevs, with the cards they use, to move\n"
		     "them to another host" },
	[O_DOMAIN] = { "domain", 0, true, "FILE",
		       "a libvirt domain's XML (virsh dumpxml; - for standard\n"
		       "input): does it give its guest the mdevs' APQNs?" },
};

int usage_error(const struct ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrmsg(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'apctl %s%s--help'.\n", ctx->path, *ctx->path ? " " : "");
	errmsg_usage();
	return ctx->usage_exit;
}

int args_uuid(const struct ctx *ctx, const char *s)
{
	char why[96];

	if (uuid_valid(s))
		return EXIT_OK;
	return usage_error(ctx, "'%s' is not a UUID: %s", s, uuid_problem(s, why, sizeof(why)));
}

int finish_output(int rc)
{
	if (fflush(stdout) || ferror(stdout)) {
		errmsg("cannot write the output: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	return rc;
}

bool args_has(const struct ctx *ctx, enum opt_id o)
{
	return ctx->nval[o] > 0;
}

const char *args_last(const struct ctx *ctx, enum opt_id o)
{
	return ctx->nval[o] ? ctx->val[o][ctx->nval[o] - 1] : NULL;
}

int args_ids(const struct ctx *ctx, enum opt_id o, unsigned max, const char *what,
	     struct idset *out)
{
	idset_clear(out);
	for (size_t i = 0; i < ctx->nval[o]; i++) {
		struct idset ids;
		struct diag d;

		if (idlist_parse(ctx->val[o][i], max, what, &ids, &d))
			return usage_error(ctx, "%s", d.msg);
		*out = idset_or(out, &ids);
	}
	return EXIT_OK;
}

int args_apqns(const struct ctx *ctx, unsigned max_a, unsigned max_d, struct apqnset *out)
{
	apqnset_clear(out);
	for (size_t i = 0; i < ctx->nval[O_APQNS]; i++) {
		const char *list = ctx->val[O_APQNS][i];
		size_t len = strlen(list);
		char *copy = strdup(list), *save = NULL;
		int rc = copy ? EXIT_OK : EXIT_RUNTIME;

		if (!len || strstr(list, ",,") || list[0] == ',' || list[len - 1] == ',')
			rc = usage_error(ctx, "APQN list '%s' has an empty term", list);
		for (char *t = strtok_r(copy, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
			char m[ID_STR_MAX];
			unsigned a, q;
			struct diag d;

			if (apqn_parse(t, &a, &q, &d))
				rc = usage_error(ctx, "%s", d.msg);
			else if (a > max_a)
				rc = usage_error(ctx, "APQN %s: adapter 0x%02x is above the maximum "
						 "adapter ID %s", t, a, id_format(max_a, m));
			else if (q > max_d)
				rc = usage_error(ctx, "APQN %s: domain 0x%02x is above the maximum "
						 "domain ID %s", t, q, id_format(max_d, m));
			else
				apqnset_add(out, a, q);
		}
		free(copy);
		if (rc)
			return rc;
	}
	return EXIT_OK;
}

int args_number(const struct ctx *ctx, enum opt_id o, unsigned max, const char *what,
		unsigned *out)
{
	const char *v = args_last(ctx, o);
	struct diag d;

	if (v && id_parse(v, max, what, out, &d))
		return usage_error(ctx, "--%s %s", cli_optdefs[o].name, d.msg);
	return EXIT_OK;
}

static int seconds(const struct ctx *ctx, enum opt_id o, unsigned *out)
{
	return args_number(ctx, o, 86400, "number of seconds", out);
}

int args_change(const struct ctx *ctx, struct change_opts *o)
{
	*o = (struct change_opts){ .wait = true, .wait_s = WAIT_DEFAULT,
				   .lock_timeout_s = 90 };
	o->dry_run = args_has(ctx, O_DRY_RUN);
	o->force = args_has(ctx, O_FORCE);
	if (args_has(ctx, O_WAIT) && args_has(ctx, O_NO_WAIT))
		return usage_error(ctx, "--wait and --no-wait contradict each other; give one");
	o->wait = !args_has(ctx, O_NO_WAIT);
	if (args_has(ctx, O_PERSISTENT) && args_has(ctx, O_PERSISTENT_ONLY))
		return usage_error(ctx, "--persistent and --persistent-only contradict each other; "
				   "give one");
	o->scope = args_has(ctx, O_PERSISTENT) ? SCOPE_BOTH :
		   args_has(ctx, O_PERSISTENT_ONLY) ? SCOPE_PERSISTENT : SCOPE_RUNNING;
	if (args_has(ctx, O_AUTOSTART) && args_has(ctx, O_MANUAL))
		return usage_error(ctx, "--autostart and --manual exclude each other");
	o->start = args_has(ctx, O_AUTOSTART) ? 1 : args_has(ctx, O_MANUAL) ? -1 : 0;
	if (seconds(ctx, O_WAIT, &o->wait_s) || seconds(ctx, O_LOCK_TIMEOUT, &o->lock_timeout_s))
		return EXIT_USAGE;
	return EXIT_OK;
}

int open_root(const struct ctx *ctx, struct root *r)
{
	struct diag d = { "" };
	int rc = root_open(r, &ctx->root, &sandbox_backend, &d);

	if (rc == -EINVAL)
		return usage_error(ctx, "%s", d.msg);
	if (rc) {
		errmsg("%s", d.msg);
		return rc == -ENOENT || rc == -ENOTDIR ? EXIT_NOTFOUND : EXIT_RUNTIME;
	}
	if (r->note.msg[0])
		errmsg("note: %s", r->note.msg);
	return EXIT_OK;
}

int load_state(const struct ctx *ctx, struct root *r, unsigned flags, struct ap_state **st)
{
	struct diag d = { "" };
	int rc = open_root(ctx, r);

	if (rc)
		return rc;
	rc = root_state(r, flags, st, &d);
	if (!rc)
		return EXIT_OK;
	errmsg("%s", d.msg);
	root_close(r);
	return rc == -ENOENT ? EXIT_NOTFOUND : EXIT_RUNTIME;
}

/* ---- parsing ---- */

#define OPT_BASE 0x100

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

/* Appends to hints the paths of verbs under v named word (or near it, with near). */
static void find_verbs(const struct verb *v, const char *path, const char *word, bool near,
		       char *hints, size_t size)
{
	for (const struct verb *const *sp = v->subs; sp && *sp; sp++) {
		const struct verb *s = *sp;
		char sub[64];
		size_t n = strlen(hints);

		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? " " : "", s->name);
		if (near ? distance(word, s->name) <= 2 : !strcmp(word, s->name))
			snprintf(hints + n, size - n, "%s'apctl %s'", n ? " or " : "", sub);
		if (!near)
			find_verbs(s, sub, word, near, hints, size);
	}
}

/* Words of other tools for apctl's verbs (mdevctl, virsh, ls, rm). */
static const char *synonym(const char *word)
{
	static const char *const words[][2] = {
		{ "delete", "remove" }, { "del", "remove" }, { "rm", "remove" },
		{ "destroy", "remove" }, { "undefine", "remove" }, { "new", "create" },
		{ "ls", "list" }, { "status", "show" }, { "info", "show" },
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(word, words[i][0]))
			return words[i][1];
	return NULL;
}

static int unknown_word(struct ctx *ctx, const struct verb *top, const struct verb *v,
			const char *word)
{
	char hints[256] = "";

	find_verbs(v, ctx->path, word, true, hints, sizeof(hints));
	if (!*hints && synonym(word))
		find_verbs(v, ctx->path, synonym(word), false, hints, sizeof(hints));
	if (!*hints)
		find_verbs(top, "", word, false, hints, sizeof(hints));
	return usage_error(ctx, "unknown %s%scommand '%s'%s%s%s", ctx->path, *ctx->path ? " " : "",
			   word, *hints ? "; did you mean " : "", hints, *hints ? "?" : "");
}

static bool accepts(const struct verb *v, enum opt_id o)
{
	if (o == O_HELP)
		return true;
	/* wherever a root is opened */
	if (o == O_VERBOSE)
		return accepts(v, O_ROOT);
	for (const struct verb_opt *vo = v->opts; vo && vo->id != O_COUNT; vo++)
		if (vo->id == o)
			return true;
	return false;
}

/* The paths of the verbs under v that take option o. */
static void takers(const struct verb *v, const char *path, enum opt_id o, char *out, size_t size)
{
	for (const struct verb *const *sp = v->subs; sp && *sp; sp++) {
		const struct verb *s = *sp;
		char sub[64];
		size_t n = strlen(out);

		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? " " : "", s->name);
		if (!s->subs && accepts(s, o) && n + strlen(sub) + 8 < size)
			snprintf(out + n, size - n, "%s%s", n ? ", " : "", sub);
		takers(s, sub, o, out, size);
	}
}

static const char *opt_name(enum opt_id o, char *buf, size_t size)
{
	if (cli_optdefs[o].name)
		snprintf(buf, size, "--%s", cli_optdefs[o].name);
	else
		snprintf(buf, size, "-%c", cli_optdefs[o].shortopt);
	return buf;
}

/* Every option given must be one the verb takes. */
static int check_options(struct ctx *ctx, const struct verb *top, const struct verb *v)
{
	for (int o = 0; o < O_COUNT; o++) {
		char name[32], who[256] = "";

		if (!ctx->nval[o] || accepts(v, (enum opt_id)o))
			continue;
		takers(top, "", (enum opt_id)o, who, sizeof(who));
		return usage_error(ctx, "%s takes no %s%s%s%s", *ctx->path ? ctx->path : "apctl",
				   opt_name((enum opt_id)o, name, sizeof(name)),
				   *who ? "; it is an option of " : "", who, *who ? "" : "");
	}
	return EXIT_OK;
}

static int check_args(struct ctx *ctx, const struct verb *v)
{
	if (ctx->npos < v->min_args)
		return usage_error(ctx, "%s needs %s", ctx->path, v->params);
	if (v->max_args >= 0 && ctx->npos > v->max_args)
		return usage_error(ctx, "unexpected argument '%s': %s takes %s",
				   ctx->pos[v->max_args], ctx->path,
				   v->max_args ? v->params : "no arguments");
	return EXIT_OK;
}

static int add_value(struct ctx *ctx, enum opt_id o, const char *v)
{
	const char **more = realloc(ctx->val[o], (ctx->nval[o] + 1) * sizeof(*more));

	if (!more)
		return -ENOMEM;
	ctx->val[o] = more;
	more[ctx->nval[o]++] = v;
	return 0;
}

/* The long options and short ones of getopt_long(), from the table. */
static void getopt_tables(struct option *lo, char *so)
{
	size_t n = 0, k = 0;

	so[k++] = '-';
	so[k++] = ':';
	for (int o = 0; o < O_COUNT; o++) {
		const struct optdef *d = &cli_optdefs[o];

		if (d->name)
			lo[n++] = (struct option){ d->name, d->has_arg ? required_argument :
								       no_argument, NULL, OPT_BASE + o };
		if (d->shortopt) {
			so[k++] = d->shortopt;
			if (d->has_arg)
				so[k++] = ':';
		}
	}
	lo[n] = (struct option){ NULL, 0, NULL, 0 };
	so[k] = '\0';
}

static enum opt_id short_id(int c)
{
	for (int o = 0; o < O_COUNT; o++)
		if (cli_optdefs[o].shortopt == c)
			return (enum opt_id)o;
	return O_COUNT;
}

static int bad_option(struct ctx *ctx, int opt, char **argv)
{
	const char *word = argv[optind - 1];

	if (opt == ':')
		return usage_error(ctx, "option '%s' needs an argument", word);
	if (optopt && optopt < OPT_BASE)
		return usage_error(ctx, "unknown option '-%c'", optopt);
	for (int o = 0; o < O_COUNT; o++) {
		char name[32];

		if (cli_optdefs[o].name && !strncmp(word, "--", 2) &&
		    distance(word + 2, cli_optdefs[o].name) <= 2)
			return usage_error(ctx, "unknown option '%s'; did you mean '%s'?", word,
					   opt_name((enum opt_id)o, name, sizeof(name)));
	}
	return usage_error(ctx, "unknown option '%s'", word);
}

/* A word of the command line: a verb below v, or an argument of v. */
static int take_word(struct ctx *ctx, const struct verb *top, const struct verb **v,
		     const char *word)
{
	size_t n = strlen(ctx->path);

	if (!(*v)->subs) {
		/* a NULL after the last, as execvp() takes them (sandbox run) */
		char **more = realloc(ctx->pos, (size_t)(ctx->npos + 2) * sizeof(*more));

		if (!more)
			return EXIT_RUNTIME;
		ctx->pos = more;
		ctx->pos[ctx->npos++] = (char *)word;
		ctx->pos[ctx->npos] = NULL;
		return EXIT_OK;
	}
	for (const struct verb *const *sp = (*v)->subs; *sp; sp++) {
		const struct verb *s = *sp;

		if (strcmp(s->name, word))
			continue;
		snprintf(ctx->path + n, sizeof(ctx->path) - n, "%s%s", n ? " " : "", word);
		*v = s;
		if (s->usage_exit)
			ctx->usage_exit = s->usage_exit;
		return EXIT_OK;
	}
	return unknown_word(ctx, top, *v, word);
}

/* Reads argv into ctx; *leaf is the verb reached. EXIT_OK or a usage error. */
static int parse(struct ctx *ctx, const struct verb *top, int argc, char **argv,
		 const struct verb **leaf)
{
	struct option lo[O_COUNT + 1];
	char so[2 * O_COUNT + 4];
	const struct verb *v = top;
	int opt, rc = EXIT_OK;

	getopt_tables(lo, so);
	opterr = 0;
	optind = 1;
	while (!rc && (opt = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		enum opt_id o = opt >= OPT_BASE ? (enum opt_id)(opt - OPT_BASE) : short_id(opt);

		if (opt == 1) {
			rc = take_word(ctx, top, &v, optarg);
			if (!v->subs && ctx->npos && v->options_first)
				break;
		} else if (opt == '?' || opt == ':' || o == O_COUNT) {
			rc = bad_option(ctx, opt, argv);
		} else if (add_value(ctx, o, optarg ? optarg : "")) {
			rc = EXIT_RUNTIME;
		}
	}
	/* what follows "--", or a verb's arguments that are never options */
	if (!rc && optind < argc && !strcmp(argv[optind], "--") && v->options_first)
		optind++;
	while (!rc && optind < argc)
		rc = take_word(ctx, top, &v, argv[optind++]);
	*leaf = v;
	return rc;
}

/* --json among the options, where the command line could not be read to its end. */
static bool wants_json(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--json"))
			return true;
	return false;
}

int cli_main(const struct verb *top, int argc, char **argv, int usage_exit)
{
	struct ctx ctx = { .root = { .path = "/" }, .usage_exit = usage_exit };
	const char *env_root = getenv("APCTL_ROOT"), *env_kernel = getenv("APCTL_KERNEL");
	const char *env_verbose = getenv("APCTL_VERBOSE");
	const struct verb *v = top;
	int rc = parse(&ctx, top, argc, argv, &v);

	if (env_root && *env_root)
		ctx.root = (struct root_opts){ .path = env_root, .given = true };
	if (env_kernel && *env_kernel)
		ctx.root.kernel = env_kernel;
	if (!rc && args_has(&ctx, O_HELP)) {
		cli_help(stdout, top, v, ctx.path);
		rc = finish_output(EXIT_OK);
	} else if (!rc && args_has(&ctx, O_VERSION) && v == top) {
		rc = check_options(&ctx, top, v);
		if (!rc && args_has(&ctx, O_JSON)) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "name", json_object_new_string("apctl"));
			json_object_object_add(o, "version", json_object_new_string(PACKAGE_VERSION));
			json_print(stdout, o);
		}
		else if (!rc)
			printf("apctl %s\n", PACKAGE_VERSION);
		rc = rc ? rc : finish_output(EXIT_OK);
	} else if (!rc && v->subs) {
		rc = usage_error(&ctx, "no %s%scommand given", ctx.path, *ctx.path ? " " : "");
	} else if (!rc) {
		rc = check_options(&ctx, top, v);
		if (!rc)
			rc = check_args(&ctx, v);
		if (args_has(&ctx, O_ROOT))
			ctx.root = (struct root_opts){ .path = args_last(&ctx, O_ROOT), .given = true,
						    .kernel = ctx.root.kernel };
		if (args_has(&ctx, O_KERNEL))
			ctx.root.kernel = args_last(&ctx, O_KERNEL);
		ctx.root.verbose = args_has(&ctx, O_VERBOSE) ||
				   (env_verbose && *env_verbose && strcmp(env_verbose, "0"));
		ctx.json = args_has(&ctx, O_JSON);
		if (!rc)
			rc = v->run(&ctx);
	}
	/* --json: one document on stdout, failures too (a usage error may come before ctx.json) */
	if (args_has(&ctx, O_JSON) || wants_json(argc, argv))
		rc = json_error_document(rc);
	for (int o = 0; o < O_COUNT; o++)
		free(ctx.val[o]);
	free(ctx.pos);
	return rc;
}
