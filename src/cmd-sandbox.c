/* SPDX-License-Identifier: MIT */
/* apctl sandbox: make sandboxes and drive their emulated kernel. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apctl.h"
#include "masksyntax.h"
#include "output.h"
#include "rules.h"
#include "sandbox.h"
#include "state.h"

static const char create_help[] =
	"Usage: apctl sandbox create DIR [--adapters LIST] [--domains LIST]\n"
	"                            [--control-domains LIST] [--type TYPE...]\n"
	"                            [--max-adapter-id N] [--max-domain-id N]\n"
	"                            [--kernel GENERATION]\n"
	"       apctl sandbox create DIR --from ROOT [--kernel GENERATION]\n"
	"\n"
	"Write a sandbox at DIR (new or empty): a sysfs tree with the real layout of\n"
	"the AP bus and vfio_ap, and an emulated kernel behind it, for\n"
	"'apctl --root DIR'. Without host options it is the host of the kernel\n"
	"document's example: adapters 5 (CEX5C) and 6 (CEX5A), usage and control\n"
	"domains 4,0x47,0xab,0xff, maximum IDs 255, default masks.\n"
	"\n"
	"Options:\n"
	"      --adapters LIST          adapters of the host configuration (5,6,0x0a-0x0c)\n"
	"      --domains LIST           usage domains of the host configuration\n"
	"      --control-domains LIST   control domains (default: the usage domains)\n"
	"      --type TYPE              card type, CEX4A to CEX8P; repeat it or give a\n"
	"                               comma list to give the adapters types in turn\n"
	"      --max-adapter-id N       highest adapter ID (default 255)\n"
	"      --max-domain-id N        highest domain ID (default 255)\n"
	"      --kernel GENERATION      kernel to emulate, 5.10 to 6.19 (default 6.19)\n"
	"      --from ROOT              copy the AP state of ROOT (/ for this system)\n"
	"  -j, --json                   print JSON\n"
	"  -h, --help                   print this help\n";

static const char sandbox_help[] =
	"Usage: apctl sandbox COMMAND ...\n"
	"\n"
	"Commands:\n"
	"  create DIR                      write a sandbox\n"
	"  write [-n] ATTRIBUTE VALUE      write to an attribute as a process would\n"
	"  fault [ATTRIBUTE ERRNO [N]]     make the Nth write to an attribute fail\n"
	"  attach UUID, detach UUID        a guest starts or stops using an mdev\n"
	"  host add|remove [--adapters LIST] [--domains LIST] [--control-domains LIST]\n"
	"                                  the host's AP configuration changes\n"
	"\n"
	"Run 'apctl sandbox COMMAND --help' for the options of a command.\n";

static const char write_help[] =
	"Usage: apctl --root DIR sandbox write [-n] ATTRIBUTE VALUE\n"
	"\n"
	"Write VALUE to ATTRIBUTE of the sandbox at DIR the way a process writing to\n"
	"sysfs would: one write() of VALUE and a newline (as echo adds one), through\n"
	"the emulated kernel and nothing of apctl's own. ATTRIBUTE is relative to the\n"
	"root, e.g. sys/bus/ap/apmask. Exits 0 when the kernel accepts, 1 with the\n"
	"errno's name when it refuses.\n"
	"\n"
	"Options:\n"
	"  -n               no newline after VALUE (as echo -n)\n"
	"  -r, --root DIR   the sandbox\n"
	"  -h, --help       print this help\n";

static const char fault_help[] =
	"Usage: apctl --root DIR sandbox fault ATTRIBUTE ERRNO [N]\n"
	"       apctl --root DIR sandbox fault [--clear]\n"
	"\n"
	"Make the Nth write from now (default: the next) to ATTRIBUTE of the sandbox\n"
	"at DIR fail with ERRNO (a name such as EIO, or a number), to rehearse what a\n"
	"failing write does. ATTRIBUTE is the attribute's own path relative to the\n"
	"root, where * stands for any characters, / included:\n"
	"sys/devices/vfio_ap/matrix/*/assign_domain, or sys/devices/vfio_ap/* for every\n"
	"write under it.\n"
	"Without arguments, list the faults waiting; --clear removes them.\n"
	"\n"
	"Options:\n"
	"      --clear      remove every fault\n"
	"  -r, --root DIR   the sandbox\n"
	"  -j, --json       list as JSON\n"
	"  -h, --help       print this help\n";

static const char attach_help[] =
	"Usage: apctl --root DIR sandbox attach UUID\n"
	"       apctl --root DIR sandbox detach UUID\n"
	"\n"
	"A guest starts (attach) or stops (detach) using the mdev UUID of the sandbox\n"
	"at DIR, as when QEMU opens or closes it: its queues in guest_matrix turn\n"
	"'in use', and the kernel's rules for an mdev in use apply. A remove of the\n"
	"mdev that waits for the guest goes on once it detaches.\n"
	"\n"
	"Options:\n"
	"  -r, --root DIR   the sandbox\n"
	"  -h, --help       print this help\n";

static const char host_help[] =
	"Usage: apctl --root DIR sandbox host add [--adapters LIST] [--domains LIST]\n"
	"                                         [--control-domains LIST] [--type TYPE]\n"
	"       apctl --root DIR sandbox host remove [--adapters LIST] [--domains LIST]\n"
	"                                            [--control-domains LIST]\n"
	"\n"
	"The host's AP configuration of the sandbox at DIR changes, as when an adapter\n"
	"or a domain is configured on or off for the LPAR: queue devices appear or go,\n"
	"are bound by the masks, and each mdev's guest_matrix follows: IDs that appear\n"
	"and are assigned are plugged into the guest when all their queues are bound\n"
	"to vfio_ap; IDs that go leave it.\n"
	"\n"
	"Options:\n"
	"      --adapters LIST          adapters\n"
	"      --domains LIST           usage domains\n"
	"      --control-domains LIST   control domains\n"
	"      --type TYPE              card type of the adapters added (default CEX8C)\n"
	"  -r, --root DIR               the sandbox\n"
	"  -h, --help                   print this help\n";

/* The sandbox at ctx->root, opened: EXIT_OK, or the exit code with a message. */
static int open_sandbox(const struct ctx *ctx, const char *cmd, struct sysfs *s)
{
	int rc = open_root(ctx, s);

	if (rc)
		return rc;
	if (!s->sandbox) {
		sysfs_close(s);
		return usage_error(cmd, "%s is not a sandbox (it has no %s file); give one with "
				   "--root", ctx->root, SANDBOX_MARKER);
	}
	return EXIT_OK;
}

