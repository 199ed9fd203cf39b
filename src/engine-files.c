/* SPDX-License-Identifier: MIT */
/*
 * The persistent files of a change: the udev rule and mdevctl's definitions.
 * They are written under the change's lock after its attributes, each one
 * atomically; a failure puts back the ones written before it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "output.h"

int engine_add_file(struct engine *e, const char *rel, char *text)
{
	struct pfile *pf, *more = realloc(e->pf, (e->npf + 1) * sizeof(*more));
	int err = 0;

	if (!more) {
		free(text);
		return -ENOMEM;
	}
	e->pf = more;
	pf = memset(&e->pf[e->npf], 0, sizeof(*pf));
	snprintf(pf->rel, sizeof(pf->rel), "%s", rel);
	pf->text = text;
	pf->old = sysfs_read_alloc(&e->root->s, rel, &err);
	if (!pf->old && err != -ENOENT) {
		char path[4096];

		errmsg("cannot read %s: %s", sysfs_path(&e->root->s, rel, path, sizeof(path)),
		       strerror(-err));
		free(text);
		return err;
	}
	e->npf++;
	return 0;
}

/* content, or the file's removal when it is NULL */
static int put_file(struct sysfs *s, const char *rel, const char *content)
{
	char dir[sizeof(((struct pfile *)0)->rel)];
	char *slash;
	int rc;

	if (!content) {
		rc = sysfs_remove(s, rel);
		return rc == -ENOENT ? 0 : rc;
	}
	snprintf(dir, sizeof(dir), "%s", rel);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	rc = slash ? sysfs_mkdirs(s, dir, 0755) : 0;
	/* as chzdev and mdevctl make them: rw-r--r-- */
	return rc ? rc : sysfs_put_durable(s, rel, 0644, content, strlen(content));
}

int engine_write_files(struct engine *e)
{
	struct sysfs *s = &e->root->s;
	char path[4096];
	size_t i;
	int rc = 0;

	for (i = 0; i < e->npf && !rc; i++) {
		rc = put_file(s, e->pf[i].rel, e->pf[i].text);
		e->pf[i].written = !rc;
	}
	if (!rc)
		return 0;
	errmsg("cannot write %s: %s", sysfs_path(s, e->pf[i - 1].rel, path, sizeof(path)),
	       strerror(-rc));
	while (--i > 0)
		if (put_file(s, e->pf[i - 1].rel, e->pf[i - 1].old))
			errmsg("cannot put %s back as it was",
			       sysfs_path(s, e->pf[i - 1].rel, path, sizeof(path)));
	return rc;
}

void engine_free_files(struct engine *e)
{
	for (size_t i = 0; i < e->npf; i++) {
		free(e->pf[i].text);
		free(e->pf[i].old);
	}
	free(e->pf);
	e->pf = NULL;
	e->npf = 0;
}
