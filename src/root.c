/* SPDX-License-Identifier: MIT */
#include "root.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>


void shell_word(const char *w, char *out, size_t size)
{
	size_t n = 0;

	if (*w && !w[strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"0123456789/._-+:,@%")]) {
		snprintf(out, size, "%s", w);
		return;
	}
	out[n++] = '\'';
	for (; *w && n + 5 < size; w++) {
		if (*w == '\'') {
			memcpy(out + n, "'\\''", 4);
			n += 4;
		} else {
			out[n++] = *w;
		}
	}
	out[n++] = '\'';
	out[n] = '\0';
}

/* The kernel generation a root's rules follow, as far as the opener knows it. */
static int kernel_hint(struct root *r, struct diag *d)
{
	struct diag note = { "" };
	char buf[sizeof(r->release)];
	int rc;

	if (r->o->kernel) {
		rc = kgen_parse(r->o->kernel, &r->hint.gen, d);
		if (rc < 0)
			return rc;
		r->hint.source = KERNEL_GIVEN;
		if (rc)
			r->note = *d;
		return 0;
	}
	if (r->backend) {
		r->hint.source = KERNEL_SANDBOX;
		r->s.quiet++;
		rc = r->backend->kernel(&r->s, &r->hint.gen) ? -EINVAL : 0;
		r->s.quiet--;
		return rc;
	}
	/* the release, where the root has one: the live system's, or a copy's */
	r->hint.source = KERNEL_EVIDENCE;
	if (sysfs_read(&r->s, OSRELEASE, buf, sizeof(buf)) <= 0)
		return 0;
	buf[strcspn(buf, "\n")] = '\0';
	snprintf(r->release, sizeof(r->release), "%s", buf);
	rc = kgen_from_release(buf, &r->hint.gen, &note);
	if (rc >= 0)
		r->hint.source = KERNEL_RELEASE;
	if (rc)
		r->note = note;
	return 0;
}

int root_open(struct root *r, const struct root_opts *o, const struct root_backend *emulated,
	      struct diag *d)
{
	char word[PATH_MAX + 8];
	int rc;

	memset(r, 0, sizeof(*r));
	r->o = o;
	rc = sysfs_open(&r->s, o->path);
	if (rc) {
		diag_set(d, "root %s: %s", o->path,
			 rc == -ENOENT ? "no such directory" :
			 rc == -ENOTDIR ? "not a directory" : strerror(-rc));
		return rc;
	}
	r->s.verbose = o->verbose;
	if (emulated && sysfs_exists(&r->s, emulated->marker)) {
		r->backend = emulated;
		r->sandbox = true;
		sysfs_set_store(&r->s, emulated->store, NULL);
	}
	r->live = !r->sandbox && (!o->given || !strcmp(o->path, "/"));
	rc = kernel_hint(r, d);
	if (rc == -EINVAL && r->sandbox && !d->msg[0])
		diag_set(d, "%s: the sandbox marker %s names no kernel generation", o->path,
			 emulated->marker);
	if (rc) {
		sysfs_close(&r->s);
		return rc;
	}
	shell_word(o->path, word, sizeof(word));
	snprintf(r->prefix, sizeof(r->prefix), "apctl%s%s", o->given ? " --root " : "",
		 o->given ? word : "");
	return 0;
}

void root_close(struct root *r)
{
	sysfs_close(&r->s);
}

/* What the opener knows of a state read from r besides sysfs. */
static int add_known(struct root *r, struct ap_state *st)
{
	int rc;

	st->sandbox = r->sandbox;
	/* a host's own processes: this system's, or those of a root that is a system */
	if (!r->sandbox && (st->flags & STATE_GUESTS))
		state_find_guests(&r->s, st);
	if (!r->sandbox)
		return 0;
	/* the emulated kernel knows what a live kernel keeps in memory */
	r->s.quiet++;
	rc = r->backend->load_private(&r->s, st);
	r->s.quiet--;
	return rc;
}

/* The emulated kernel's lock, which its readers share (-1 for a live root). */
static int reader_lock(struct root *r)
{
	int lock;

	/* what the emulated kernel owes first (not for a reader that cannot write) */
	r->s.quiet++;
	if (r->backend)
		r->backend->catch_up(&r->s);
	lock = r->backend ? r->backend->lock(&r->s, true) : -1;
	r->s.quiet--;
	return lock;
}

int root_state(struct root *r, unsigned flags, struct ap_state **st, struct diag *d)
{
	int lock = reader_lock(r), rc = state_read(&r->s, flags, &r->hint, st, d);

	if (lock >= 0)
		close(lock);
	if (rc)
		return rc;
	rc = add_known(r, *st);
	if (rc) {
		diag_set(d, "cannot read the sandbox's own state under %s: %s", r->s.root,
			 strerror(-rc));
		state_free(*st);
		*st = NULL;
	}
	return rc;
}

int root_fill(struct root *r, struct ap_state *st, const struct state_scope *want)
{
	int lock, rc;

	if (!st->scope)
		return 0;
	lock = reader_lock(r);
	rc = state_fill(&r->s, st, want);
	if (lock >= 0)
		close(lock);
	return rc ? rc : add_known(r, st);
}

int root_reread(struct root *r, struct ap_state *st, bool mdevs_only)
{
	int lock = reader_lock(r), rc;

	rc = mdevs_only ? state_reread_mdevs(&r->s, st) : state_reread(&r->s, st);
	if (lock >= 0)
		close(lock);
	if (rc || !r->backend)
		return rc;
	r->s.quiet++;
	rc = r->backend->load_private(&r->s, st);
	r->s.quiet--;
	return rc;
}