static int sandbox_write_cmd(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = { COMMON_LONGOPTS, { NULL, 0, NULL, 0 } };
	bool newline = true;
	const char *attr, *value;
	struct sysfs s;
	char *buf;
	size_t len;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "+" COMMON_SHORTOPTS "n", opts, NULL)) != -1) {
		if (opt == 'h')
			return print_help(write_help);
		if (opt == 'n')
			newline = false;
		else if (!common_option(ctx, opt, optarg))
			return option_error("sandbox write", opt, argv);
	}
	if (argc - optind != 2)
		return usage_error("sandbox write", "give an ATTRIBUTE and a VALUE");
	attr = argv[optind];
	value = argv[optind + 1];
	while (*attr == '/')
		attr++;
	rc = open_sandbox(ctx, "sandbox write", &s);
	if (rc)
		return rc;
	len = strlen(value);
	buf = malloc(len + 2);
	if (!buf) {
		sysfs_close(&s);
		return EXIT_RUNTIME;
	}
	memcpy(buf, value, len);
	if (newline)
		buf[len++] = '\n';
	rc = sysfs_write(&s, attr, buf, len);
	free(buf);
	sysfs_close(&s);
	if (rc) {
		errmsg("%s: %s (%s)", attr, errno_name(-rc), strerror(-rc));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static int list_faults(const struct ctx *ctx, struct sysfs *s)
{
	int err = 0;
	char *text = sysfs_read_alloc(s, SANDBOX_FAULTS, &err), *save = NULL;
	struct json_object *arr = ctx->json ? json_object_new_array() : NULL;

	for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct sandbox_fault f;

		if (sandbox_fault_parse(line, &f))
			continue;
		if (arr) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "attribute", json_object_new_string(f.pattern));
			json_object_object_add(o, "errno", json_object_new_string(errno_name(f.err)));
			json_object_object_add(o, "write", json_object_new_int(f.countdown));
			json_object_array_add(arr, o);
		} else {
			printf("%s %s %d\n", f.pattern, errno_name(f.err), f.countdown);
		}
	}
	free(text);
	if (arr)
		json_print(stdout, arr);
	return finish_output(EXIT_OK);
}

