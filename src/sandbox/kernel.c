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
#include <fnmatch.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kmodel.h"
#include "masksyntax.h"
#include "paths.h"
#include "sandbox.h"
#include "tree.h"

/* Sysfs attributes take at most one page per write (section 1.1). */
#define SYSFS_PAGE_SIZE 4096
/* An mdev's directory name */
#define UUID_GLOB "*-*-*-*-*"
/* How often a remove that waits for the guest looks again */
#define REMOVE_POLL_MS 50

struct kwrite {
	struct sysfs *s;
	const char *attr;    /* canonical path, relative to the root */
	const char *val;     /* what the store sees: the bytes written, NUL-terminated */
	size_t len;          /* how many bytes were written */
	struct ap_state *st; /* the kernel's state, changed by the store */
	char *log;           /* kernel log lines of this write */
	size_t loglen;
};

static void klog(struct kwrite *k, const char *line)
{
	size_t n = strlen(line);
	char *more = realloc(k->log, k->loglen + n + 2);

	if (!more)
		return;
	k->log = more;
	memcpy(k->log + k->loglen, line, n);
	k->loglen += n;
	k->log[k->loglen++] = '\n';
	k->log[k->loglen] = '\0';
}

/* Writes the attribute's own new value, for attributes that are just a number. */
static int show_value(struct kwrite *k, long long v)
{
	char text[64];

	snprintf(text, sizeof(text), "%lld\n", v);
	return sysfs_put_str(k->s, k->attr, 0644, text);
}

/* apmask_store / aqmask_store (section 3.1), and the kernel's log of the in-use check */
static int store_mask(struct kwrite *k, bool is_apmask)
{
	struct khits hits = { 0 };
	int rc = kmodel_mask_write(k->st, is_apmask, k->val, &hits, false);

	for (size_t h = 0; h < hits.n; h++) {
		char line[LOG_LINE_MAX];

		rules_log_inuse(k->st->kernel, k->st->mdevs[hits.v[h].mdev].uuid, hits.v[h].a,
				hits.v[h].d, line);
		klog(k, line);
	}
	khits_free(&hits);
	return rc;
}

static int store_apmask(struct kwrite *k)
{
	return store_mask(k, true);
}

static int store_aqmask(struct kwrite *k)
{
	return store_mask(k, false);
}

/* ap_domain_store: sscanf "%i" */
static int store_ap_domain(struct kwrite *k)
{
	long domain;

	if (sscanf(k->val, "%li", &domain) != 1)
		return -EINVAL;
	return kmodel_ap_domain(k->st, domain);
}

static int store_config_time(struct kwrite *k)
{
	int t;

	if (sscanf(k->val, "%d", &t) != 1 || t < 5 || t > 120)
		return -EINVAL;
	return show_value(k, t);
}

static int store_poll_thread(struct kwrite *k)
{
	int flag;

	if (sscanf(k->val, "%d", &flag) != 1)
		return -EINVAL;
	return show_value(k, flag != 0);
}

static int store_poll_timeout(struct kwrite *k)
{
	uint64_t t;

	if (kernel_kstrtoul(k->val, &t) || t > UINT64_C(120000000000))
		return -EINVAL;
	return show_value(k, (long long)t);
}

/* Any write rescans the bus; nothing changes in a sandbox but the count. */
static int store_scans(struct kwrite *k)
{
	long n = 0;

	sysfs_read_long(k->s, k->attr, &n);
	return show_value(k, n + 1);
}

/* driver_override of a queue (6.19, section 3.8): a trailing newline is stripped */
static int store_driver_override(struct kwrite *k)
{
	const char *dev = strrchr(k->attr, '/');
	size_t len = strlen(k->val);
	char name[DRIVER_NAME_MAX];
	unsigned a, d;

	while (dev > k->attr && dev[-1] != '/')
		dev--;
	if (sscanf(dev, "%x.%x", &a, &d) != 2 || a > IDSET_MAX_ID || d > IDSET_MAX_ID)
		return -EINVAL;
	if (len && k->val[len - 1] == '\n')
		len--;
	if (len >= sizeof(name))
		return -EINVAL;
	memcpy(name, k->val, len);
	name[len] = '\0';
	return kmodel_driver_override(k->st, a, d, name);
}

