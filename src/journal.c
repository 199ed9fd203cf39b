/* SPDX-License-Identifier: MIT */
#include "grow.h"
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errnames.h"

#define JOURNAL_VERSION 1

/* [attr, value]; for a file [path, content or null, true]; for a directory [path, null, "dir"] */
static struct json_object *jwrite_json(const struct jwrite *w)
{
	struct json_object *a = json_object_new_array();

	json_object_array_add(a, json_object_new_string(w->attr));
	json_object_array_add(a, w->value ? json_object_new_string(w->value) : NULL);
	if (w->kind == JW_FILE)
		json_object_array_add(a, json_object_new_boolean(true));
	else if (w->kind == JW_DIR)
		json_object_array_add(a, json_object_new_string("dir"));
	return a;
}

/* Appends one JSON line to text. */
static int add_line(char **text, size_t *len, struct json_object *o)
{
	const char *line = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	size_t n = strlen(line);
	char *more = realloc(*text, *len + n + 2);

	if (!more) {
		json_object_put(o);
		return -ENOMEM;
	}
	memcpy(more + *len, line, n);
	more[*len + n] = '\n';
	*len += n + 1;
	more[*len] = '\0';
	*text = more;
	json_object_put(o);
	return 0;
}

int journal_begin(struct sysfs *s, const struct journal *j)
{
	struct json_object *o = json_object_new_object();
	char *text = NULL;
	size_t len = 0;
	int rc;

	json_object_object_add(o, "journal", json_object_new_int(JOURNAL_VERSION));
	json_object_object_add(o, "pid", json_object_new_int((int)j->pid));
	json_object_object_add(o, "command", json_object_new_string(j->command));
	rc = add_line(&text, &len, o);
	for (size_t i = 0; !rc && i < j->n; i++) {
		struct json_object *undo = json_object_new_array();

		o = json_object_new_object();
		json_object_object_add(o, "write", jwrite_json(&j->e[i].w));
		for (size_t u = 0; u < j->e[i].nundo; u++)
			json_object_array_add(undo, jwrite_json(&j->e[i].undo[u]));
		json_object_object_add(o, "undo", undo);
		rc = add_line(&text, &len, o);
	}
	if (!rc)
		rc = sysfs_mkdirs(s, JOURNAL_DIR, 0755);
	if (!rc)
		rc = sysfs_put(s, JOURNAL_FILE, 0600, text, len);
	free(text);
	return rc;
}

int journal_mark(struct sysfs *s, size_t i)
{
	char line[48];

	snprintf(line, sizeof(line), "{\"begin\":%zu}\n", i);
	return sysfs_append(s, JOURNAL_FILE, line);
}

void journal_end(struct sysfs *s)
{
	sysfs_remove(s, JOURNAL_FILE);
}

void journal_free(struct journal *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n; i++) {
		free(j->e[i].w.attr);
		free(j->e[i].w.value);
		for (size_t u = 0; u < j->e[i].nundo; u++) {
			free(j->e[i].undo[u].attr);
			free(j->e[i].undo[u].value);
		}
		free(j->e[i].undo);
	}
	free(j->e);
	free(j->command);
	free(j);
}

static int jwrite_parse(struct json_object *a, struct jwrite *w)
{
	size_t n = json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
	struct json_object *v, *k = json_object_array_get_idx(a, 2);

	if (n != 2 && n != 3)
		return -EINVAL;
	w->kind = JW_ATTR;
	if (n == 3 && json_object_is_type(k, json_type_boolean) && json_object_get_boolean(k))
		w->kind = JW_FILE;
	else if (n == 3 && json_object_is_type(k, json_type_string) &&
		 !strcmp(json_object_get_string(k), "dir"))
		w->kind = JW_DIR;
	else if (n == 3)
		return -EINVAL;
	v = json_object_array_get_idx(a, 1);
	if (!json_object_is_type(json_object_array_get_idx(a, 0), json_type_string) ||
	    (!json_object_is_type(v, json_type_string) && !(w->kind != JW_ATTR && !v)) ||
	    (w->kind == JW_DIR && v))
		return -EINVAL;
	w->attr = strdup(json_object_get_string(json_object_array_get_idx(a, 0)));
	w->value = v ? strdup(json_object_get_string(v)) : NULL;
	return w->attr && (w->value || !v) ? 0 : -ENOMEM;
}

