/* SPDX-License-Identifier: MIT */
/*
 * The sandbox's emulated kernel: one attribute write applied to the tree with
 * the store function's semantics (behaviour reference, sections 1 to 4). Here
 * is what the store does with the bytes (which attribute, how the value is
 * parsed); what the kernel then decides and changes is kmodel's. The state is
 * read from the files, changed, and the files that show it are rewritten,
 * one store at a time under the emulated kernel's own lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kmodel.h"
#include "kstore.h"
#include "masksyntax.h"
#include "memory.h"
#include "paths.h"
#include "sandbox.h"
#include "report-changes.h"
#include "tree.h"

/* Sysfs attributes take at most one page per write (section 1.1). */
#define SYSFS_PAGE_SIZE 4096
/* How often a remove that waits for the guest looks again */
#define REMOVE_POLL_MS 50

/* ---- one store or event at a time ---- */

int sandbox_lock(struct sysfs *s, bool shared)
{
	int fd = sysfs_openat(s, SANDBOX_KERNEL_LOCK, shared ? O_RDONLY : O_RDWR | O_CREAT, 0644);

	if (fd < 0)
		return fd;
	while (flock(fd, shared ? LOCK_SH : LOCK_EX)) {
		if (errno != EINTR) {
			int rc = -errno;

			close(fd);
			return rc;
		}
	}
	return fd;
}

/* What the tree shows, with what the emulated kernel keeps in its own files. */
static int tree_state(struct sysfs *s, struct ap_state **st, struct diag *d)
{
	struct kernel_hint hint = { KERNEL_SANDBOX, KGEN_NEWEST };
	int rc = sandbox_kernel(s, &hint.gen);

	if (!rc)
		rc = state_read(s, STATE_DETAILS | STATE_GUESTS, &hint, st, d);
	if (!rc) {
		(*st)->sandbox = true;
		rc = sandbox_load_private(s, *st);
		if (rc)
			state_free(*st);
	}
	return rc;
}

/*
 * What the emulated kernel knows: its memory. A store that was cut short (its
 * new state still beside the old) is finished first: what differs between
 * the two is written again. Without memory (a new sandbox, a tree edited by
 * hand, another build's) the tree is read and remembered.
 */
static int kernel_state(struct sysfs *s, struct ap_state **st, struct diag *d)
{
	struct ap_state *next = NULL;
	int rc = memory_read(s, SANDBOX_MEMORY, st);

	if (rc == -ENOENT || rc == -EINVAL) {
		rc = sysfs_remove(s, SANDBOX_MEMORY_NEXT);
		rc = rc && rc != -ENOENT ? rc : tree_state(s, st, d);
		if (!rc && (rc = memory_write(s, SANDBOX_MEMORY, *st)))
			state_free(*st);
	} else if (!rc && !memory_read(s, SANDBOX_MEMORY_NEXT, &next)) {
		rc = sbx_sync_again(s, *st, next);
		if (!rc)
			rc = sysfs_rename(s, SANDBOX_MEMORY_NEXT, SANDBOX_MEMORY);
		state_free(*st);
		*st = rc ? NULL : next;
		if (rc)
			state_free(next);
	}
	if (!rc)
		(*st)->rebind_delay_ms = sandbox_rebind_delay(s);
	return rc;
}

/*
 * The state a store starts from, kept beside st, which it changes: the
 * memory's file mapped, whose pages cost only where the store looks (*mapped);
 * a copy of st where the file is not st.
 */
static struct ap_state *kept_state(struct sysfs *s, struct ap_state *st, bool *mapped)
{
	struct ap_state *old = NULL;

	*mapped = !memory_map(s, SANDBOX_MEMORY, &old);
	if (*mapped) {
		/* the one thing kernel_state() sets beside the file */
		old->rebind_delay_ms = st->rebind_delay_ms;
		if (memory_same(old, st))
			return old;
		memory_unmap(old);
		*mapped = false;
	}
	return state_dup(st);
}

/*
 * The new state st: beside the old in memory first, then shown in the tree,
 * then the memory; a store cut short anywhere is finished by the next.
 */
