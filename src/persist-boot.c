/* SPDX-License-Identifier: MIT */
/*
 * What else the boot reads beside the rule and the definitions: the callouts
 * that mdevctl runs before it starts a definition, and whether a file of
 * modules-load.d loads vfio_ap.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"
#include "persist.h"

struct names {
	char (*v)[NAME_MAX + 1];
	size_t n;
};

static int add_name(const char *name, unsigned char type, void *ctx)
{
	struct names *l = ctx;
	char (*more)[NAME_MAX + 1] = realloc(l->v, (l->n + 1) * sizeof(*more));

	(void)type;
	if (!more)
		return -ENOMEM;
	l->v = more;
	snprintf(l->v[l->n++], sizeof(l->v[0]), "%s", name);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The entries of dir, in directory order or sorted: 0, or -errno (-ENOENT: no dir). */
static int list(struct sysfs *s, const char *dir, bool sorted, struct names *out)
{
	int rc = sysfs_list(s, dir, add_name, out);

	if (!rc && sorted && out->n)
		qsort(out->v, out->n, sizeof(out->v[0]), by_name);
	return rc;
}

static enum callout_kind kind_of(struct sysfs *s, const char *name)
{
	if (!strcmp(name, "ap-check"))
		return CALLOUT_AP_CHECK;
	/* s390-tools' wrapper for mdevctl 1.2: it calls ap-check where that is, or fails */
	if (!strcmp(name, "ap-check.sh"))
		return sysfs_exists(s, MDEVCTL_LIB_CALLOUTS "/ap-check") ? CALLOUT_AP_CHECK :
									 CALLOUT_AP_CHECK_MISSING;
	if (!strcmp(name, CALLOUT_LINK_NAME))
		return CALLOUT_APCTL;
	return CALLOUT_OTHER;
}

/* The executables of dir, as callouts in the order mdevctl tries them. */
static int read_callouts(struct sysfs *s, struct persist *p, const char *dir, bool sorted)
{
	struct names l = { NULL, 0 };
	int rc = list(s, dir, sorted, &l);

	for (size_t i = 0; !rc && i < l.n && p->ncallouts < CALLOUTS_MAX; i++) {
		struct callout *c = &p->callouts[p->ncallouts];
		struct stat st;

		snprintf(c->rel, sizeof(c->rel), "%s/%s", dir, l.v[i]);
		if (sysfs_stat(s, c->rel, &st) || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
			continue;
		c->kind = kind_of(s, l.v[i]);
		p->ncallouts++;
	}
	free(l.v);
	return rc == -ENOENT || rc == -ENOTDIR ? 0 : rc;
}

/* Whether a modules-load.d file (or /etc/modules) names vfio_ap. */
static bool loads_vfio_ap(struct sysfs *s, const char *rel)
{
	int err = 0;
	char *text = sysfs_read_alloc(s, rel, &err), *save = NULL;
	bool found = false;

	for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t n;

		line += strspn(line, " \t");
		n = strcspn(line, " \t\r#;");
		/* modprobe takes - and _ for the same */
		found = n == 7 && (!strncmp(line, "vfio_ap", 7) || !strncmp(line, "vfio-ap", 7));
	}
	free(text);
	return found;
}

/* systemd-modules-load: *.conf of these, a name in an earlier one hiding the later ones. */
static int read_loader(struct sysfs *s, struct persist *p)
{
	static const char *const dirs[] = { "etc/modules-load.d", "run/modules-load.d",
					    "usr/lib/modules-load.d", "lib/modules-load.d" };
	struct names seen = { NULL, 0 };
	int rc = 0;

	for (size_t d = 0; !rc && d < sizeof(dirs) / sizeof(dirs[0]) && !p->vfio_ap_loader[0]; d++) {
		struct names l = { NULL, 0 };

		rc = list(s, dirs[d], true, &l);
		rc = rc == -ENOENT || rc == -ENOTDIR ? 0 : rc;
		for (size_t i = 0; !rc && i < l.n && !p->vfio_ap_loader[0]; i++) {
			char rel[LOADER_MAX];
			bool hidden = false;
			size_t len = strlen(l.v[i]);

			for (size_t k = 0; k < seen.n; k++)
				hidden |= !strcmp(seen.v[k], l.v[i]);
			if (hidden || len < 6 || strcmp(l.v[i] + len - 5, ".conf"))
				continue;
			rc = add_name(l.v[i], 0, &seen);
			if (snprintf(rel, sizeof(rel), "%s/%s", dirs[d], l.v[i]) >= (int)sizeof(rel))
				continue;
			if (!rc && loads_vfio_ap(s, rel))
				snprintf(p->vfio_ap_loader, sizeof(p->vfio_ap_loader), "%s", rel);
		}
		free(l.v);
	}
	free(seen.v);
	/* Debian's /etc/modules, which its modules-load.d/modules.conf links to */
	if (!rc && !p->vfio_ap_loader[0] && loads_vfio_ap(s, "etc/modules"))
		snprintf(p->vfio_ap_loader, sizeof(p->vfio_ap_loader), "etc/modules");
	return rc;
}

int persist_read_boot(struct sysfs *s, struct persist *p)
{
	int rc = 0;

	p->ncallouts = 0;
	p->mdevctl_13 = sysfs_is_dir(s, MDEVCTL_LIB_NOTIFIERS);
	p->ap_check_installed = sysfs_exists(s, MDEVCTL_LIB_CALLOUTS "/ap-check");
	if (p->mdevctl_13)
		rc = read_callouts(s, p, MDEVCTL_LIB_CALLOUTS, true);
	if (!rc)
		rc = read_callouts(s, p, MDEVCTL_CALLOUTS, p->mdevctl_13);
	if (!rc)
		rc = read_loader(s, p);
	return rc;
}
