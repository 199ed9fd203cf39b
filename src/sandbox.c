/* SPDX-License-Identifier: MIT */
#include "sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"
#include "sandbox-tree.h"

void sandbox_spec_demo(struct sandbox_spec *sp)
{
	static const unsigned domains[] = { 0x04, 0x47, 0xab, 0xff };

	memset(sp, 0, sizeof(*sp));
	sp->kernel = KGEN_NEWEST;
	idset_add(&sp->adapters, 5);
	idset_add(&sp->adapters, 6);
	for (size_t i = 0; i < sizeof(domains) / sizeof(domains[0]); i++)
		idset_add(&sp->domains, domains[i]);
	sp->control_domains = sp->domains;
	sp->types[0] = (struct card_type){ 11, 'C' };
	sp->types[1] = (struct card_type){ 11, 'A' };
	sp->ntypes = 2;
	sp->max_adapter = IDSET_MAX_ID;
	sp->max_domain = IDSET_MAX_ID;
}

static uint8_t add_driver(struct ap_state *st, const char *name, enum queue_driver kind)
{
	struct ap_driver_info *drv = &st->drivers[st->ndrivers++];

	snprintf(drv->name, sizeof(drv->name), "%s", name);
	drv->kind = kind;
	return (uint8_t)st->ndrivers;
}

void sandbox_add_card(struct ap_state *st, unsigned a, const struct card_type *t)
{
	struct ap_card *c = &st->card[a];

	idset_add(&st->cards, a);
	memset(c, 0, sizeof(*c));
	card_type_name(t, c->type);
	c->hwtype = c->raw_hwtype = (int)t->hwtype;
	c->depth = 7;
	c->online = 1;
	c->config = 1;
	c->functions = card_functions(t);
}

void sandbox_add_queues(struct ap_state *st, const struct idset *apm, const struct idset *aqm)
{
	idset_foreach(a, apm) {
		if (!idset_has(&st->cards, (unsigned)a) || (unsigned)a > st->max_adapter)
			continue;
		idset_foreach(d, aqm) {
			if ((unsigned)d > st->max_domain ||
			    apqnset_has(&st->queues, (unsigned)a, (unsigned)d))
				continue;
			apqnset_add(&st->queues, (unsigned)a, (unsigned)d);
			state_bind_queue(st, (unsigned)a, (unsigned)d);
		}
	}
}

int sandbox_spec_state(const struct sandbox_spec *sp, struct ap_state **out)
{
	struct ap_state *st = calloc(1, sizeof(*st));
	size_t n = 0;

	if (!st)
		return -ENOMEM;
	st->sandbox = true;
	st->kernel = sp->kernel;
	st->kernel_source = KERNEL_FROM_SANDBOX;
	st->qci = true;
	st->host.apm = sp->adapters;
	st->host.aqm = sp->domains;
	st->host.adm = sp->control_domains;
	st->max_adapter = sp->max_adapter;
	st->max_domain = sp->max_domain;
	idset_fill(&st->apmask);
	idset_fill(&st->aqmask);

	add_driver(st, AP_DRV_CARD, QDRV_OTHER);
	add_driver(st, AP_DRV_QUEUE, QDRV_DEFAULT);
	add_driver(st, AP_DRV_VFIO, QDRV_VFIO);
	st->default_loaded = st->vfio_loaded = st->matrix_present = true;
	st->available_instances = VFIO_AP_MAX_INSTANCES;

	idset_foreach(a, &sp->adapters)
		sandbox_add_card(st, (unsigned)a, &sp->types[n++ % sp->ntypes]);
	sandbox_add_queues(st, &sp->adapters, &sp->domains);
	st->ap_domain = rules_default_domain(&st->queues, &st->aqmask);
	st->has_features = kgen_has(sp->kernel, KF_BUS_FEATURES);
	if (st->has_features)
		snprintf(st->features, sizeof(st->features), "APSC APXA QACT RC8A");
	st->has_matrix_features = kgen_has(sp->kernel, KF_MATRIX_FEATURES);
	if (st->has_matrix_features)
		snprintf(st->matrix_features, sizeof(st->matrix_features),
			 "guest_matrix hotplug ap_config");
	*out = st;
	return 0;
}