static int sandbox_fault_cmd(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_LONGOPTS,
		{ "clear", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	bool clear = false;
	struct sysfs s;
	int opt, rc, e = 0;
	unsigned n = 1;

	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, opts, NULL)) != -1) {
		if (opt == 'h')
			return print_help(fault_help);
		if (opt == 'c')
			clear = true;
		else if (!common_option(ctx, opt, optarg))
			return option_error("sandbox fault", opt, argv);
	}
	argc -= optind;
	argv += optind;
	if ((clear && argc) || argc == 1 || argc > 3)
		return usage_error("sandbox fault", "give ATTRIBUTE ERRNO [N], or --clear, or nothing");
	if (argc >= 2) {
		struct diag d;

		if (!argv[0][0] || strpbrk(argv[0], " \t\n"))
			return usage_error("sandbox fault", "'%s' is not an attribute path", argv[0]);
		e = errno_parse(argv[1]);
		if (e <= 0)
			return usage_error("sandbox fault", "'%s' is not an errno (EIO, EBUSY, 5, ...)",
					   argv[1]);
		if (argc == 3 && (id_parse(argv[2], 1000000, "write count", &n, &d) || !n))
			return usage_error("sandbox fault", "'%s' is not a write count (1 for the "
					   "next write)", argv[2]);
	}
	rc = open_sandbox(ctx, "sandbox fault", &s);
	if (rc)
		return rc;
	if (clear) {
		rc = sysfs_remove(&s, SANDBOX_FAULTS);
		rc = rc == -ENOENT ? 0 : rc;
	} else if (argc) {
		struct sandbox_fault f = { .err = e, .countdown = (int)n };

		snprintf(f.pattern, sizeof(f.pattern), "%s", argv[0][0] == '/' ? argv[0] + 1 : argv[0]);
		rc = sandbox_fault_add(&s, &f);
	} else {
		rc = list_faults(ctx, &s);
		sysfs_close(&s);
		return rc;
	}
	sysfs_close(&s);
	if (rc) {
		errmsg("cannot change %s/%s: %s", ctx->root, SANDBOX_FAULTS, strerror(-rc));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

enum {
	OPT_ADAPTERS = 0x100,
	OPT_DOMAINS,
	OPT_CDOMS,
	OPT_TYPE,
	OPT_MAX_ADAPTER,
	OPT_MAX_DOMAIN,
	OPT_KERNEL,
	OPT_FROM,
};

struct create_args {
	const char *adapters, *domains, *cdoms, *max_adapter, *max_domain, *kernel, *from;
	char *types[SANDBOX_MAX_TYPES];
	size_t ntypes;
};

static int parse_types(struct create_args *a, struct sandbox_spec *sp)
{
	struct diag d;

	sp->ntypes = 0;
	for (size_t i = 0; i < a->ntypes; i++) {
		char *copy = strdup(a->types[i]), *save = NULL;

		if (!copy)
			return EXIT_RUNTIME;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			if (sp->ntypes == SANDBOX_MAX_TYPES ||
			    card_type_parse(t, &sp->types[sp->ntypes], &d)) {
				if (sp->ntypes == SANDBOX_MAX_TYPES)
					diag_set(&d, "more than %d card types", SANDBOX_MAX_TYPES);
				free(copy);
				return usage_error("sandbox create", "%s", d.msg);
			}
			sp->ntypes++;
		}
		free(copy);
	}
	if (!sp->ntypes)
		return usage_error("sandbox create", "--type needs a card type");
	return EXIT_OK;
}