/* ---- mdevs (sections 2.4 to 4) ---- */

/* The mdev whose attribute k writes: its index in k->st. */
static int attr_mdev(struct kwrite *k)
{
	char uuid[UUID_STR_MAX];
	const char *p = k->attr + strlen(MATRIX_DEV "/");

	snprintf(uuid, sizeof(uuid), "%.36s", p);
	return state_find_mdev(k->st, uuid);
}

/* The kernel's log lines for an assignment that shares APQNs with another mdev. */
static void log_sharing(struct kwrite *k, size_t i, const struct khits *hits)
{
	for (size_t h = 0; h < hits->n; h++) {
		char line[LOG_LINE_MAX];

		rules_log_sharing(k->st->kernel, k->st->mdevs[i].uuid,
				  k->st->mdevs[hits->v[h].mdev].uuid, hits->v[h].a, hits->v[h].d,
				  line);
		klog(k, line);
	}
}

/* create_store() of the mdev core (section 2.4) */
static int store_create(struct kwrite *k)
{
	char uuid[UUID_STR_MAX];

	if (k->len < 36 || k->len > 37)
		return -EINVAL;
	snprintf(uuid, sizeof(uuid), "%.36s", k->val);
	return kmodel_create(k->st, uuid);
}

/* remove_store(): -EINPROGRESS while the write waits for the guest to let go */
static int store_remove(struct kwrite *k)
{
	int i = attr_mdev(k), rc;
	uint64_t v;

	rc = kernel_kstrtoul(k->val, &v);
	if (rc)
		return rc;
	if (!v || i < 0)
		return 0;
	return kmodel_remove(k->st, (size_t)i);
}

/* assign_* and unassign_* (sections 3.2 to 3.5, 3.10) */
static int store_assignment(struct kwrite *k, enum assign_kind kind, bool assign)
{
	struct kview_store *ks;
	struct khits hits = { 0 };
	int i = attr_mdev(k), rc;
	uint64_t id;

	if (i < 0)
		return -ENODEV;
	/* before 6.0 a guest using the mdev is EBUSY even before the value is read */
	ks = state_kview(k->st);
	if (!ks)
		return -ENOMEM;
	rc = rules_mdev_busy(&ks->k, (size_t)i);
	state_kview_free(ks);
	if (!rc)
		rc = kernel_kstrtoul(k->val, &id);
	if (!rc)
		rc = kmodel_assign(k->st, (size_t)i, kind, id, assign, &hits, false);
	if (rc == -EADDRINUSE)
		log_sharing(k, (size_t)i, &hits);
	khits_free(&hits);
	return rc;
}

/* The six assign_* and unassign_* attributes, told apart by their names */
static int store_assign(struct kwrite *k)
{
	const char *name = strrchr(k->attr, '/') + 1;

	for (int kind = ASSIGN_ADAPTER; kind <= ASSIGN_CONTROL_DOMAIN; kind++)
		for (int assign = 0; assign < 2; assign++)
			if (!strcmp(name, assign_attr_name(kind, assign)))
				return store_assignment(k, kind, assign);
	return -EOPNOTSUPP;
}

/* ap_config_store() (section 3.6): all three masks at once, all or nothing */
static int store_ap_config(struct kwrite *k)
{
	struct khits hits = { 0 };
	struct ap_matrix m;
	int i = attr_mdev(k), rc;

	if (i < 0)
		return -ENODEV;
	if (kernel_ap_config_parse(k->val, strlen(k->val), &m))
		return -EINVAL;
	rc = kmodel_ap_config(k->st, (size_t)i, &m, &hits, false);
	if (rc == -EADDRINUSE)
		log_sharing(k, (size_t)i, &hits);
	khits_free(&hits);
	return rc;
}

