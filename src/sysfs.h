/* SPDX-License-Identifier: MIT */
/*
 * Root-prefixed access to sysfs and the few other files apctl uses. This is
 * the only code that opens files under the root: every path is relative to
 * one directory file descriptor, and no symlink can lead out of it.
 *
 * A value written to an attribute is one write() call, and its errno is the
 * kernel's answer. Whoever opens a root may put another store behind the
 * attribute writes (an emulated kernel); this layer only calls it.
 */
#ifndef APCTL_SYSFS_H
#define APCTL_SYSFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

struct sysfs;

/* What answers an attribute write instead of write(2): 0 or the -errno. */
typedef int (*sysfs_store_fn)(void *ctx, struct sysfs *s, const char *rel, const void *buf,
			      size_t len);
/*
 * Told of every name whose file a write of the tree takes away or replaces:
 * removed, renamed elsewhere or over, written anew, a link retargeted.
 */
typedef void (*sysfs_changed_fn)(void *ctx, int dirfd, const char *name);

struct sysfs {
	int rootfd;
	char *root;            /* as given, for messages */
	unsigned long opened;  /* files and directories opened through this layer */
	sysfs_store_fn store;  /* NULL: the kernel, through write(2) */
	void *store_ctx;
	bool verbose;          /* --verbose: every read and write traced on stderr */
	unsigned quiet;        /* > 0: nothing traced (what a store does behind a write) */
	sysfs_changed_fn changed; /* NULL: no one is told */
	void *changed_ctx;
};

/*
 * One line of the trace: op on rel, what was sent, what came back, and the
 * result (-errno, or for "list" the number of entries).
 */
void sysfs_trace(const struct sysfs *s, const char *op, const char *rel, const void *sent,
		 size_t sent_len, const void *got, size_t got_len, long rc);

/* Opens root (a directory). 0 or -errno. */
int sysfs_open(struct sysfs *s, const char *root);
void sysfs_close(struct sysfs *s);
/* Puts fn behind every sysfs_write() of s. */
void sysfs_set_store(struct sysfs *s, sysfs_store_fn fn, void *ctx);

/* root/rel for messages, in buf. */
const char *sysfs_path(const struct sysfs *s, const char *rel, char *buf, size_t size);

/*
 * openat() of rel, resolved inside the root: ".." stops at the root and an
 * absolute symlink starts from it. An fd or -errno.
 */
int sysfs_openat(struct sysfs *s, const char *rel, int flags, mode_t mode);

/*
 * fn(dirfd, name, arg) with the directory of rel opened inside the root and
 * rel's last part: for the *at() calls that have no wrapper here (fchmodat,
 * utimensat, ...), none of which may follow a final symlink. fn returns 0 or
 * -errno, which this returns.
 */
typedef int (*sysfs_at_fn)(int dirfd, const char *name, void *arg);
int sysfs_at(struct sysfs *s, const char *rel, sysfs_at_fn fn, void *arg);

/*
 * openat() of name (which may have several parts) in directory dirrel, open at
 * dirfd (from sysfs_openat(), or -1): as sysfs_openat() of dirrel/name, with
 * fewer parts to look up. An fd or -errno.
 */
int sysfs_openat_in(struct sysfs *s, int dirfd, const char *dirrel, const char *name, int flags);
/* Reads the whole attribute into buf (NUL-terminated): its length or -errno. */
ssize_t sysfs_read(struct sysfs *s, const char *rel, char *buf, size_t size);
/* The same of name in directory dirrel, open at dirfd (see sysfs_openat_in()). */
ssize_t sysfs_read_in(struct sysfs *s, int dirfd, const char *dirrel, const char *name,
		      char *buf, size_t size);
/* The same into a malloc'ed buffer; NULL with *err set on failure. */
char *sysfs_read_alloc(struct sysfs *s, const char *rel, int *err);
/*
 * The same with the length read (the text may hold NULs), read to its end
 * however the reads come (/proc's files).
 */
char *sysfs_read_bytes(struct sysfs *s, const char *rel, size_t *len, int *err);
/* Reads a decimal integer attribute: 0 or -errno (-EINVAL if malformed). */
int sysfs_read_long(struct sysfs *s, const char *rel, long *out);

/* One write of len bytes to an attribute, through the store: 0 or -errno. */
int sysfs_write(struct sysfs *s, const char *rel, const void *buf, size_t len);
/* One write() of len bytes to the file itself, whatever the store. */
int sysfs_write_file(struct sysfs *s, const char *rel, const void *buf, size_t len);