/* The spec from the options, each checked before anything is written. */
static int build_spec(struct create_args *a, struct sandbox_spec *sp)
{
	struct diag d;

	sandbox_spec_demo(sp);
	if ((a->max_adapter && id_parse(a->max_adapter, IDSET_MAX_ID, "maximum adapter ID",
					&sp->max_adapter, &d)) ||
	    (a->max_domain &&
	     id_parse(a->max_domain, IDSET_MAX_ID, "maximum domain ID", &sp->max_domain, &d)) ||
	    (a->kernel && kgen_parse(a->kernel, &sp->kernel, &d)) ||
	    (a->adapters && idlist_parse(a->adapters, sp->max_adapter, "adapter", &sp->adapters,
					 &d)) ||
	    (a->domains && idlist_parse(a->domains, sp->max_domain, "domain", &sp->domains, &d)) ||
	    (a->cdoms &&
	     idlist_parse(a->cdoms, sp->max_domain, "control domain", &sp->control_domains, &d)))
		return usage_error("sandbox create", "%s", d.msg);
	if (a->domains && !a->cdoms)
		sp->control_domains = sp->domains;
	if (!a->adapters || !a->domains || !a->cdoms) {
		/* the demo's IDs that stay must fit the maxima too */
		struct idset upa = idset_upto(sp->max_adapter), upd = idset_upto(sp->max_domain);
		char m[ID_STR_MAX];

		if (!idset_subset(&sp->adapters, &upa) || !idset_subset(&sp->domains, &upd) ||
		    !idset_subset(&sp->control_domains, &upd))
			return usage_error("sandbox create",
					   "the default adapters 5,6 and domains 4,0x47,0xab,0xff "
					   "do not fit under maximum IDs %s and %u; give "
					   "--adapters and --domains", id_format(sp->max_adapter, m),
					   sp->max_domain);
	}
	return a->ntypes ? parse_types(a, sp) : EXIT_OK;
}

static void print_created(const struct ctx *ctx, const char *dir, const struct ap_state *st)
{
	char gen[KGEN_STR_MAX], a[IDLIST_MAX], q[IDLIST_MAX];

	kgen_format(st->kernel, gen);
	if (ctx->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "sandbox", json_object_new_string(dir));
		json_object_object_add(o, "kernel", json_object_new_string(gen));
		json_object_object_add(o, "adapters", json_idset(&st->host.apm));
		json_object_object_add(o, "usage_domains", json_idset(&st->host.aqm));
		json_object_object_add(o, "control_domains", json_idset(&st->host.adm));
		json_object_object_add(o, "queues",
				       json_object_new_int((int)apqnset_count(&st->queues)));
		json_object_object_add(o, "mdevs", json_object_new_int((int)st->nmdevs));
		json_print(stdout, o);
		return;
	}
	printf("Created sandbox %s emulating kernel %s: adapters %s, usage domains %s, "
	       "%u queues, %zu mdev%s.\nUse it with: apctl --root %s show\n",
	       dir, gen, text_ids(&st->host.apm, "none", a, sizeof(a)),
	       text_ids(&st->host.aqm, "none", q, sizeof(q)), apqnset_count(&st->queues),
	       st->nmdevs, st->nmdevs == 1 ? "" : "s", dir);
}

