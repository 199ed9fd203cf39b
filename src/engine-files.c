/* SPDX-License-Identifier: MIT */
/*
 * The persistent files of a change: the udev rule and mdevctl's definitions.
 * They are written under the change's lock after its attributes, each one
 * atomically and in the change's journal; a failure puts back the ones
 * written before it.
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

void engine_file_entry(const struct pfile *pf, struct journal_entry *je, struct jwrite *undo)
{
	*undo = (struct jwrite){ (char *)pf->rel, pf->old, true };
	*je = (struct journal_entry){ { (char *)pf->rel, pf->text, true }, undo, 1 };
}

int engine_write_file(struct engine *e, size_t k)
{
	struct sysfs *s = &e->root->s;
	char path[4096];
	int rc = journal_put_file(s, e->pf[k].rel, e->pf[k].text);

	if (rc)
		errmsg("cannot write %s: %s", sysfs_path(s, e->pf[k].rel, path, sizeof(path)),
		       strerror(-rc));
	return rc;
}

void engine_restore_files(struct engine *e, size_t upto)
{
	struct sysfs *s = &e->root->s;
	char path[4096];

	for (size_t k = upto; k-- > 0;)
		if (journal_put_file(s, e->pf[k].rel, e->pf[k].old))
			errmsg("cannot put %s back as it was",
			       sysfs_path(s, e->pf[k].rel, path, sizeof(path)));
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
