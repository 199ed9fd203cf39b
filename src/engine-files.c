/* SPDX-License-Identifier: MIT */
/*
 * The persistent files of a change: the udev rule and mdevctl's definitions.
 * They are written under the change's lock after its attributes, each one
 * atomically and durably and in the change's journal; a failure puts back
 * the ones written before it, and takes away the directories they made.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "grow.h"
#include "output.h"

/* The directories above rel that do not exist, deepest first, into pf->made. */
static void missing_dirs(struct engine *e, struct pfile *pf)
{
	char dir[sizeof(pf->rel)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", pf->rel);
	while ((slash = strrchr(dir, '/')) && pf->nmade < PFILE_DIRS_MAX) {
		*slash = '\0';
		if (sysfs_exists(&e->root->s, dir))
			break;
		snprintf(pf->made[pf->nmade++], sizeof(pf->made[0]), "%s", dir);
	}
}

int engine_add_file(struct engine *e, const char *rel, char *text)
{
	struct pfile *pf, *more = grow(e->pf, &e->cappf, e->npf, sizeof(*more));
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
	if (text)
		missing_dirs(e, pf);
	e->npf++;
	return 0;
}

const struct journal_entry *engine_file_entry(struct pfile *pf)
{
	pf->undo[0] = (struct jwrite){ pf->rel, pf->old, JW_FILE };
	for (size_t i = 0; i < pf->nmade; i++)
		pf->undo[1 + i] = (struct jwrite){ pf->made[i], NULL, JW_DIR };
	pf->je = (struct journal_entry){ { pf->rel, pf->text, JW_FILE }, pf->undo, 1 + pf->nmade };
	return &pf->je;
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

int engine_restore_files(struct engine *e, size_t upto)
{
	int failed = 0;

	for (size_t k = upto; k-- > 0;)
		failed |= journal_undo(&e->root->s, engine_file_entry(&e->pf[k]), stderr);
	return failed;
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