int sandbox_kernel(struct sysfs *s, struct kgen *g)
{
	char buf[1024];
	ssize_t n = sysfs_read(s, SANDBOX_MARKER, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (!strncmp(line, "kernel=", 7))
			return kgen_parse(line + 7, g, NULL);
	return -EINVAL;
}

static int copy_file(struct sysfs *from, struct sysfs *to, const char *rel)
{
	int err = 0;
	char *text = sysfs_read_alloc(from, rel, &err);

	if (!text)
		return err;
	err = sysfs_put(to, rel, 0644, text, strlen(text));
	free(text);
	return err;
}

struct copy_ctx {
	struct sysfs *from, *to;
	const char *dir;
};

static int copy_tree(struct sysfs *from, struct sysfs *to, const char *dir);

static int copy_entry(const char *name, unsigned char type, void *arg)
{
	struct copy_ctx *c = arg;
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "%s/%s", c->dir, name);
	if (type == DT_DIR)
		return copy_tree(c->from, c->to, rel);
	if (type == DT_REG)
		return copy_file(c->from, c->to, rel);
	return 0;
}

/* Copies the regular files under dir; a missing dir is nothing to copy. */
static int copy_tree(struct sysfs *from, struct sysfs *to, const char *dir)
{
	struct copy_ctx c = { from, to, dir };
	int rc;

	if (!sysfs_is_dir(from, dir))
		return 0;
	rc = sysfs_mkdirs(to, dir, 0755);
	return rc ? rc : sysfs_list(from, dir, copy_entry, &c);
}

/* What other tools keep about the AP configuration: mdevctl's definitions, chzdev's rules. */
static int copy_configs(struct sysfs *from, struct sysfs *to)
{
	static const char *const rules[] = {
		UDEV_RULES_DIR "/41-ap.rules",
		RUN_UDEV_RULES_DIR "/41-ap.rules",
	};
	int rc = copy_tree(from, to, MDEVCTL_DIR);

	for (size_t i = 0; !rc && i < sizeof(rules) / sizeof(rules[0]); i++)
		if (sysfs_exists(from, rules[i]))
			rc = copy_file(from, to, rules[i]);
	return rc;
}

static int count_entry(const char *name, unsigned char type, void *ctx)
{
	(void)name;
	(void)type;
	++*(unsigned *)ctx;
	return 1;
}

int sandbox_create(const char *dir, const struct ap_state *st, struct sysfs *from,
		   struct diag *d)
{
	char abs[PATH_MAX], tmp[PATH_MAX + 64], *base;
	struct sysfs top, tree;
	unsigned entries = 0;
	int rc;

	if (dir[0] == '/') {
		snprintf(abs, sizeof(abs), "%s", dir + 1);
	} else {
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd)))
			return -errno;
		snprintf(abs, sizeof(abs), "%s/%s", cwd + 1, dir);
	}
	while (strlen(abs) > 1 && abs[strlen(abs) - 1] == '/')
		abs[strlen(abs) - 1] = '\0';
	rc = sysfs_open(&top, "/");
	if (rc)
		return rc;
	if (sysfs_exists(&top, abs)) {
		if (!sysfs_is_dir(&top, abs)) {
			diag_set(d, "%s exists and is not a directory", dir);
			rc = -ENOTDIR;
		} else if (sysfs_list(&top, abs, count_entry, &entries) < 0 || entries) {
			diag_set(d, "%s exists and is not empty; a sandbox needs a new or empty "
				 "directory", dir);
			rc = -EEXIST;
		}
		if (rc)
			goto out;
	}
	base = strrchr(abs, '/');
	if (base) {
		*base = '\0';
		rc = sysfs_mkdirs(&top, abs, 0755);
		*base = '/';
		if (rc) {
			diag_set(d, "cannot create the parent directories of %s: %s", dir,
				 strerror(-rc));
			goto out;
		}
	}
	/* build beside dir, then rename: a half-written sandbox never appears */
	for (unsigned i = 0;; i++) {
		int n = snprintf(tmp, sizeof(tmp), "%.*s.%.200s.apctl-new-%ld-%u",
				 base ? (int)(base - abs + 1) : 0, abs, base ? base + 1 : abs,
				 (long)getpid(), i);

		rc = n < 0 || (size_t)n >= sizeof(tmp) ? -ENAMETOOLONG :
							 sysfs_mkdirs(&top, tmp, 0755);
		if (!rc && !sysfs_list(&top, tmp, count_entry, &entries) && !entries)
			break;
		if (rc) {
			diag_set(d, "cannot create a directory beside %s: %s", dir, strerror(-rc));
			goto out;
		}
	}
	{
		char rootpath[sizeof(tmp) + 1];

		snprintf(rootpath, sizeof(rootpath), "/%s", tmp);
		rc = sysfs_open(&tree, rootpath);
	}
	if (!rc) {
		rc = sbx_render(&tree, st);
		if (!rc && from)
			rc = copy_configs(from, &tree);
		sysfs_close(&tree);
	}
	if (!rc)
		rc = sysfs_rename(&top, tmp, abs);
	if (rc) {
		diag_set(d, "cannot create the sandbox %s: %s", dir, strerror(-rc));
		sysfs_remove_tree(&top, tmp);
	}