struct store {
	const char *pattern; /* fnmatch() of the canonical path */
	int (*fn)(struct kwrite *k);
};

static const struct store stores[] = {
	{ AP_BUS "/apmask", store_apmask },
	{ AP_BUS "/aqmask", store_aqmask },
	{ AP_BUS "/ap_domain", store_ap_domain },
	{ AP_BUS "/config_time", store_config_time },
	{ AP_BUS "/poll_thread", store_poll_thread },
	{ AP_BUS "/poll_timeout", store_poll_timeout },
	{ AP_BUS "/scans", store_scans },
	{ AP_DEVICES "/card[0-9a-f][0-9a-f]/[0-9a-f][0-9a-f].[0-9a-f][0-9a-f][0-9a-f][0-9a-f]"
		     "/driver_override", store_driver_override },
	{ MDEV_TYPE "/create", store_create },
	{ MATRIX_DEV "/" UUID_GLOB "/remove", store_remove },
	{ MATRIX_DEV "/" UUID_GLOB "/assign_*", store_assign },
	{ MATRIX_DEV "/" UUID_GLOB "/unassign_*", store_assign },
	{ MATRIX_DEV "/" UUID_GLOB "/ap_config", store_ap_config },
};

int sandbox_fault_parse(const char *line, struct sandbox_fault *f)
{
	if (line[0] == '#' ||
	    sscanf(line, "%4095s %d %d", f->pattern, &f->err, &f->countdown) != 3)
		return -EINVAL;
	return 0;
}

static int fault_line(const struct sandbox_fault *f, char *buf, size_t size)
{
	return snprintf(buf, size, "%s %d %d\n", f->pattern, f->err, f->countdown);
}

int sandbox_fault_add(struct sysfs *s, const struct sandbox_fault *f)
{
	char line[PATH_MAX + 32];

	fault_line(f, line, sizeof(line));
	return sysfs_append(s, SANDBOX_FAULTS, line);
}

/* A fault waiting for a write to attr: its errno (negative) or 0; the countdowns move on. */
static int take_fault(struct sysfs *s, const char *attr)
{
	int err = 0, hit = 0;
	char *text = sysfs_read_alloc(s, SANDBOX_FAULTS, &err), *save = NULL, *out;
	size_t len = 0, size;
	bool changed = false;

	if (!text)
		return 0;
	size = strlen(text) + 64;
	out = malloc(size);
	if (!out) {
		free(text);
		return -ENOMEM;
	}
	out[0] = '\0';
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct sandbox_fault f;

		if (sandbox_fault_parse(line, &f) || fnmatch(f.pattern, attr, 0) || hit) {
			len += (size_t)snprintf(out + len, size - len, "%s\n", line);
			continue;
		}
		changed = true;
		if (f.countdown-- <= 1)
			hit = f.err;
		else
			len += (size_t)fault_line(&f, out + len, size - len);
	}
	if (changed)
		sysfs_put(s, SANDBOX_FAULTS, 0644, out, len);
	free(out);
	free(text);
	return -hit;
}

/* ---- one store or event at a time ---- */

/* Takes the emulated kernel's lock: an fd to close, or -errno. */
static int kernel_lock(struct sysfs *s)
{
	int fd = sysfs_openat(s, SANDBOX_KERNEL_LOCK, O_RDWR | O_CREAT, 0644);

	if (fd < 0)
		return fd;
	while (flock(fd, LOCK_EX)) {
		if (errno != EINTR) {
			int rc = -errno;

			close(fd);
			return rc;
		}
	}
	return fd;
}