int sysfs_readlink(struct sysfs *s, const char *rel, char *buf, size_t size);
/* The same of name in an open directory. */
int sysfs_readlink_at(int dirfd, const char *name, char *buf, size_t size);
/*
 * The path of rel with every symlink resolved, relative to the root, in buf:
 * "sys/bus/ap/devices/05.0047/status" becomes
 * "sys/devices/ap/card05/05.0047/status". 0 or -errno.
 */
int sysfs_canonical(struct sysfs *s, const char *rel, char *buf, size_t size);
/* Appends text to a file, creating it: for logs. */
int sysfs_append(struct sysfs *s, const char *rel, const char *text);
bool sysfs_exists(struct sysfs *s, const char *rel);
/* root/sys is the kernel's sysfs (not a sandbox's tree or its mount) */
bool sysfs_is_kernel(struct sysfs *s);
int sysfs_stat(struct sysfs *s, const char *rel, struct stat *st);
/* stat of rel itself, a symlink not followed. */
int sysfs_lstat(struct sysfs *s, const char *rel, struct stat *st);
bool sysfs_is_dir(struct sysfs *s, const char *rel);

/*
 * Calls cb for each entry of directory rel but "." and "..", in readdir order,
 * until cb returns non-zero (which is returned). -errno if rel cannot be read.
 */
typedef int (*sysfs_list_cb)(const char *name, unsigned char type, void *ctx);
int sysfs_list(struct sysfs *s, const char *rel, sysfs_list_cb cb, void *ctx);
/* cb for each entry of the directory open at fd (or its -errno) but . and ..;
 * the first nonzero answer ends it; fd is closed */
int sysfs_dir_each(int fd, sysfs_list_cb cb, void *ctx);

/*
 * Writing a tree (for the sandbox): directories with their parents, regular
 * files replaced atomically with the given mode, symlinks, removal.
 */
int sysfs_mkdirs(struct sysfs *s, const char *rel, mode_t mode);
/* One new directory: -EEXIST when rel exists. */
int sysfs_mkdir(struct sysfs *s, const char *rel, mode_t mode);
/* An O_PATH descriptor of directory rel, for the *_at() calls below. */
int sysfs_dir(struct sysfs *s, const char *rel);
int sysfs_put_at(struct sysfs *s, int dirfd, const char *name, mode_t mode, const void *data,
		 size_t len);
/*
 * name's content replaced in place, the file made with mode if it is new:
 * fewer inodes made and freed than sysfs_put_at(), but a reader that does not
 * hold the writer's lock may find it half-written.
 */
int sysfs_rewrite_at(struct sysfs *s, int dirfd, const char *name, mode_t mode,
		     const void *data, size_t len);
int sysfs_symlink_at(int dirfd, const char *target, const char *name);
/* A symlink that replaces whatever link or file is at name. */
int sysfs_relink_at(struct sysfs *s, int dirfd, const char *target, const char *name);
/* Moves from to to, replacing it: 0 or -errno. */
int sysfs_rename_at(struct sysfs *s, int fromdir, const char *from, int todir, const char *to);
/* Removes name (not a directory) from dirfd: 0 or -errno (-ENOENT when absent). */
int sysfs_remove_at(struct sysfs *s, int dirfd, const char *name);
int sysfs_put(struct sysfs *s, const char *rel, mode_t mode, const void *data, size_t len);
int sysfs_put_str(struct sysfs *s, const char *rel, mode_t mode, const char *text);
/* As sysfs_put(), of the parts of iov one after the other. */
struct iovec;
int sysfs_put_iov(struct sysfs *s, const char *rel, mode_t mode, const struct iovec *iov, int n);
/*
 * Removes from directory rel the temporaries that a writer killed before its
 * rename left (".NAME.PID.N" of a process that is gone): 0 or -errno.
 */
int sysfs_clean_temps(struct sysfs *s, const char *rel);
/* As sysfs_put(), on disk when it returns: for configuration files. */
int sysfs_put_durable(struct sysfs *s, const char *rel, mode_t mode, const void *data, size_t len);
int sysfs_symlink(struct sysfs *s, const char *target, const char *rel);
int sysfs_rename(struct sysfs *s, const char *from, const char *to);
/* A hard link, as link(2): -EEXIST when to exists. */
int sysfs_link(struct sysfs *s, const char *from, const char *to);
int sysfs_remove(struct sysfs *s, const char *rel);
/* As sysfs_remove(), with its directory on disk when it returns: for configuration files. */
int sysfs_remove_durable(struct sysfs *s, const char *rel);
int sysfs_remove_tree(struct sysfs *s, const char *rel);

/* For tests: resolve without openat2() as on kernels that lack it. */
extern bool sysfs_force_fallback;

#endif