out:
	sysfs_close(&top);
	return rc;
}

void sandbox_unload(struct sysfs *s)
{
	(void)s;
}

/* Each line of a private file that is not a comment, to cb. */
static int private_lines(struct sysfs *s, const char *rel, int (*cb)(char *line, void *ctx),
			 void *ctx)
{
	int err = 0, rc = 0;
	char *text = sysfs_read_alloc(s, rel, &err), *save = NULL;

	if (!text)
		return err == -ENOENT ? 0 : err;
	for (char *line = strtok_r(text, "\n", &save); line && !rc; line = strtok_r(NULL, "\n", &save))
		if (line[0] != '#')
			rc = cb(line, ctx);
	free(text);
	return rc;
}

struct order {
	struct ap_state *st;
	struct ap_mdev *sorted;
	bool *taken;
	size_t n;
};

static int order_mdev(char *line, void *ctx)
{
	struct order *o = ctx;
	char uuid[UUID_STR_MAX];
	int attached = 0;

	if (sscanf(line, "%36s attached=%d", uuid, &attached) < 1)
		return -EINVAL;
	for (size_t i = 0; i < o->st->nmdevs; i++) {
		if (o->taken[i] || strcmp(o->st->mdevs[i].uuid, uuid))
			continue;
		o->taken[i] = true;
		o->sorted[o->n] = o->st->mdevs[i];
		o->sorted[o->n++].in_use = attached == 1;
		break;
	}
	return 0;
}

static int add_override(char *line, void *ctx)
{
	char apqn[16], driver[DRIVER_NAME_MAX];
	unsigned a, d;

	if (sscanf(line, "%15s %31s", apqn, driver) != 2 || apqn_parse(apqn, &a, &d, NULL))
		return -EINVAL;
	return state_add_override(ctx, a, d, driver);
}

int sandbox_private_apply(struct sysfs *s, struct ap_state *st)
{
	struct order o = { st, NULL, NULL, 0 };
	int rc;

	if (st->nmdevs) {
		o.sorted = calloc(st->nmdevs, sizeof(*o.sorted));
		o.taken = calloc(st->nmdevs, sizeof(*o.taken));
		if (!o.sorted || !o.taken) {
			free(o.sorted);
			free(o.taken);
			return -ENOMEM;
		}
	}
	rc = private_lines(s, SANDBOX_MDEVS, order_mdev, &o);
	if (!rc) {
		/* mdevs that the file does not know keep their place after the others */
		for (size_t i = 0; i < st->nmdevs; i++)
			if (!o.taken[i])
				o.sorted[o.n++] = st->mdevs[i];
		if (st->nmdevs)
			memcpy(st->mdevs, o.sorted, st->nmdevs * sizeof(*st->mdevs));
	}
	free(o.sorted);
	free(o.taken);
	free(st->overrides);
	st->overrides = NULL;
	st->noverrides = 0;
	return rc ? rc : private_lines(s, SANDBOX_OVERRIDES, add_override, st);
}