/* What the emulated kernel knows: the tree and its own memory. */
static int kernel_state(struct sysfs *s, struct ap_state **st, struct diag *d)
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
 * Reads the state, lets change() change it, and shows the result, under the
 * lock. 0 or the -errno of change().
 */
static int apply(struct sysfs *s, int (*change)(struct ap_state *st, void *ctx), void *ctx,
		 struct diag *d)
{
	struct ap_state *st = NULL, *old = NULL;
	int fd = kernel_lock(s), rc;

	if (fd < 0)
		return fd;
	rc = kernel_state(s, &st, d);
	if (!rc) {
		old = state_dup(st);
		rc = old ? change(st, ctx) : -ENOMEM;
	}
	/* a remove that waits has marked its mdev: that shows too */
	if (!rc || rc == -EINPROGRESS) {
		int src = sbx_sync(s, old, st);

		rc = src ? src : rc;
	}
	state_free(old);
	state_free(st);
	close(fd);
	return rc;
}

static int store_change(struct ap_state *st, void *ctx)
{
	struct kwrite *k = ctx;
	int i;

	i = take_fault(k->s, k->attr);
	if (i)
		return i;
	k->st = st;
	for (i = 0; i < (int)(sizeof(stores) / sizeof(stores[0])); i++)
		if (!fnmatch(stores[i].pattern, k->attr, FNM_PATHNAME))
			break;
	/* a writable attribute the emulation does not cover */
	if (i == (int)(sizeof(stores) / sizeof(stores[0])))
		return -EOPNOTSUPP;
	i = stores[i].fn(k);
	k->st = NULL;
	return i;
}

static volatile sig_atomic_t stop_waiting;

static void on_term(int sig)
{
	(void)sig;
	stop_waiting = 1;
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
 * A remove waits until the guest lets go, as vfio_unregister_group_dev() does;
 * SIGTERM ends the wait (-EINTR) and leaves the mdev marked, so that the
 * guest letting go removes it.
 */
static int wait_removal(struct sysfs *s, const char *attr, struct diag *d)
{
	struct removal r = { attr + strlen(MATRIX_DEV "/") };
	struct sigaction sa = { .sa_handler = on_term }, old;
	char uuid[UUID_STR_MAX];
	int rc = -EINPROGRESS;

	snprintf(uuid, sizeof(uuid), "%.36s", r.uuid);
	r.uuid = uuid;
	stop_waiting = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, &old);
	while (rc == -EINPROGRESS && !stop_waiting) {
		nanosleep(&(struct timespec){ 0, REMOVE_POLL_MS * 1000000L }, NULL);
		rc = apply(s, removal_check, &r, d);
	}
	sigaction(SIGTERM, &old, NULL);
	return rc == -EINPROGRESS ? -EINTR : rc;
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
	struct kwrite k = { .s = s, .attr = attr, .len = len };
	struct diag d;
	char *val;
	int rc = open_attribute(s, rel, attr, sizeof(attr));

	(void)ctx;
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
	k.val = val;
	rc = apply(s, store_change, &k, &d);
	if (k.log)
		sysfs_append(s, SANDBOX_LOG, k.log);
	if (rc == -EINPROGRESS)
		rc = wait_removal(s, attr, &d);
	free(k.log);
	free(val);
	return rc;
}

void sandbox_use_store(struct sysfs *s)
{
	sysfs_set_store(s, sandbox_store, NULL);
}

/* ---- events from outside ---- */

struct attach_ctx {
	const char *uuid;
	bool attach;
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
	rc = kmodel_attach(st, (size_t)i, c->attach);
	if (rc == -EALREADY)
		diag_set(c->d, "mdev %s is %s", st->mdevs[i].uuid,
			 c->attach ? "already in use by a guest" : "not in use by a guest");
	return rc;
}

int sandbox_attach(struct sysfs *s, const char *uuid, bool attach, struct diag *d)
{
	struct attach_ctx c = { uuid, attach, d };

	return apply(s, do_attach, &c, d);
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
