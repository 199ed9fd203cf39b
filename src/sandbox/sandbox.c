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

#include "journal.h"
#include "kmodel.h"
#include "paths.h"
#include "tree.h"

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

int sandbox_spec_state(const struct sandbox_spec *sp, struct ap_state **out)
{
	struct ap_state *st = calloc(1, sizeof(*st));
	size_t n = 0;

	if (!st)
		return -ENOMEM;
	st->sandbox = true;
	st->kernel = sp->kernel;
	st->kernel_source = KERNEL_SANDBOX;
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
		kmodel_add_card(st, (unsigned)a, &sp->types[n++ % sp->ntypes]);
	kmodel_add_queues(st, &sp->adapters, &sp->domains);
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

bool sandbox_is(struct sysfs *s)
{
	struct stat st;

	return sysfs_lstat(s, SANDBOX_MARKER, &st) == 0 && S_ISREG(st.st_mode);
}

int sandbox_kernel(struct sysfs *s, struct kgen *g)
{
	char buf[1024];
	ssize_t n = sysfs_read(s, SANDBOX_MARKER, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (!strncmp(line, "kernel=", 7))
			return kgen_parse(line + 7, g, NULL) < 0 ? -EINVAL : 0;
	return -EINVAL;
}

unsigned sandbox_rebind_delay(struct sysfs *s)
{
	char buf[1024];
	unsigned ms = 0;

	if (sysfs_read(s, SANDBOX_MARKER, buf, sizeof(buf)) < 0)
		return 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (sscanf(line, "rebind_delay_ms=%u", &ms) == 1)
			return ms;
	return 0;
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

/*
 * The master key patterns of the queues zcrypt has in the source, kept in the
 * sandbox (and marked in st), so that they show through every rebinding.
 */
static int copy_mkvps(struct sysfs *from, struct sysfs *to, struct ap_state *st)
{
	int rc = sysfs_mkdirs(to, SANDBOX_MKVPS, 0755);

	for (unsigned a = 0; !rc && a < IDSET_BITS; a++) {
		idset_foreach(d, &st->queues.dom[a]) {
			char src[PATH_MAX], dst[PATH_MAX], *text;
			int err = 0;

			if (state_queue_driver(st, a, (unsigned)d) != QDRV_DEFAULT)
				continue;
			snprintf(src, sizeof(src), AP_DEVICES "/card%02x/%02x.%04x/mkvps", a, a, d);
			snprintf(dst, sizeof(dst), SANDBOX_MKVPS "/%02x.%04x", a, d);
			text = sysfs_read_alloc(from, src, &err);
			/* "- -" says only that the card could not be asked */
			if (!text || strstr(text, "- -")) {
				free(text);
				continue;
			}
			rc = sysfs_put(to, dst, 0644, text, strlen(text));
			free(text);
			if (rc)
				break;
			apqnset_add(&st->mkvps_kept, a, (unsigned)d);
		}
	}
	return rc;
}

static int count_entry(const char *name, unsigned char type, void *ctx)
{
	(void)name;
	(void)type;
	++*(unsigned *)ctx;
	return 1;
}

/*
 * dir as a path below "/" without leading, repeated or trailing slashes
 * ("tmp/demo"), for a root opened at "/". 0 or -errno.
 */
static int path_below_root(const char *dir, char *out, size_t size)
{
	char cwd[PATH_MAX], joined[2 * PATH_MAX];
	size_t n = 0;

	if (dir[0] != '/' && !getcwd(cwd, sizeof(cwd)))
		return -errno;
	snprintf(joined, sizeof(joined), "%s/%s", dir[0] == '/' ? "" : cwd, dir);
	for (const char *p = joined; *p; p++) {
		if (*p == '/' && (n == 0 || out[n - 1] == '/'))
			continue;
		if (n + 1 >= size)
			return -ENAMETOOLONG;
		out[n++] = *p;
	}
	while (n && out[n - 1] == '/')
		n--;
	out[n] = '\0';
	return 0;
}

/* Whether directory rel of top can take a sandbox: missing, or empty. */
static int check_target(struct sysfs *top, const char *rel, const char *dir, struct diag *d)
{
	unsigned entries = 0;

	if (!*rel) {
		diag_set(d, "a sandbox cannot be made at /");
		return -EEXIST;
	}
	if (!sysfs_exists(top, rel))
		return 0;
	if (!sysfs_is_dir(top, rel)) {
		diag_set(d, "%s exists and is not a directory", dir);
		return -ENOTDIR;
	}
	if (sysfs_list(top, rel, count_entry, &entries) < 0 || entries) {
		diag_set(d, "%s exists and is not empty; a sandbox needs a new or empty directory",
			 dir);
		return -EEXIST;
	}
	return 0;
}

/* A new directory beside rel ("a/.b.apctl-new-PID-N"), made by this call: 0 or -errno. */
static int make_beside(struct sysfs *top, const char *rel, char *tmp, size_t size)
{
	const char *base = strrchr(rel, '/');
	int plen = base ? (int)(base - rel + 1) : 0;

	for (unsigned i = 0; i < 1000; i++) {
		int n = snprintf(tmp, size, "%.*s.%.200s.apctl-new-%ld-%u", plen, rel,
				 rel + plen, (long)getpid(), i);
		int rc;

		if (n < 0 || (size_t)n >= size)
			return -ENAMETOOLONG;
		rc = sysfs_mkdir(top, tmp, 0755);
		if (rc != -EEXIST)
			return rc;
	}
	return -EEXIST;
}

/* Writes the sandbox into the new directory tmp of top. */
static int fill(const char *tmp, const struct ap_state *st, struct sysfs *from)
{
	char rootpath[PATH_MAX + 80];
	struct sysfs tree;
	int rc;

	struct ap_state *copy = NULL;

	snprintf(rootpath, sizeof(rootpath), "/%s", tmp);
	rc = sysfs_open(&tree, rootpath);
	if (rc)
		return rc;
	/* a copy's master keys are kept before the tree shows them */
	if (from) {
		copy = state_dup(st);
		rc = copy ? copy_mkvps(from, &tree, copy) : -ENOMEM;
		st = copy;
		/* a source's rebinding still to come is copied as made */
		if (copy) {
			kmodel_rebind(copy);
			kmodel_number(copy);
		}
	}
	if (!rc)
		rc = sbx_render(&tree, st);
	if (!rc && from)
		rc = copy_configs(from, &tree);
	/* the first store finds the emulated kernel's memory made */
	if (!rc)
		rc = sandbox_learn(&tree);
	state_free(copy);
	sysfs_close(&tree);
	return rc;
}

int sandbox_create(const char *dir, const struct ap_state *st, struct sysfs *from,
		   struct diag *d)
{
	char rel[PATH_MAX], tmp[PATH_MAX + 64], *base;
	struct sysfs top;
	int rc = path_below_root(dir, rel, sizeof(rel));

	if (rc) {
		diag_set(d, "cannot make a path of %s: %s", dir, strerror(-rc));
		return rc;
	}
	rc = sysfs_open(&top, "/");
	if (rc)
		return rc;
	rc = check_target(&top, rel, dir, d);
	if (rc)
		goto out;
	base = strrchr(rel, '/');
	if (base) {
		*base = '\0';
		rc = sysfs_mkdirs(&top, rel, 0755);
		*base = '/';
		if (rc) {
			diag_set(d, "cannot create the parent directories of %s: %s", dir,
				 strerror(-rc));
			goto out;
		}
	}
	/* build beside dir, then rename: a half-written sandbox never appears */
	rc = make_beside(&top, rel, tmp, sizeof(tmp));
	if (rc) {
		diag_set(d, "cannot create a directory beside %s: %s", dir, strerror(-rc));
		goto out;
	}
	rc = fill(tmp, st, from);
	if (!rc)
		rc = sysfs_rename(&top, tmp, rel);
	if (rc) {
		diag_set(d, "cannot create the sandbox %s: %s", dir, strerror(-rc));
		sysfs_remove_tree(&top, tmp);
	}
out:
	sysfs_close(&top);
	return rc;
}

struct clear_ctx {
	struct sysfs *s;
	const char *dir;
	int rc;
};

static int clear_entry(const char *name, unsigned char type, void *arg)
{
	struct clear_ctx *c = arg;
	char rel[PATH_MAX];
	int rc;

	(void)type;
	snprintf(rel, sizeof(rel), "%s/%s", c->dir, name);
	if (!strcmp(rel, AP_LOCK_FILE))
		return 0;
	if (!strcmp(rel, LOCK_DIR)) {
		struct clear_ctx lock = { c->s, LOCK_DIR, 0 };

		rc = sysfs_list(c->s, LOCK_DIR, clear_entry, &lock);
		rc = rc ? rc : lock.rc;
	} else {
		rc = sysfs_remove_tree(c->s, rel);
	}
	if (rc && rc != -ENOENT && !c->rc)
		c->rc = rc;
	return 0;
}

int sandbox_clear_run(struct sysfs *s)
{
	static const char *const dirs[] = { RUN_UDEV_RULES_DIR, LOCK_DIR, JOURNAL_DIR };
	struct clear_ctx c = { s, "run", 0 };
	int rc = sysfs_list(s, "run", clear_entry, &c);

	rc = rc == -ENOENT ? 0 : rc ? rc : c.rc;
	for (size_t i = 0; !rc && i < sizeof(dirs) / sizeof(dirs[0]); i++)
		rc = sysfs_mkdirs(s, dirs[i], 0755);
	return rc;
}
