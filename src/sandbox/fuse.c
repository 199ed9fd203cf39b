/* SPDX-License-Identifier: MIT */
/*
 * The sandbox as a file system (libfuse3): directory listings, links and
 * reads show the sandbox's tree as it is; a write(2) to an attribute under
 * sys/ goes to the emulated kernel and answers with its errno, in one piece,
 * as sysfs does. The kernel keeps names, and where the mount shows sysfs
 * alone attributes, the contents of attributes read and links too, which
 * every store makes it forget for what the store took away or changed
 * (notify.c); elsewhere contents are read at every read.
 * Files outside sys/ (mdevctl's definitions, udev rules, locks) are plain
 * files of the sandbox directory.
 */
#define FUSE_USE_VERSION 31

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "sandbox.h"
#include "tree.h"

/* The flags of an open that are passed on to the file. */
#define OPEN_FLAGS (O_ACCMODE | O_APPEND | O_TRUNC | O_EXCL | O_NONBLOCK | O_DSYNC | O_SYNC)

/* What sysfs reports as the size of every attribute. */
#define SYSFS_ATTR_SIZE 4096

struct sandbox_fs {
	struct sysfs s;          /* the sandbox, its emulated kernel as the store */
	const char *base;        /* what the mount shows: "" (all) or "sys" */
	struct fuse *fuse;
	char *mountpoint;
	bool signals;            /* its signal handlers are set */
	struct sandbox_waiter waiter; /* when a write that waits stops */
	atomic_int open_dirs;    /* directories opened and not yet released */
	bool keep;               /* the kernel keeps attributes and contents: only stores change them */
	struct sbx_listener *listener; /* told by every store what it changed */
};

/* How long the kernel keeps the attributes of what a store has not taken away */
#define KEEP_SECS 3600

static struct sandbox_fs *fs_of(void)
{
	return fuse_get_context()->private_data;
}

/* The path relative to the sandbox for a path of the mount ("/bus/ap"). */
static void rel_of(const char *path, char *rel, size_t size)
{
	const char *base = fs_of()->base;

	while (*path == '/')
		path++;
	if (!*base)
		snprintf(rel, size, "%s", *path ? path : ".");
	else
		snprintf(rel, size, "%s%s%s", base, *path ? "/" : "", path);
}

/* Whether rel is an attribute of the emulated sysfs. */
static bool in_sysfs(const char *rel)
{
	return !strcmp(rel, "sys") || !strncmp(rel, "sys/", 4);
}

#define REL(path)                                 \
	char rel[PATH_MAX];                       \
	rel_of(path, rel, sizeof(rel))

static int fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	int rc;

	REL(path);
	(void)fi;
	rc = sysfs_lstat(&fs_of()->s, rel, st);
	if (rc)
		return rc;
	/*
	 * sysfs says 4096 bytes of every attribute; a mount whose kernel keeps
	 * contents says their length, which the kernel's page cache reads as
	 * the file's end
	 */
	if (in_sysfs(rel) && S_ISREG(st->st_mode) && !fs_of()->keep)
		st->st_size = SYSFS_ATTR_SIZE;
	/* a queue's driver link may share its inode with others' (sbx_park_ready()) */
	if (in_sysfs(rel) && S_ISLNK(st->st_mode))
		st->st_nlink = 1;
	return 0;
}

static int fs_readlink(const char *path, char *buf, size_t size)
{
	int rc;

	REL(path);
	rc = sysfs_readlink(&fs_of()->s, rel, buf, size);
	/*
	 * nothing leads a caller out of the sandbox: no absolute link (a caller
	 * would follow it on its own system), no ".." above the mount's top
	 */
	return !rc && (*buf == '/' || sbx_link_climbs_out(rel + strlen(fs_of()->base), buf)) ?
		       -EACCES : rc;
}

struct filler {
	void *buf;
	fuse_fill_dir_t fill;
};