static int commit(struct sysfs *s, struct ap_state *old, struct ap_state *st)
{
	int rc = 0;

	/* nothing changed (a store refused, a look at the time): nothing is written */
	if (!memory_same(old, st)) {
		rc = memory_write(s, SANDBOX_MEMORY_NEXT, st);
		if (!rc)
			rc = sbx_sync(s, old, st);
		if (!rc)
			rc = sysfs_rename(s, SANDBOX_MEMORY_NEXT, SANDBOX_MEMORY);
	}
	return rc;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int no_change(struct ap_state *st, void *ctx)
{
	(void)st;
	(void)ctx;
	return 0;
}

static int apply(struct sysfs *s, int (*change)(struct ap_state *st, void *ctx), void *ctx,
		 struct diag *d);

/*
 * The AP bus's rebinding after the sandbox's delay: a process of its own,
 * detached from the writer and holding none of its files but the sandbox's,
 * sleeps and then lets the emulated kernel catch up. Should it never run, the
 * next store or reader (sandbox_catch_up) does.
 */
static void schedule_rebind(struct sysfs *s, unsigned ms)
{
	pid_t pid = fork();
	int null;

	if (pid > 0)
		waitpid(pid, NULL, 0);
	if (pid)
		return;
	if (setsid() < 0 || fork() != 0)
		_exit(0);
	null = open("/dev/null", O_RDWR);
	for (int fd = 0; fd < 3; fd++)
		dup2(null, fd);
	for (int fd = 3; fd < (int)sysconf(_SC_OPEN_MAX) && fd < 65536; fd++)
		if (fd != s->rootfd)
			close(fd);
	nanosleep(&(struct timespec){ ms / 1000, (long)(ms % 1000) * 1000000L }, NULL);
	apply(s, no_change, NULL, &(struct diag){ "" });
	_exit(0);
}

/*
 * Reads the state, lets change() change it, and shows the result, under the
 * lock. 0 or the -errno of change().
 */
static int apply(struct sysfs *s, int (*change)(struct ap_state *st, void *ctx), void *ctx,
		 struct diag *d)
{
	struct ap_state *st = NULL, *old = NULL;
	struct sbx_changed changed;
	bool mapped = false;
	int fd, rc;

	sbx_changed_begin(s, &changed);
	fd = sandbox_lock(s, false);
	if (fd < 0) {
		sbx_changed_end(s, &changed);
		return fd;
	}
	/* what writers killed before their rename left */
	sysfs_clean_temps(s, SANDBOX_DIR);
	rc = kernel_state(s, &st, d);
	if (!rc) {
		old = kept_state(s, st, &mapped);
		/* the rebinding that is due comes first */
		if (st->rebind_pending && st->rebind_due <= now_ms())
			kmodel_rebind(st);
		rc = old ? change(st, ctx) : -ENOMEM;
	}
	/* a mask write started the AP bus's delay */
	if (!rc && st->rebind_pending && !st->rebind_due) {
		st->rebind_due = now_ms() + st->rebind_delay_ms;
		schedule_rebind(s, st->rebind_delay_ms);
	}
	/* a remove that waits has marked its mdev: that shows too */
	if (!rc || rc == -EINPROGRESS) {
		struct changes ch;
		int drc = state_diff(old, st, &ch), src;

		src = commit(s, old, st);
		/* what it changed, for apctl watch, once it shows */
		if (!src && !drc && ch.n)
			src = sandbox_events_append(s, &ch);
		changes_free(&ch);
		rc = src ? src : rc;
	}
	if (mapped)
		memory_unmap(old);
	else
		state_free(old);
	state_free(st);
	close(fd);
	/* outside the lock: a mount's reader that waits for it may hold what the mount forgets */
	sbx_changed_end(s, &changed);
	return rc;
}

/* One write through the emulated kernel. */
struct store_ctx {
	struct sysfs *s;
	const char *attr;         /* canonical */
	const char *val;
	size_t len;
	struct kstore_answer a;
};

/* The store, under the lock: a fault waiting for it, or kstore() and what it shows. */
static int store_change(struct ap_state *st, void *ctx)
{
	struct store_ctx *c = ctx;
	char now[64] = "";
	struct kstore_write w = { c->attr, c->val, c->len, now, false };
	int rc = sandbox_take_fault(c->s, c->attr);

	if (rc)
		return rc;
	if (sysfs_read(c->s, c->attr, now, sizeof(now)) < 0)
		w.now = NULL;
	rc = kstore(st, &w, &c->a);
	if (!rc && c->a.show)
		rc = sysfs_put_str(c->s, c->attr, 0644, c->a.show);
	return rc;
}

struct removal {
	const char *uuid;
};

/* The remove that waits: done once its guest let go and the mdev is gone. */
static int removal_check(struct ap_state *st, void *ctx)
{
	struct removal *r = ctx;
	int i = state_find_mdev(st, r->uuid);

	if (i < 0)
		return 0;
	return kmodel_remove(st, (size_t)i);
}

/*
 * A remove waits until the guest lets go, as vfio_unregister_group_dev()
 * does; the mdev is marked, so that the guest letting go removes it whether
 * or not the writer still waits. Only the caller waits: no signal handler and
 * no state of the process are touched, so that writes in other threads (a
 * mount's) go on. w (or NULL: until the end) says when to stop waiting:
 * -EINTR then.
 */
static int wait_removal(struct sysfs *s, const char *attr, const struct sandbox_waiter *w,
			struct diag *d)
{
	struct removal r = { attr + strlen(MATRIX_DEV "/") };
	char uuid[UUID_STR_MAX];
	int rc = -EINPROGRESS;

	snprintf(uuid, sizeof(uuid), "%.36s", r.uuid);
	r.uuid = uuid;
	while (rc == -EINPROGRESS) {
		if (w && w->stop(w->arg))
			return -EINTR;
		nanosleep(&(struct timespec){ 0, REMOVE_POLL_MS * 1000000L }, NULL);
		rc = apply(s, removal_check, &r, d);
	}
	return rc;
}

/* Where a write lands and what the store sees, as sysfs and kernfs decide. */
static int open_attribute(struct sysfs *s, const char *rel, char *attr, size_t size)
{
	struct stat sb;
	int rc = sysfs_canonical(s, rel, attr, size);

	if (!rc)
		rc = sysfs_stat(s, attr, &sb);
	if (rc)
		return rc;
	/* kernfs refuses to open an attribute without a store function for writing */
	return S_ISREG(sb.st_mode) && (sb.st_mode & 0222) ? 0 : -EACCES;
}

int sandbox_store(void *ctx, struct sysfs *s, const char *rel, const void *buf, size_t len)
{
	char attr[PATH_MAX];
	struct store_ctx c = { s, attr, NULL, len, { 0 } };
	struct diag d;
	char *val;
	int rc;

	/* a store cut short is finished first: the kernel shows no half of one */
	rc = sandbox_catch_up(s);
	if (!rc)
		rc = open_attribute(s, rel, attr, sizeof(attr));
	if (rc || len == 0)
		return rc;
	if (len > SYSFS_PAGE_SIZE)
		return -E2BIG;
	val = malloc(len + 1);
	if (!val)
		return -ENOMEM;
	/* the store sees the bytes written; an embedded NUL ends them */
	memcpy(val, buf, len);
	val[len] = '\0';
	c.val = val;
	rc = apply(s, store_change, &c, &d);
	for (size_t i = 0; i < c.a.log.n; i++) {
		char line[1024];

		snprintf(line, sizeof(line), "%s\n", c.a.log.v[i]);
		sysfs_append(s, SANDBOX_LOG, line);
	}
	kstore_answer_free(&c.a);
	if (rc == -EINPROGRESS)
		rc = wait_removal(s, attr, ctx, &d);
	free(val);
	return rc;
}

int sandbox_catch_up(struct sysfs *s)
{
	char buf[256], *due;
	struct diag d;

	/* a store cut short, or a rebinding whose time came */
	if (!sysfs_exists(s, SANDBOX_MEMORY_NEXT)) {
		if (sysfs_read(s, SANDBOX_REBIND, buf, sizeof(buf)) <= 0)
			return 0;
		due = strstr(buf, " due=");
		if (due && strtoll(due + 5, NULL, 10) > now_ms())
			return 0;
	}
	return apply(s, no_change, NULL, &d);
}

int sandbox_learn(struct sysfs *s)
{
	struct ap_state *st = NULL;
	struct diag d;
	int fd = sandbox_lock(s, false), rc;

	if (fd < 0)
		return fd;
	rc = kernel_state(s, &st, &d);
	state_free(st);
	close(fd);
	return rc;
}

void sandbox_use_store(struct sysfs *s)
{
	sysfs_set_store(s, sandbox_store, NULL);
}

const struct root_backend sandbox_backend = {
	.marker = SANDBOX_MARKER,
	.kernel = sandbox_kernel,
	.store = sandbox_store,
	.catch_up = sandbox_catch_up,
	.lock = sandbox_lock,
	.load_private = sandbox_load_private,
};

/* ---- events from outside ---- */

struct attach_ctx {
	const char *uuid;
	bool attach;
	const char *guest;
	bool iommufd;
	struct diag *d;
};

static int do_attach(struct ap_state *st, void *arg)
{
	struct attach_ctx *c = arg;
	int i = state_find_mdev(st, c->uuid), rc;

	if (i < 0) {
		diag_set(c->d, "no mdev %s", c->uuid);
		return -ENOENT;
	}
	rc = kmodel_attach(st, (size_t)i, c->attach, c->iommufd);
	if (!rc && c->attach && c->guest)
		snprintf(st->mdevs[i].guest_name, sizeof(st->mdevs[i].guest_name), "%s", c->guest);
	if (rc == -EALREADY)
		diag_set(c->d, "mdev %s is %s", st->mdevs[i].uuid,
			 c->attach ? "already in use by a guest" : "not in use by a guest");
	if (rc == -EOPNOTSUPP) {
		char gen[KGEN_STR_MAX], since[KGEN_STR_MAX];

		diag_set(c->d, "kernel %s makes no device file of mdev %s for iommufd "
			 "(/dev/vfio/devices/, since %s): a guest uses its VFIO group",
			 kgen_format(st->kernel, gen), st->mdevs[i].uuid,
			 kgen_format(kfeature_since(KF_VFIO_CDEV), since));
	}
	return rc;
}

int sandbox_attach(struct sysfs *s, const char *uuid, bool attach, const char *guest,
		   bool iommufd, struct diag *d)
{
	struct attach_ctx c = { uuid, attach, guest, iommufd, d };

	return apply(s, do_attach, &c, d);
}

static int do_boot(struct ap_state *st, void *arg)
{
	(void)arg;
	kmodel_boot(st);
	return 0;
}

int sandbox_boot(struct sysfs *s, struct diag *d)
{
	return apply(s, do_boot, NULL, d);
}

struct host_ctx {
	bool add;
	const struct ap_matrix *ids;
	const struct card_type *type;
};

static int do_host_change(struct ap_state *st, void *arg)
{
	struct host_ctx *c = arg;

	kmodel_host_change(st, c->add, c->ids, c->type);
	return 0;
}

int sandbox_host_change(struct sysfs *s, bool add, const struct ap_matrix *ids,
			const struct card_type *type, struct diag *d)
{
	struct host_ctx c = { add, ids, type };

	return apply(s, do_host_change, &c, d);
}

struct devices_ctx {
	enum device_event what;
	bool on;
	const struct idset *adapters;
	const struct apqnset *apqns;
	struct diag *d;
};

/* One card's change; -ENODEV with the reason when it cannot be made. */
static int card_event(struct ap_state *st, unsigned a, struct devices_ctx *c)
{
	int rc = 0;

	if (!idset_has(&st->cards, a)) {
		diag_set(c->d, "there is no card %02x", a);
		return -ENODEV;
	}
	if (c->what == DEVICE_CONFIG)
		rc = kmodel_card_config(st, a, c->on);
	else if (c->what == DEVICE_CHKSTOP)
		kmodel_card_chkstop(st, a, c->on);
	else
		rc = kmodel_card_online(st, a, c->on);
	if (rc)
		diag_set(c->d, "card %02x cannot be set online: it is configured off or checkstopped",
			 a);
	return rc;
}

static int do_devices(struct ap_state *st, void *arg)
{
	struct devices_ctx *c = arg;
	int rc = 0;

	idset_foreach(a, c->adapters)
		if (!rc)
			rc = card_event(st, (unsigned)a, c);
	for (unsigned a = 0; !rc && a < IDSET_BITS; a++) {
		idset_foreach(d, &c->apqns->dom[a]) {
			if (rc)
				break;
			if (state_queue_driver(st, a, (unsigned)d) != QDRV_DEFAULT) {
				diag_set(c->d, "queue %02x.%04x is not bound to a default driver, which "
					 "alone sets queues online or offline", a, d);
				return -ENODEV;
			}
			rc = kmodel_queue_online(st, a, (unsigned)d, c->on);
			if (rc)
				diag_set(c->d, "queue %02x.%04x cannot be set online: %s", a, d,
					 rc == -EINVAL ? "its card is offline" :
					 "its card is configured off or checkstopped");
		}
	}
	return rc;
}

int sandbox_devices(struct sysfs *s, enum device_event what, bool on,
		    const struct idset *adapters, const struct apqnset *apqns, struct diag *d)
{
	struct devices_ctx c = { what, on, adapters, apqns, d };

	return apply(s, do_devices, &c, d);
}