int journal_put_file(struct sysfs *s, const char *rel, const char *content)
{
	char dir[PATH_MAX];
	char *slash;
	int rc;

	if (!content) {
		rc = sysfs_remove_durable(s, rel);
		return rc == -ENOENT ? 0 : rc;
	}
	snprintf(dir, sizeof(dir), "%s", rel);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	rc = slash ? sysfs_mkdirs(s, dir, 0755) : 0;
	return rc ? rc : sysfs_put_durable(s, rel, 0644, content, strlen(content));
}

static int entry_parse(struct json_object *o, struct journal *j)
{
	struct json_object *w, *undo;
	struct journal_entry *e, *more = grow(j->e, &j->cap, j->n, sizeof(*more));

	if (!more)
		return -ENOMEM;
	j->e = more;
	e = memset(&j->e[j->n++], 0, sizeof(*e));
	if (!json_object_object_get_ex(o, "write", &w) ||
	    !json_object_object_get_ex(o, "undo", &undo) ||
	    !json_object_is_type(undo, json_type_array) || jwrite_parse(w, &e->w))
		return -EINVAL;
	e->undo = calloc(json_object_array_length(undo) + 1, sizeof(*e->undo));
	if (!e->undo)
		return -ENOMEM;
	for (size_t u = 0; u < json_object_array_length(undo); u++, e->nundo++)
		if (jwrite_parse(json_object_array_get_idx(undo, u), &e->undo[u]))
			return -EINVAL;
	return 0;
}

/* One line of the journal into j. */
static int line_parse(const char *line, struct journal *j)
{
	struct json_object *o = json_tokener_parse(line), *v;
	int rc = 0;

	if (!o)
		return -EINVAL;
	if (json_object_object_get_ex(o, "begin", &v)) {
		j->begun = json_object_get_int(v);
	} else if (json_object_object_get_ex(o, "journal", &v)) {
		j->command = strdup(json_object_object_get_ex(o, "command", &v) ?
					    json_object_get_string(v) : "");
		j->pid = json_object_object_get_ex(o, "pid", &v) ? json_object_get_int(v) : 0;
		rc = j->command ? 0 : -ENOMEM;
	} else {
		rc = entry_parse(o, j);
	}
	json_object_put(o);
	return rc;
}

int journal_load(struct sysfs *s, struct journal **out)
{
	int err = 0, rc = 0;
	char *text = sysfs_read_alloc(s, JOURNAL_FILE, &err), *save = NULL;
	struct journal *j;

	if (!text)
		return err;
	j = calloc(1, sizeof(*j));
	if (!j) {
		free(text);
		return -ENOMEM;
	}
	j->begun = -1;
	/* a last line without its newline is a mark cut short: its write was not begun */
	if (*text && text[strlen(text) - 1] != '\n')
		*(strrchr(text, '\n') ? strrchr(text, '\n') + 1 : text) = '\0';
	for (char *line = strtok_r(text, "\n", &save); line && !rc;
	     line = strtok_r(NULL, "\n", &save))
		rc = line_parse(line, j);
	free(text);
	if (!rc && (!j->command || j->begun >= (long)j->n))
		rc = -EINVAL;
	if (rc) {
		journal_free(j);
		return rc;
	}
	*out = j;
	return 0;
}

int journal_undo(struct sysfs *s, const struct journal_entry *e, FILE *msg)
{
	int failed = 0;

	for (size_t u = 0; u < e->nundo; u++) {
		const struct jwrite *w = &e->undo[u];
		char path[PATH_MAX];
		int rc;

		if (w->kind == JW_DIR) {
			/* a directory made for the file goes, unless something else is in it now */
			rc = sysfs_remove_durable(s, w->attr);
			if (rc && rc != -ENOENT && rc != -ENOTEMPTY && rc != -EEXIST) {
				fprintf(msg, "apctl: removing %s, which the change made, failed: %s; it "
					"stays, empty\n", sysfs_path(s, w->attr, path, sizeof(path)),
					strerror(-rc));
				failed = -EIO;
			}
			continue;
		}
		rc = w->kind == JW_FILE ? journal_put_file(s, w->attr, w->value) :
					  sysfs_write(s, w->attr, w->value, strlen(w->value));
		if (rc && w->kind == JW_FILE) {
			fprintf(msg, "apctl: putting %s back failed: %s; it stays changed\n",
				sysfs_path(s, w->attr, path, sizeof(path)), strerror(-rc));
			failed = -EIO;
			continue;
		}
		/* what was never done needs no undo: an mdev never made, or made again */
		if (rc && rc != -ENOENT && rc != -EEXIST) {
			fprintf(msg, "apctl: undoing '%.*s' with '%.*s' failed too: %s (%s); it stays "
				"changed: 'echo %.*s > %s' restores it\n",
				(int)strcspn(e->w.value, "\n"), e->w.value,
				(int)strcspn(w->value, "\n"), w->value, errno_name(-rc), strerror(-rc),
				(int)strcspn(w->value, "\n"), w->value,
				sysfs_path(s, w->attr, path, sizeof(path)));
			failed = failed ? failed : rc;
		}
	}
	return failed;
}

