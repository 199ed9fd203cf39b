/* SPDX-License-Identifier: MIT */
/* The sysfs layer: all I/O inside the root, with and without openat2(). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox.h"
#include "sysfs.h"
#include "tap.h"

static char top[64];

/* Runs a shell command in the test's top directory. */
static void sh(const char *cmd)
{
	char full[1024];

	snprintf(full, sizeof(full), "cd '%s' && %s", top, cmd);
	if (system(full))
		printf("# command failed: %s\n", full);
}

static char stored[64];

static int recording_store(void *ctx, struct sysfs *s, const char *rel, const void *buf,
			   size_t len)
{
	(void)ctx;
	(void)s;
	snprintf(stored, sizeof(stored), "%s=%.*s", rel, (int)len, (const char *)buf);
	return -EPROTO;
}

static int count_entry(const char *name, unsigned char type, void *ctx)
{
	(void)name;
	(void)type;
	++*(int *)ctx;
	return 0;
}

static void resolution(bool fallback)
{
	const char *how = fallback ? "without openat2" : "with openat2";
	struct sysfs s;
	char buf[256], root[128];
	ssize_t n;

	sysfs_force_fallback = fallback;
	snprintf(root, sizeof(root), "%s/root", top);
	ok(sysfs_open(&s, root) == 0, "open the root (%s)", how);
	n = sysfs_read(&s, "sys/a/file", buf, sizeof(buf));
	ok(n == 6 && !strcmp(buf, "hello\n"), "a plain read (%s)", how);
	n = sysfs_read(&s, "sys/link-abs/file", buf, sizeof(buf));
	ok(n == 6 && !strcmp(buf, "hello\n"), "an absolute symlink starts at the root (%s)", how);
	n = sysfs_read(&s, "sys/link-up/passwd", buf, sizeof(buf));
	ok(n > 0 && !strcmp(buf, "inside\n"), "'..' in a symlink stops at the root (%s)", how);
	n = sysfs_read(&s, "sys/esc/secret", buf, sizeof(buf));
	is_int(n, -ENOENT, "a symlink cannot reach out of the root (%s)", how);
	n = sysfs_read(&s, "../outside/secret", buf, sizeof(buf));
	is_int(n, -ENOENT, "'..' cannot leave the root (%s)", how);
	n = sysfs_read(&s, "/etc/passwd", buf, sizeof(buf));
	ok(n > 0 && !strcmp(buf, "inside\n"), "an absolute path is inside the root (%s)", how);
	n = sysfs_read(&s, "sys/loop/x", buf, sizeof(buf));
	is_int(n, -ELOOP, "a symlink loop is reported (%s)", how);
	n = sysfs_read(&s, "sys/missing", buf, sizeof(buf));
	is_int(n, -ENOENT, "a missing file (%s)", how);
	ok(sysfs_is_dir(&s, "sys/link-abs"), "a symlink to a directory is a directory (%s)", how);
	ok(sysfs_is_dir(&s, ""), "the root itself (%s)", how);
	ok(!sysfs_exists(&s, "sys/esc/secret"), "exists() is confined too (%s)", how);
	{
		char target[256];

		ok(sysfs_readlink(&s, "sys/link-abs", target, sizeof(target)) == 0 &&
			   !strcmp(target, "/sys/a"),
		   "readlink gives the link itself (%s)", how);
	}
	sysfs_close(&s);
}

