/* SPDX-License-Identifier: MIT */
/*
 * The names of mdevs (the guests that use them), which neither mdevctl nor
 * libvirt keeps: apctl keeps them in NAMES_FILE, one "UUID NAME" line each.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "persist.h"
#include "utf8.h"

const char *mdev_name_problem(const char *name)
{
	size_t len = strlen(name);

	if (len >= MDEV_NAME_MAX)
		return "longer than 127 bytes";
	if (!utf8_valid(name, len))
		return "not UTF-8";
	for (const char *c = name; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return "it holds a control character";
	return NULL;
}

int names_parse(struct persist *p, const char *text, size_t len, const char *what,
		struct diag *d)
{
	unsigned n = 1;
	int rc = 0;

	if (strlen(text) != len) {
		diag_set(d, "%s: not text: it holds a NUL byte", what);
		return -EINVAL;
	}
	for (const char *line = text; *line && !rc; n++) {
		size_t l = strcspn(line, "\n");
		char buf[UUID_STR_MAX + MDEV_NAME_MAX], uuid[UUID_STR_MAX];

		if (*line != '#' && l) {
			snprintf(buf, sizeof(buf), "%.*s", (int)l, line);
			snprintf(uuid, sizeof(uuid), "%.36s", buf);
			if (l >= sizeof(buf) || l < UUID_STR_MAX || buf[UUID_STR_MAX - 1] != ' ' ||
			    !uuid_valid(uuid) || mdev_name_problem(buf + UUID_STR_MAX)) {
				diag_set(d, "%s: line %u is not \"UUID NAME\"", what, n);
				rc = -EINVAL;
			} else {
				rc = persist_set_name(p, uuid, buf + UUID_STR_MAX);
			}
		}
		line += l + (line[l] == '\n');
	}
	return rc;
}

int persist_read_names(struct sysfs *s, struct persist *p, struct diag *d)
{
	int err = 0;
	size_t len = 0;
	char *text = sysfs_read_bytes(s, NAMES_FILE, &len, &err), path[PATH_MAX];
	int rc;

	if (!text)
		return err == -ENOENT ? 0 : err;
	rc = names_parse(p, text, len, sysfs_path(s, NAMES_FILE, path, sizeof(path)), d);
	free(text);
	return rc;
}

/* The index of uuid's name, or p->nnames. */
static size_t name_index(const struct persist *p, const char *uuid)
{
	char lower[UUID_STR_MAX];
	size_t i = 0;

	uuid_lower(uuid, lower);
	while (i < p->nnames && strcmp(p->names[i].uuid, lower))
		i++;
	return i;
}

const char *persist_name(const struct persist *p, const char *uuid)
{
	size_t i = name_index(p, uuid);

	return i < p->nnames ? p->names[i].name : NULL;
}

int persist_set_name(struct persist *p, const char *uuid, const char *name)
{
	size_t i = name_index(p, uuid);
	struct mdev_name *more;

	if (!name || !*name) {
		if (i < p->nnames) {
			memmove(&p->names[i], &p->names[i + 1], (p->nnames - i - 1) * sizeof(*more));
			p->nnames--;
		}
		return 0;
	}
	if (i == p->nnames) {
		more = grow(p->names, &p->capnames, p->nnames, sizeof(*more));
		if (!more)
			return -ENOMEM;
		p->names = more;
		p->nnames++;
		uuid_lower(uuid, p->names[i].uuid);
	}
	snprintf(p->names[i].name, sizeof(p->names[i].name), "%s", name);
	return 0;
}

char *names_format(const struct persist *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!p->nnames)
		return NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fputs("# The names of vfio_ap mdevs, kept by apctl: UUID NAME\n", f);
	for (size_t i = 0; i < p->nnames; i++)
		fprintf(f, "%s %s\n", p->names[i].uuid, p->names[i].name);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