static int sandbox_create_cmd(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_LONGOPTS,
		{ "adapters", required_argument, NULL, OPT_ADAPTERS },
		{ "domains", required_argument, NULL, OPT_DOMAINS },
		{ "control-domains", required_argument, NULL, OPT_CDOMS },
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "max-adapter-id", required_argument, NULL, OPT_MAX_ADAPTER },
		{ "max-domain-id", required_argument, NULL, OPT_MAX_DOMAIN },
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "from", required_argument, NULL, OPT_FROM },
		{ NULL, 0, NULL, 0 },
	};
	struct create_args a = { 0 };
	struct sandbox_spec spec;
	struct ap_state *st = NULL;
	struct diag d = { "" };
	struct sysfs from;
	bool have_from = false;
	const char *dir;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			return print_help(create_help);
		case OPT_ADAPTERS:
			a.adapters = optarg;
			break;
		case OPT_DOMAINS:
			a.domains = optarg;
			break;
		case OPT_CDOMS:
			a.cdoms = optarg;
			break;
		case OPT_TYPE:
			if (a.ntypes == SANDBOX_MAX_TYPES)
				return usage_error("sandbox create", "too many --type options");
			a.types[a.ntypes++] = optarg;
			break;
		case OPT_MAX_ADAPTER:
			a.max_adapter = optarg;
			break;
		case OPT_MAX_DOMAIN:
			a.max_domain = optarg;
			break;
		case OPT_KERNEL:
			a.kernel = optarg;
			break;
		case OPT_FROM:
			a.from = optarg;
			break;
		default:
			if (!common_option(ctx, opt, optarg))
				return option_error("sandbox create", opt, argv);
		}
	}
	if (optind >= argc)
		return usage_error("sandbox create", "no directory given");
	dir = argv[optind++];
	if (optind < argc)
		return usage_error("sandbox create", "unexpected argument '%s'", argv[optind]);
	if (!*dir)
		return usage_error("sandbox create", "the directory name is empty");

	if (a.from) {
		struct ctx fctx = { .root = a.from };
		struct kgen g;

		if (a.adapters || a.domains || a.cdoms || a.ntypes || a.max_adapter || a.max_domain)
			return usage_error("sandbox create",
					   "--from copies the host configuration of %s; it does "
					   "not go with --adapters, --domains, --control-domains, "
					   "--type or --max-*-id", a.from);
		if (a.kernel && kgen_parse(a.kernel, &g, &d))
			return usage_error("sandbox create", "%s", d.msg);
		rc = open_root(&fctx, &from);
		if (rc)
			return rc;
		have_from = true;
		rc = state_read(&from, STATE_DETAILS, &st, &d);
		if (rc) {
			errmsg("%s", d.msg);
			rc = rc == -ENOENT ? EXIT_NOTFOUND : EXIT_RUNTIME;
			goto out;
		}
		st->sandbox = true;
		if (a.kernel)
			st->kernel = g;
	} else {
		rc = build_spec(&a, &spec);
		if (rc)
			return rc;
		rc = sandbox_spec_state(&spec, &st);
		if (rc) {
			errmsg("out of memory");
			return EXIT_RUNTIME;
		}
	}
	rc = sandbox_create(dir, st, have_from ? &from : NULL, &d);
	if (rc) {
		errmsg("%s", d.msg);
		rc = (rc == -EEXIST || rc == -ENOTDIR) ? EXIT_USAGE : EXIT_RUNTIME;
		goto out;
	}
	print_created(ctx, dir, st);
	rc = finish_output(EXIT_OK);
out:
	state_free(st);
	if (have_from)
		sysfs_close(&from);
	return rc;
}