int main(void)
{
	struct sysfs s;
	char buf[256], root[128], sbx[128];
	int n;

	snprintf(top, sizeof(top), "/tmp/apctl-test-sysfs.XXXXXX");
	if (!mkdtemp(top))
		return 1;
	sh("mkdir -p root/sys/a root/etc outside");
	sh("echo hello > root/sys/a/file; echo inside > root/etc/passwd; echo secret > "
	   "outside/secret");
	sh("ln -s /sys/a root/sys/link-abs; ln -s ../../../../etc root/sys/link-up");
	sh("ln -s ../../outside root/sys/esc; ln -s loop root/sys/loop");

	resolution(false);
	resolution(true);
	sysfs_force_fallback = false;

	/* writing a tree */
	snprintf(root, sizeof(root), "%s/root", top);
	ok(sysfs_open(&s, root) == 0, "open the root again");
	ok(sysfs_mkdirs(&s, "x/y/z", 0755) == 0 && sysfs_is_dir(&s, "x/y/z"), "mkdirs");
	ok(sysfs_mkdirs(&s, "", 0755) == 0 && sysfs_mkdirs(&s, "/", 0755) == 0,
	   "mkdirs of the root itself does nothing");
	ok(sysfs_mkdirs(&s, "//x//y2///", 0755) == 0 && sysfs_is_dir(&s, "x/y2"),
	   "mkdirs skips empty parts");
	is_int(sysfs_mkdir(&s, "x/y2", 0755), -EEXIST, "mkdir of an existing directory: EEXIST");
	ok(sysfs_mkdirs(&s, "x/y/z", 0755) == 0, "mkdirs of an existing directory");
	ok(sysfs_put_str(&s, "x/y/z/attr", 0444, "0x41\n") == 0, "put");
	ok(sysfs_read(&s, "x/y/z/attr", buf, sizeof(buf)) == 5 && !strcmp(buf, "0x41\n"),
	   "read what was put");
	{
		struct stat st;

		snprintf(buf, sizeof(buf), "%s/root/x/y/z/attr", top);
		ok(stat(buf, &st) == 0 && (st.st_mode & 07777) == 0444, "put sets the mode exactly");
	}
	ok(sysfs_put_str(&s, "x/y/z/attr", 0644, "new\n") == 0, "put replaces");
	ok(sysfs_read(&s, "x/y/z/attr", buf, sizeof(buf)) == 4, "replaced");
	ok(sysfs_symlink(&s, "../../y", "x/y/z/up") == 0, "symlink");
	ok(sysfs_put_str(&s, "sys/esc/planted", 0644, "x") == -ENOENT,
	   "put cannot write out of the root");
	{
		struct stat st;

		snprintf(buf, sizeof(buf), "%s/outside/planted", top);
		ok(stat(buf, &st) != 0, "nothing was planted outside");
	}
	n = 0;
	ok(sysfs_list(&s, "x/y/z", count_entry, &n) == 0 && n == 2, "list sees 2 entries");
	ok(sysfs_rename(&s, "x/y/z/attr", "x/y/attr2") == 0 && sysfs_exists(&s, "x/y/attr2"),
	   "rename");
	ok(sysfs_remove(&s, "x/y/attr2") == 0 && !sysfs_exists(&s, "x/y/attr2"), "remove");
	ok(sysfs_remove_tree(&s, "x") == 0 && !sysfs_exists(&s, "x"), "remove a tree");
	{
		long v;

		sysfs_put_str(&s, "num", 0644, "255\n");
		ok(sysfs_read_long(&s, "num", &v) == 0 && v == 255, "read a number");
		sysfs_put_str(&s, "num", 0644, "25x\n");
		ok(sysfs_read_long(&s, "num", &v) == -EINVAL, "a malformed number");
	}
	/* a write is one write() at offset 0, as to sysfs */
	sysfs_put_str(&s, "attr", 0644, "xxxxxx");
	ok(sysfs_write(&s, "attr", "ab", 2) == 0, "write");
	ok(sysfs_read(&s, "attr", buf, sizeof(buf)) == 6 && !strncmp(buf, "abxxxx", 6),
	   "the write went to offset 0 without truncating");
	{
		char *big = malloc(100000);
		int err = 0;

		memset(big, 'a', 99999);
		big[99999] = '\0';
		sysfs_put_str(&s, "big", 0444, big);
		free(big);
		big = sysfs_read_alloc(&s, "big", &err);
		ok(big && strlen(big) == 99999, "read_alloc of a large file");
		free(big);
		big = sysfs_read_alloc(&s, "nothing-here", &err);
		ok(!big && err == -ENOENT, "read_alloc of a missing file");
	}
	ok(s.opened > 0, "opens are counted (%lu)", s.opened);
	/* a store put behind the writes by whoever opened the root */
	sysfs_set_store(&s, recording_store, NULL);
	ok(sysfs_put_str(&s, "attr", 0644, "0x41\n") == 0, "an attribute");
	is_int(sysfs_write(&s, "attr", "7\n", 2), -EPROTO, "a store answers writes");
	ok(!strcmp(stored, "attr=7\n"), "and sees the attribute and the bytes");
	ok(sysfs_read(&s, "attr", buf, sizeof(buf)) == 5 && !strcmp(buf, "0x41\n"),
	   "the file itself is left to the store");
	is_int(sysfs_write_file(&s, "attr", "7\n", 2), 0, "write_file bypasses the store");
	sysfs_close(&s);

	/* a sandbox: writes go to the emulated kernel, which checks what kernfs checks */
	snprintf(sbx, sizeof(sbx), "%s/sbx", top);
	sh("mkdir -p sbx/sys && echo kernel=6.19 > sbx/apctl-sandbox");
	sh("echo 1 > sbx/sys/ro && chmod 0444 sbx/sys/ro && echo 1 > sbx/sys/rw");
	ok(sysfs_open(&s, sbx) == 0 && sandbox_is(&s), "a marker makes a sandbox");
	sandbox_use_store(&s);
	is_int(sysfs_write(&s, "sys/ro", "1\n", 2), -EACCES, "a read-only attribute: EACCES");
	is_int(sysfs_write(&s, "sys/missing", "1\n", 2), -ENOENT, "a missing attribute: ENOENT");
	{
		char page[4097];

		memset(page, '1', sizeof(page));
		is_int(sysfs_write(&s, "sys/rw", page, sizeof(page)), -E2BIG,
		       "more than a page: E2BIG");
	}
	is_int(sysfs_write(&s, "sys/rw", "", 0), 0, "an empty write never reaches the store");
	ok(!sysfs_is_kernel(&s), "a sandbox's sys is not the kernel's sysfs");
	sysfs_close(&s);

	/* the kernel's own sysfs, by its file system type */
	ok(sysfs_open(&s, "/") == 0 && sysfs_is_kernel(&s), "/sys is the kernel's sysfs");
	sysfs_close(&s);

	sh("cd / && rm -rf \"$OLDPWD\"");
	return done_testing();
}