static int fill_entry(const char *name, unsigned char type, void *filler)
{
	struct filler *f = filler;

	(void)type;
	/* a full buffer ends the listing, as readdir(3) does */
	return f->fill(f->buf, name, NULL, 0, 0) ? 1 : 0;
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct filler f = { buf, fill };
	int fd, rc;

	REL(path);
	(void)off;
	(void)fi;
	(void)flags;
	fd = sysfs_openat(&fs_of()->s, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
	if (fd < 0)
		return fd;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	rc = sysfs_dir_each(fd, fill_entry, &f);
	return rc < 0 ? rc : 0;
}

/*
 * kernfs opens an attribute for reading only if it can be read, for writing
 * only if it can be written, whoever asks (root too); so does this, by its
 * mode. The kernel has checked the caller's permissions (default_permissions).
 * Where the mount keeps contents, an attribute opened for reading alone is
 * read through the kernel's page cache, which a store empties of what it
 * changes (forget()); else every read and write goes to the file as it is.
 */
static int fs_open(const char *path, struct fuse_file_info *fi)
{
	int acc = fi->flags & O_ACCMODE, fd;
	struct stat st;

	REL(path);
	fi->direct_io = 1;
	if (!in_sysfs(rel)) {
		fd = sysfs_openat(&fs_of()->s, rel, (fi->flags & OPEN_FLAGS) | O_NOFOLLOW, 0);
		if (fd < 0)
			return fd;
		fi->fh = (uint64_t)fd;
		return 0;
	}
	fd = sysfs_openat(&fs_of()->s, rel, (acc == O_WRONLY ? O_PATH : O_RDONLY) | O_NOFOLLOW, 0);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) || (acc != O_RDONLY && !(st.st_mode & 0222)) ||
	    (acc != O_WRONLY && !(st.st_mode & 0444))) {
		close(fd);
		return -EACCES;
	}
	fi->fh = (uint64_t)fd;
	fi->direct_io = !(fs_of()->keep && acc == O_RDONLY);
	fi->keep_cache = !fi->direct_io;
	return 0;
}

static int fs_read(const char *path, char *buf, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	/* a store writes in place: an attribute is read between stores */
	int lock = sandbox_lock(&fs_of()->s, true);
	ssize_t n;

	(void)path;
	n = pread((int)fi->fh, buf, size, off);
	if (lock >= 0)
		close(lock);
	return n < 0 ? -errno : (int)n;
}

/* One write() to an attribute is one store of the emulated kernel, wherever it says it starts. */
static int fs_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	ssize_t n;
	int rc;

	REL(path);
	if (in_sysfs(rel)) {
		rc = sysfs_write(&fs_of()->s, rel, buf, size);
		return rc ? rc : (int)size;
	}
	n = pwrite((int)fi->fh, buf, size, off);
	return n < 0 ? -errno : (int)n;
}

/*
 * Directories are counted: their releases come after the program that read
 * them has ended, and the end of the serving waits for them.
 */
static int fs_opendir(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	(void)fi;
	atomic_fetch_add(&fs_of()->open_dirs, 1);
	return 0;
}

static int fs_releasedir(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	(void)fi;
	atomic_fetch_sub(&fs_of()->open_dirs, 1);
	return 0;
}

static int fs_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	close((int)fi->fh);
	return 0;
}

/* sysfs ignores O_TRUNC; a plain file is cut. */
static int fs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	int fd, rc;

	REL(path);
	(void)fi;
	if (in_sysfs(rel))
		return 0;
	fd = sysfs_openat(&fs_of()->s, rel, O_WRONLY | O_NOFOLLOW, 0);
	if (fd < 0)
		return fd;
	rc = ftruncate(fd, size) ? -errno : 0;
	close(fd);
	return rc;
}

/* sysfs makes no file (EACCES). */
static int fs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	int fd;

	REL(path);
	if (in_sysfs(rel))
		return -EACCES;
	/* openat2() takes no file type in the mode, and no flag it does not know */
	fd = sysfs_openat(&fs_of()->s, rel, (fi->flags & OPEN_FLAGS) | O_CREAT | O_NOFOLLOW,
			  mode & 07777);
	if (fd < 0)
		return fd;
	fi->fh = (uint64_t)fd;
	fi->direct_io = 1;
	return 0;
}

static int at_mkdir(int dirfd, const char *name, void *mode)
{
	return mkdirat(dirfd, name, *(mode_t *)mode & 07777) ? -errno : 0;
}

static int fs_mkdir(const char *path, mode_t mode)
{
	REL(path);
	return in_sysfs(rel) ? -EPERM : sysfs_at(&fs_of()->s, rel, at_mkdir, &mode);
}

static int at_unlink(int dirfd, const char *name, void *flags)
{
	return unlinkat(dirfd, name, *(int *)flags) ? -errno : 0;
}

/* sysfs removes nothing (EPERM); a plain file or directory (flags AT_REMOVEDIR) is removed. */
static int remove_entry(const char *path, int flags)
{
	REL(path);
	return in_sysfs(rel) ? -EPERM : sysfs_at(&fs_of()->s, rel, at_unlink, &flags);
}

static int fs_unlink(const char *path)
{
	return remove_entry(path, 0);
}

static int fs_rmdir(const char *path)
{
	return remove_entry(path, AT_REMOVEDIR);
}

static int fs_symlink(const char *target, const char *path)
{
	REL(path);
	return in_sysfs(rel) ? -EPERM : sysfs_symlink(&fs_of()->s, target, rel);
}

