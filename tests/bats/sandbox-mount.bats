#!/usr/bin/env bats
# apctl sandbox mount as a mount that is safe to leave up: the kernel checks
# every caller as on sysfs, others see it only when asked, nothing leads out
# of the sandbox, and a removal that waits blocks its caller only. The errno
# expected of the mount is the one the system's own sysfs gives for the same
# operation (evidence from the kernel, not from apctl). These need root,
# /dev/fuse and setpriv, which CI has; they fail rather than skip without them.

load helpers

U1=62177883-f1bb-47f0-914d-32a22e3a8804
U2=cef03c3c-903d-4ecc-9a83-40694cb8aee4

setup() {
	make_sandbox
	MP=$(others_dir)/mnt
	mkdir -p "$MP"
}

teardown() {
	others_cleanup
}

# COMMAND run by sh as nobody.
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "$1"
}

# The message of the errno that COMMAND (as nobody, or as root with "root")
# fails with: the text after the last ": ", or "ok".
errno_of() {
	local out
	if [ "$1" = root ]; then
		out=$(sh -c "$2" 2>&1) && { echo ok; return; }
	else
		out=$(as_nobody "$1" 2>&1) && { echo ok; return; }
	fi
	echo "${out##*: }"
}

# A root-owned attribute of mode 644 and its directory on the system's sysfs.
real_attr() {
	find /sys/kernel -maxdepth 1 -type f -user root -perm 644 | head -n 1
}

@test "another user on an --allow-other mount: reads work; what sysfs refuses is refused with its errno" {
	local real dir attr=$MP/sys/bus/ap/apmask sdir=$MP/sys/bus/ap
	real=$(real_attr)
	dir=$(dirname "$real")
	[ -n "$real" ]
	run -0 apctl sandbox mount --allow-other "$SBX" "$MP"
	run -0 as_nobody "cat '$attr'"
	assert_output "$ALL_ONES"
	run -0 as_nobody "ls '$sdir/devices' | head -n 1"
	assert_output "05.0004"
	# nobody: each operation as the system's sysfs answers it
	for op in "echo 1 > F" "chmod 666 F" "chown 65534 F" "rm -f F" "mv F D/moved" \
		"ln -s /etc/passwd D/planted" "ln F D/hard" "mkdir D/new" "touch D/new"; do
		local want got
		want=$(errno_of "$(echo "$op" | sed "s|F|$real|g; s|D|$dir|g")")
		got=$(errno_of "$(echo "$op" | sed "s|F|$attr|g; s|D|$sdir|g")")
		echo "nobody: $op: sysfs says '$want', the mount '$got'"
		[ "$want" != ok ]
		[ "$got" = "$want" ]
	done
	# root: what sysfs refuses to root too (nothing of the system's sysfs changes)
	for op in "rm -f F" "mv F D/moved" "ln -s /etc/passwd D/planted" "mkdir D/new" \
		"touch D/new"; do
		local want got
		want=$(errno_of root "$(echo "$op" | sed "s|F|$real|g; s|D|$dir|g")")
		got=$(errno_of root "$(echo "$op" | sed "s|F|$attr|g; s|D|$sdir|g")")
		echo "root: $op: sysfs says '$want', the mount '$got'"
		[ "$want" != ok ]
		[ "$got" = "$want" ]
	done
	# a write-only attribute is read by nobody, root included
	run -1 as_nobody "cat '$MP/$TYPE_DIR/create'"
	assert_output --partial "Permission denied"
	# nothing changed
	assert_equal "$(cat "$SBX/sys/bus/ap/apmask")" "$ALL_ONES"
	assert_equal "$(stat -c '%a %u' "$SBX/sys/bus/ap/apmask")" "644 0"
	[ ! -e "$SBX/sys/bus/ap/moved" ] && [ ! -e "$SBX/sys/bus/ap/planted" ] &&
		[ ! -e "$SBX/sys/bus/ap/new" ] && [ ! -e "$SBX/sys/bus/ap/hard" ]
	run -0 apctl sandbox umount "$MP"
}

@test "without --allow-other another user does not see the mount at all" {
	run -0 apctl sandbox mount "$SBX" "$MP"
	# root does
	assert_equal "$(cat "$MP/sys/bus/ap/apmask")" "$ALL_ONES"
	run -2 as_nobody "ls '$MP'"
	assert_output --partial "Permission denied"
	run -1 as_nobody "cat '$MP/sys/bus/ap/apmask'"
	assert_output --partial "Permission denied"
	run -0 apctl sandbox umount "$MP"
}

@test "nothing leads out of the sandbox: links planted in it or made through the mount are not followed" {
	local out=$BATS_TEST_TMPDIR/outside
	mkdir -p "$out"
	chmod 755 "$out"
	ln -s "$out" "$SBX/etc/abs"
	ln -s ../../../.. "$SBX/etc/up"
	ln -s ../sys/bus "$SBX/etc/in"
	run -0 apctl sandbox mount "$SBX" "$MP"
	run -2 ls "$MP/etc/abs/"
	run -1 bash -c "echo x > '$MP/etc/abs/planted'"
	run -1 chmod 700 "$MP/etc/abs"
	run -2 ls "$MP/etc/up/"
	# a link inside the sandbox is followed as on sysfs
	run -0 ls "$MP/etc/in/ap"
	# one made through the mount is made, and not followed
	run -0 ln -s "$out" "$MP/etc/made"
	run -1 bash -c "echo x > '$MP/etc/made/planted'"
	run -1 touch "$MP/etc/made/planted"
	[ -z "$(ls -A "$out")" ]
	assert_equal "$(stat -c %a "$out")" 755
	run -0 apctl sandbox umount "$MP"
}