/* What is left when a recovery cannot be finished, and the two ways on. */
static void recovery_left(struct sysfs *s, FILE *msg, const char *why)
{
	char path[PATH_MAX];

	sysfs_path(s, JOURNAL_FILE, path, sizeof(path));
	fprintf(msg, "apctl: %s; the journal %s stays, and every change waits for it: mend the "
		"cause and run the change again, which undoes the rest; or restore what it lists "
		"by hand and remove it\n", why, path);
}

/*
 * Rolls a change forward from entry from: the writes whose undo was made
 * again, and those never begun, as planned. A write already made is no
 * failure (an mdev there again, EEXIST). 0 or -errno of the first that fails.
 */
static int roll_forward(struct sysfs *s, const struct journal *j, size_t from)
{
	for (size_t i = from; i < j->n; i++) {
		const struct jwrite *w = &j->e[i].w;
		int rc = w->kind == JW_FILE ? journal_put_file(s, w->attr, w->value) :
					      sysfs_write(s, w->attr, w->value, strlen(w->value));

		if (rc && rc != -EEXIST)
			return rc;
	}
	return 0;
}

/* The kernel's answer to a write that the state forbids (not a fault). */
static bool kernel_refusal(int rc)
{
	return rc == -EBUSY || rc == -EADDRINUSE || rc == -EADDRNOTAVAIL;
}

/*
 * Undoes what j began, newest first. Where the kernel refuses an undo (one
 * that a later kernel's stricter check rejects, such as giving domains back
 * while an mdev holds them on other adapters), the change is finished instead:
 * what was undone of it is made again, and what was never begun is made.
 * Messages of an undo that failed are said only if finishing fails too.
 */
static int undo_or_finish(struct sysfs *s, const struct journal *j, FILE *msg)
{
	char *said = NULL;
	size_t len = 0;
	FILE *quiet = open_memstream(&said, &len);
	long i;
	int rc = 0;

	for (i = j->begun; i >= 0 && !rc; i--)
		rc = journal_undo(s, &j->e[i], quiet ? quiet : msg);
	if (quiet)
		fclose(quiet);
	if (!rc) {
		fprintf(msg, "apctl: process %d was stopped during '%s', after %ld of %zu writes; "
			"they are undone\n", (int)j->pid, j->command, j->begun + 1, j->n);
	} else if (kernel_refusal(rc) && !roll_forward(s, j, (size_t)(i + 1))) {
		fprintf(msg, "apctl: process %d was stopped during '%s', after %ld of %zu writes; "
			"the kernel refused to undo them, so the change is finished instead\n",
			(int)j->pid, j->command, j->begun + 1, j->n);
		rc = 0;
	} else if (said) {
		fputs(said, msg);
	}
	free(said);
	return rc;
}

int journal_recover(struct sysfs *s, FILE *msg)
{
	struct journal *j = NULL;
	int rc = journal_load(s, &j);

	if (rc == -ENOENT)
		return 0;
	if (rc) {
		recovery_left(s, msg, rc == -ENOMEM ? "out of memory reading the journal of an "
			      "interrupted change" : "the journal of an interrupted change cannot be "
			      "read");
		return -EIO;
	}
	if (j->begun < 0)
		fprintf(msg, "apctl: process %d was stopped before the first write of '%s'; nothing "
			"to undo\n", (int)j->pid, j->command);
	else
		rc = undo_or_finish(s, j, msg);
	if (rc) {
		char why[512];

		snprintf(why, sizeof(why), "process %d was stopped during '%s', and not all of its "
			 "writes could be undone (see above)", (int)j->pid, j->command);
		recovery_left(s, msg, why);
	} else {
		journal_end(s);
	}
	journal_free(j);
	return rc ? -EIO : 0;
}