static int sandbox_attach_cmd(struct ctx *ctx, int argc, char **argv, bool attach)
{
	static const struct option opts[] = { COMMON_LONGOPTS, { NULL, 0, NULL, 0 } };
	const char *cmd = attach ? "sandbox attach" : "sandbox detach";
	struct diag d = { "" };
	struct sysfs s;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, opts, NULL)) != -1) {
		if (opt == 'h')
			return print_help(attach_help);
		if (!common_option(ctx, opt, optarg))
			return option_error(cmd, opt, argv);
	}
	if (argc - optind != 1)
		return usage_error(cmd, "give the UUID of one mdev");
	if (!uuid_valid(argv[optind]))
		return usage_error(cmd, "'%s' is not a UUID", argv[optind]);
	rc = open_sandbox(ctx, cmd, &s);
	if (rc)
		return rc;
	rc = sandbox_attach(&s, argv[optind], attach, &d);
	sysfs_close(&s);
	if (rc == -ENOENT || rc == -EALREADY) {
		errmsg("%s", d.msg);
		return rc == -ENOENT ? EXIT_NOTFOUND : EXIT_RUNTIME;
	}
	if (rc) {
		errmsg("%s: %s", cmd, d.msg[0] ? d.msg : strerror(-rc));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static int sandbox_host_cmd(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_LONGOPTS,
		{ "adapters", required_argument, NULL, OPT_ADAPTERS },
		{ "domains", required_argument, NULL, OPT_DOMAINS },
		{ "control-domains", required_argument, NULL, OPT_CDOMS },
		{ "type", required_argument, NULL, OPT_TYPE },
		{ NULL, 0, NULL, 0 },
	};
	const char *lists[3] = { NULL, NULL, NULL }, *type = "CEX8C";
	struct card_type t;
	struct ap_matrix ids = { { { 0 } }, { { 0 } }, { { 0 } } };
	struct ap_state *st = NULL;
	struct diag d = { "" };
	struct sysfs s;
	bool add;
	int opt, rc;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return print_help(host_help);
	if (argc < 2 || (strcmp(argv[1], "add") && strcmp(argv[1], "remove")))
		return usage_error("sandbox host", "say add or remove");
	add = !strcmp(argv[1], "add");
	argc--;
	argv++;
	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			return print_help(host_help);
		case OPT_ADAPTERS:
		case OPT_DOMAINS:
		case OPT_CDOMS:
			lists[opt - OPT_ADAPTERS] = optarg;
			break;
		case OPT_TYPE:
			type = optarg;
			break;
		default:
			if (!common_option(ctx, opt, optarg))
				return option_error("sandbox host", opt, argv);
		}
	}
	if (optind < argc)
		return usage_error("sandbox host", "unexpected argument '%s'", argv[optind]);
	if (!lists[0] && !lists[1] && !lists[2])
		return usage_error("sandbox host", "give --adapters, --domains or --control-domains");
	if (card_type_parse(type, &t, &d))
		return usage_error("sandbox host", "%s", d.msg);
	rc = open_sandbox(ctx, "sandbox host", &s);
	if (rc)
		return rc;
	rc = state_read(&s, 0, &st, &d);
	for (int i = 0; !rc && i < 3; i++) {
		enum assign_kind kind = (enum assign_kind)i; /* the order of the options */

		if (lists[i] && idlist_parse(lists[i], i ? st->max_domain : st->max_adapter,
					     assign_kind_name(kind), matrix_ids(&ids, kind), &d)) {
			state_free(st);
			sysfs_close(&s);
			return usage_error("sandbox host", "%s", d.msg);
		}
	}
	state_free(st);
	if (!rc)
		rc = sandbox_host_change(&s, add, &ids, &t, &d);
	sysfs_close(&s);
	if (rc) {
		errmsg("sandbox host: %s", d.msg[0] ? d.msg : strerror(-rc));
		return rc == -ENOENT ? EXIT_NOTFOUND : EXIT_RUNTIME;
	}
	return EXIT_OK;
}

int cmd_sandbox(struct ctx *ctx, int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		if (argc < 2)
			return usage_error("sandbox", "no sandbox command given");
		return print_help(sandbox_help);
	}
	if (!strcmp(argv[1], "create"))
		return sandbox_create_cmd(ctx, argc - 1, argv + 1);
	if (!strcmp(argv[1], "write"))
		return sandbox_write_cmd(ctx, argc - 1, argv + 1);
	if (!strcmp(argv[1], "fault"))
		return sandbox_fault_cmd(ctx, argc - 1, argv + 1);
	if (!strcmp(argv[1], "attach") || !strcmp(argv[1], "detach"))
		return sandbox_attach_cmd(ctx, argc - 1, argv + 1, !strcmp(argv[1], "attach"));
	if (!strcmp(argv[1], "host"))
		return sandbox_host_cmd(ctx, argc - 1, argv + 1);
	return usage_error("sandbox", "unknown sandbox command '%s'", argv[1]);
}