/* Both paths relative to the sandbox: sysfs renames and links nothing (EPERM). */
static int rels_of(const char *from, const char *to, char *rfrom, char *rto)
{
	rel_of(from, rfrom, PATH_MAX);
	rel_of(to, rto, PATH_MAX);
	return in_sysfs(rfrom) || in_sysfs(rto) ? -EPERM : 0;
}

static int fs_rename(const char *from, const char *to, unsigned int flags)
{
	char rfrom[PATH_MAX], rto[PATH_MAX];
	int rc = rels_of(from, to, rfrom, rto);

	return rc ? rc : flags ? -EINVAL : sysfs_rename(&fs_of()->s, rfrom, rto);
}

static int fs_link(const char *from, const char *to)
{
	char rfrom[PATH_MAX], rto[PATH_MAX];
	int rc = rels_of(from, to, rfrom, rto);

	return rc ? rc : sysfs_link(&fs_of()->s, rfrom, rto);
}

static int at_chmod(int dirfd, const char *name, void *mode)
{
	return fchmodat(dirfd, name, *(mode_t *)mode, AT_SYMLINK_NOFOLLOW) ? -errno : 0;
}

/* The kernel lets only the owner (root) or root change modes and owners (default_permissions). */
static int fs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	REL(path);
	(void)fi;
	return sysfs_at(&fs_of()->s, rel, at_chmod, &mode);
}

struct owner {
	uid_t uid;
	gid_t gid;
};

static int at_chown(int dirfd, const char *name, void *o)
{
	const struct owner *w = o;

	return fchownat(dirfd, name, w->uid, w->gid, AT_SYMLINK_NOFOLLOW) ? -errno : 0;
}

static int fs_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	struct owner o = { uid, gid };

	REL(path);
	(void)fi;
	return sysfs_at(&fs_of()->s, rel, at_chown, &o);
}

static int at_utimens(int dirfd, const char *name, void *tv)
{
	return utimensat(dirfd, name, tv, AT_SYMLINK_NOFOLLOW) ? -errno : 0;
}

static int fs_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	REL(path);
	(void)fi;
	return sysfs_at(&fs_of()->s, rel, at_utimens, (void *)tv);
}

static int fs_statfs(const char *path, struct statvfs *st)
{
	(void)path;
	return fstatvfs(fs_of()->s.rootfd, st) ? -errno : 0;
}

static void *fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	struct sandbox_fs *fs = fuse_get_context()->private_data;

	/*
	 * The kernel keeps names, so that a path is not looked up part by part
	 * each time, never a name that is not there. A kept name of what a
	 * store removed asks for its attributes, and is told that it is gone:
	 * at once where attributes are not kept (a mount of the whole sandbox,
	 * whose plain files anyone may change), and where they are (sysfs
	 * alone, which only stores change), once the store has told the mount
	 * what it changed (forget()). That mount lets the kernel keep the
	 * contents of attributes and links too, forgotten the same way.
	 */
	cfg->entry_timeout = KEEP_SECS;
	cfg->attr_timeout = fs->keep ? KEEP_SECS : 0;
	cfg->negative_timeout = 0;
	cfg->kernel_cache = 0;
	/* fs_open() says which opens read through the kernel's cache */
	cfg->direct_io = 0;
	cfg->nullpath_ok = 0;
	if (fs->keep && (conn->capable & FUSE_CAP_CACHE_SYMLINKS))
		conn->want |= FUSE_CAP_CACHE_SYMLINKS;
	return fs;
}

static const struct fuse_operations ops = {
	.init = fs_init,
	.getattr = fs_getattr,
	.readlink = fs_readlink,
	.opendir = fs_opendir,
	.readdir = fs_readdir,
	.releasedir = fs_releasedir,
	.open = fs_open,
	.read = fs_read,
	.write = fs_write,
	.release = fs_release,
	.truncate = fs_truncate,
	.create = fs_create,
	.mkdir = fs_mkdir,
	.unlink = fs_unlink,
	.rmdir = fs_rmdir,
	.symlink = fs_symlink,
	.rename = fs_rename,
	.link = fs_link,
	.chmod = fs_chmod,
	.chown = fs_chown,
	.utimens = fs_utimens,
	.statfs = fs_statfs,
};

/*
 * A write that waits (a remove while a guest holds the mdev) stops when its
 * caller gives up (a signal interrupts the request) or the server ends:
 * only that caller waits.
 */
static bool fs_stop(void *arg)
{
	struct sandbox_fs *fs = arg;

	return fuse_interrupted() || fuse_session_exited(fuse_get_session(fs->fuse));
}

struct forgetting {
	struct sandbox_fs *fs;
	const char *dir;
};