@test "the mount point is a directory outside the sandbox" {
	touch "$BATS_TEST_TMPDIR/file"
	run -2 apctl sandbox mount "$SBX" "$BATS_TEST_TMPDIR/file"
	assert_output --partial "mount point $BATS_TEST_TMPDIR/file is not a directory"
	run -2 apctl sandbox mount "$SBX" "$SBX/sys"
	assert_output --partial "is in the sandbox"
	run -2 apctl sandbox mount "$SBX" "$SBX"
	assert_output --partial "is in the sandbox"
	run -3 apctl sandbox mount "$SBX" "$BATS_TEST_TMPDIR/none"
	assert_output --partial "$BATS_TEST_TMPDIR/none: No such file or directory"
	! grep -q " $SBX" /proc/self/mountinfo
}

# Two mdevs in use by guests, and the sandbox mounted.
two_in_use() {
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null 2>&1
	apctl --root "$SBX" mdev create $U1 --adapters 5 --domains 4 >/dev/null
	apctl --root "$SBX" mdev create $U2 --adapters 6 --domains 4 >/dev/null
	apctl --root "$SBX" sandbox attach $U1 >/dev/null
	apctl --root "$SBX" sandbox attach $U2 >/dev/null
	run -0 apctl sandbox mount "$SBX" "$MP"
}

# Removes mdev UUID through the mount in the background; its status in FILE.
remove_in_background() {
	bash -c "echo 1 > '$MP/$MATRIX/$1/remove'; echo \$? > '$2'" &
}

# The pid of the server of the mount.
server_pid() {
	pgrep -f "apctl sandbox mount $SBX $MP" | head -n 1
}

@test "two removals that wait at once: each blocks its caller only, and both finish" {
	two_in_use
	remove_in_background $U1 "$BATS_TEST_TMPDIR/1"
	remove_in_background $U2 "$BATS_TEST_TMPDIR/2"
	sleep 0.5
	[ ! -e "$BATS_TEST_TMPDIR/1" ] && [ ! -e "$BATS_TEST_TMPDIR/2" ]
	# others are served meanwhile
	assert_equal "$(cat "$MP/sys/bus/ap/apmask")" \
		0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
	run -0 apctl --root "$SBX" sandbox detach $U2
	sleep 0.5
	assert_equal "$(cat "$BATS_TEST_TMPDIR/2")" 0
	[ ! -e "$BATS_TEST_TMPDIR/1" ]
	run -0 apctl --root "$SBX" sandbox detach $U1
	wait
	assert_equal "$(cat "$BATS_TEST_TMPDIR/1")" 0
	[ ! -e "$MP/$MATRIX/$U1" ] && [ ! -e "$MP/$MATRIX/$U2" ]
	run -0 apctl sandbox umount "$MP"
}

@test "SIGTERM while a removal waits ends the server at once; the tree stays consistent" {
	local pid
	two_in_use
	remove_in_background $U1 "$BATS_TEST_TMPDIR/1"
	sleep 0.5
	pid=$(server_pid)
	[ -n "$pid" ]
	kill -TERM "$pid"
	wait
	# the writer was answered with an error, the server is gone, and so is the mount
	[ "$(cat "$BATS_TEST_TMPDIR/1")" != 0 ]
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$pid" 2>/dev/null
	! mountpoint -q "$MP"
	# the guest still holds the mdev, so it is there; its removal ends when
	# the guest lets go, as the kernel's does, and the next change works
	run -0 apctl --root "$SBX" mdev list
	assert_output --partial "$U1"
	run -0 apctl --root "$SBX" sandbox detach $U1
	run -0 apctl --root "$SBX" mdev list
	refute_output --partial "$U1"
	run -0 apctl --root "$SBX" sandbox detach $U2
	run -0 apctl --root "$SBX" mdev remove $U2
}

@test "sandbox umount while a removal waits: the writer is answered and the tree stays consistent" {
	local pid
	two_in_use
	pid=$(server_pid)
	remove_in_background $U1 "$BATS_TEST_TMPDIR/1"
	sleep 0.5
	run -0 apctl sandbox umount "$MP"
	wait
	[ "$(cat "$BATS_TEST_TMPDIR/1")" != 0 ]
	! mountpoint -q "$MP"
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$pid" 2>/dev/null
	run -0 apctl --root "$SBX" sandbox detach $U1
	run -0 apctl --root "$SBX" sandbox detach $U2
	run -0 apctl --root "$SBX" mdev remove $U2
	run -0 apctl --root "$SBX" mdev list
	assert_output "No mdevs."
}