/* The entries of dir and all below them forgotten. */
static void forget_entries(struct sandbox_fs *fs, const char *dir);

static int forget_entry(const char *name, unsigned char type, void *ctx)
{
	const struct forgetting *f = ctx;
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "%s/%s", f->dir, name);
	fuse_invalidate_path(f->fs->fuse, rel + strlen(f->fs->base));
	if (type == DT_DIR)
		forget_entries(f->fs, rel);
	return 0;
}

static void forget_entries(struct sandbox_fs *fs, const char *dir)
{
	struct forgetting f = { fs, dir };
	int fd = sysfs_openat(&fs->s, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);

	if (fd >= 0)
		sysfs_dir_each(fd, forget_entry, &f);
}

/* sbx_forget_fn: the kernel asks again for the attributes of rel (NULL: of all it may keep). */
static void forget(void *ctx, const char *rel)
{
	struct sandbox_fs *fs = ctx;
	size_t n = strlen(fs->base);

	if (!rel)
		forget_entries(fs, fs->base);
	else if (!strncmp(rel, fs->base, n) && (!rel[n] || rel[n] == '/'))
		fuse_invalidate_path(fs->fuse, rel[n] ? rel + n : "/");
}

int sandbox_fs_open(struct sandbox_fs **out, const char *dir, const char *base,
		    const char *mountpoint, bool allow_other, struct diag *d)
{
	/*
	 * the kernel checks every caller's permissions, as it does on sysfs;
	 * others see the mount only where asked for
	 */
	char name[] = "apctl", o[] = "-o", opts[128];
	char *argv[] = { name, o, opts, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct sandbox_fs *fs = calloc(1, sizeof(*fs));
	int rc = fs ? sysfs_open(&fs->s, dir) : -ENOMEM;

	snprintf(opts, sizeof(opts), "default_permissions,%sfsname=apctl-sandbox,subtype=apctl",
		 allow_other ? "allow_other," : "");
	if (rc) {
		diag_set(d, "cannot open the sandbox %s: %s", dir, strerror(-rc));
		free(fs);
		return rc;
	}
	fs->waiter = (struct sandbox_waiter){ fs_stop, fs };
	sysfs_set_store(&fs->s, sandbox_store, &fs->waiter);
	/* a store that a killed file system process left unfinished is finished first */
	sandbox_catch_up(&fs->s);
	fs->base = base;
	/* sysfs alone changes only by stores, which tell the mount what they change */
	fs->keep = *base != '\0';
	fs->mountpoint = strdup(mountpoint);
	fs->fuse = fs->mountpoint ? fuse_new(&args, &ops, sizeof(ops), fs) : NULL;
	/* fuse_new() may have copied the arguments into memory of its own */
	fuse_opt_free_args(&args);
	if (fs->fuse && fs->keep && (rc = sbx_listen(&fs->s, forget, fs, &fs->listener)))
		fs->keep = false;
	if (!fs->fuse || fuse_mount(fs->fuse, mountpoint)) {
		diag_set(d, "cannot mount the sandbox %s at %s with FUSE (is /dev/fuse there, and "
			 "are you root?)", dir, mountpoint);
		sbx_listen_stop(fs->listener);
		if (fs->fuse)
			fuse_destroy(fs->fuse);
		sysfs_close(&fs->s);
		free(fs->mountpoint);
		free(fs);
		return -EIO;
	}
	*out = fs;
	return 0;
}

int sandbox_fs_serve(struct sandbox_fs *fs)
{
	return fuse_loop_mt(fs->fuse, 0);
}

int sandbox_fs_signals(struct sandbox_fs *fs)
{
	int rc = fuse_set_signal_handlers(fuse_get_session(fs->fuse));

	fs->signals = !rc;
	return rc;
}

void sandbox_fs_unmount(struct sandbox_fs *fs)
{
	/*
	 * The kernel sends a directory's release after its last user closed
	 * it; ended before, the serving would leave the handle's memory behind.
	 * Up to a second for them (a process left running may keep one open).
	 */
	for (int ms = 0; ms < 1000 && atomic_load(&fs->open_dirs) > 0; ms += 5)
		usleep(5000);
	fuse_exit(fs->fuse);
	fuse_unmount(fs->fuse);
}

void sandbox_fs_close(struct sandbox_fs *fs)
{
	if (!fs)
		return;
	sbx_listen_stop(fs->listener);
	if (fs->signals)
		fuse_remove_signal_handlers(fuse_get_session(fs->fuse));
	fuse_unmount(fs->fuse);
	fuse_destroy(fs->fuse);
	sysfs_close(&fs->s);
	free(fs->mountpoint);
	free(fs);
}
