#!/usr/bin/env bats
# The sandbox for every program: apctl sandbox run (a mount namespace with the
# sandbox's sysfs over /sys) and apctl sandbox mount (FUSE). These need root
# and /dev/fuse, which CI has; they fail rather than skip without them.

load helpers

U1=62177883-f1bb-47f0-914d-32a22e3a8804
U2=cef03c3c-903d-4ecc-9a83-40694cb8aee4
U3=1b5a14fa-cc3e-4b3a-a1d5-8e6b8c9e5d5b

teardown() {
	others_cleanup
}

# COMMAND run by bash inside the sandbox.
inside() {
	"$APCTL" sandbox run "$SBX" -- bash -c "$1"
}

@test "the kernel document's example as its own shell commands" {
	make_sandbox
	run -0 inside "
		set -e
		echo -5,-6 > /sys/bus/ap/apmask
		cd /sys/devices/vfio_ap/matrix
		for u in $U1 $U2 $U3; do echo \$u > mdev_supported_types/vfio_ap-passthrough/create; done
		echo 5 > $U1/assign_adapter; echo 6 > $U1/assign_adapter
		echo 4 > $U1/assign_domain; echo 0xab > $U1/assign_domain
		echo 5 > $U2/assign_adapter; echo 0x47 > $U2/assign_domain; echo 0xff > $U2/assign_domain
		echo 6 > $U3/assign_adapter; echo 0x47 > $U3/assign_domain; echo 0xff > $U3/assign_domain
		cat $U1/matrix"
	assert_output "05.0004
05.00ab
06.0004
06.00ab"
	run -0 apctl --root "$SBX" show --json
	assert_equal "$(json '[.mdevs[] | .uuid + "=" + (.matrix | join(","))] | join(" ")')" \
		"$U3=06.0047,06.00ff $U1=05.0004,05.00ab,06.0004,06.00ab $U2=05.0047,05.00ff"
	assert_equal "$(json '[.queues[] | select(.owner == "vfio_ap")] | length')" 8
	# a conflicting echo fails with the kernel's message; remove takes an mdev away
	run -1 inside "echo 4 > /sys/devices/vfio_ap/matrix/$U2/assign_domain"
	assert_output --partial "write error: Address already in use"
	run -1 inside "echo +5 > /sys/bus/ap/apmask"
	assert_output --partial "write error: Device or resource busy"
	run -0 inside "echo 1 > /sys/devices/vfio_ap/matrix/$U3/remove; ls /sys/bus/mdev/devices"
	refute_output --partial $U3
	[ ! -e "$SBX/$MATRIX/$U3" ]
}

@test "mdevctl 1.2.0 defines, starts, lists and stops a vfio_ap mdev" {
	command -v mdevctl >/dev/null || fail "mdevctl is not installed (Debian: mdevctl)"
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null 2>&1
	run -0 inside "
		set -e
		mdevctl define -u $U1 -p matrix -t vfio_ap-passthrough --auto
		mdevctl modify -u $U1 --addattr=assign_adapter --value=5
		mdevctl modify -u $U1 --addattr=assign_domain --value=4
		mdevctl start -u $U1
		mdevctl list"
	assert_output "$U1 matrix vfio_ap-passthrough auto (defined)"
	assert_equal "$(mattr $U1 matrix)" "05.0004"
	assert_equal "$(jq -c .attrs "$SBX/etc/mdevctl.d/matrix/$U1")" '[{"assign_adapter":"5"},{"assign_domain":"4"}]'
	# a start that conflicts fails, and leaves no mdev behind
	run -1 inside "
		mdevctl define -u $U2 -p matrix -t vfio_ap-passthrough
		mdevctl modify -u $U2 --addattr=assign_adapter --value=5
		mdevctl modify -u $U2 --addattr=assign_domain --value=4
		mdevctl start -u $U2"
	assert_output --partial "Address already in use"
	[ ! -e "$SBX/$MATRIX/$U2" ]
	run -0 inside "mdevctl stop -u $U1 && mdevctl list"
	assert_output ""
	[ ! -e "$SBX/$MATRIX/$U1" ]
}

@test "apctl without --root inside: the live path on the emulated sysfs" {
	make_sandbox --kernel 6.12
	run -0 inside "unset APCTL_ROOT; '$APCTL' show --json"
	assert_equal "$(json '.sandbox, .root, .kernel' | xargs)" "false / 6.12"
	run -0 inside "'$APCTL' reserve --adapters 5,6 --wait 5 && '$APCTL' mdev create $U1 --adapters 5 --domains 4"
	assert_line "Done: 8 APQNs to vfio_ap, 0 to the host."
	assert_line "$U1"
	assert_equal "$(mattr $U1 matrix)" "05.0004"
	# its lock and its journal are the sandbox's
	[ -d "$SBX/run/apctl" ]
	run -0 inside "APCTL_TEST_KILL_AFTER_WRITE=1 '$APCTL' reserve --adapters 7 --domains 0x47; ls /run/apctl"
	assert_output --partial journal
	[ -e "$SBX/run/apctl/journal" ]
	run -0 apctl --root "$SBX" release --adapters 0x30
	[ ! -e "$SBX/run/apctl/journal" ]
}

@test "the exit status is the command's; a command that is not there is 127" {
	make_sandbox
	run -3 inside "exit 3"
	run -127 "$APCTL" sandbox run "$SBX" no-such-command-anywhere
	assert_output --partial "cannot run 'no-such-command-anywhere'"
	# empty words are quoted, so that they show
	run -127 "$APCTL" sandbox run "$SBX" -- ''
	assert_output "apctl: sandbox run: cannot run '': No such file or directory"
	run -3 apctl sandbox run '' -- true
	assert_output --partial "sandbox run: '': No such file or directory"
	run -3 apctl sandbox run "$BATS_TEST_TMPDIR" true
	assert_output --partial "'$BATS_TEST_TMPDIR' is not a sandbox"
	# the arguments as given, however many, and no more
	run -0 "$APCTL" sandbox run "$SBX" -- printf '%s|' $(seq 1 21) --x '' "a b"
	assert_output "$(printf '%s|' $(seq 1 21) --x '' "a b")"
}

@test "the system is left as it was: what is missing is made in the namespace only" {
	make_sandbox
	# /run without apctl's or udev's directories, and /etc/udev read-only and empty
	run -0 unshare -m sh -c "
		mount -t tmpfs -o ro none /etc/udev && mount -t tmpfs none /run &&
		mkdir /run/keep && echo kept > /run/keep/f && ln -s keep /run/link &&
		'$APCTL' sandbox run '$SBX' -- sh -c '
			cat /run/link/f && touch /run/apctl/a /etc/udev/rules.d/b /run/udev/rules.d/c' &&
		echo outside: \$(ls -A /run /etc/udev)"
	assert_output "kept
outside: /etc/udev: /run: keep link"
	[ -e "$SBX/run/apctl/a" ] && [ -e "$SBX/etc/udev/rules.d/b" ] && [ -e "$SBX/run/udev/rules.d/c" ]
}

@test "without root or /dev/fuse: a clear error and exit 1" {
	make_sandbox
	# the binary copied where nobody can run it: the checkout may be under /root
	run -1 setpriv --reuid=65534 --regid=65534 --clear-groups "$(apctl_for_others)" \
		sandbox run "$SBX" true
	assert_output --partial "sandbox run: needs root"
	run -1 unshare -m sh -c "mount -t tmpfs none /dev && '$APCTL' sandbox run '$SBX' true"
	assert_output --partial "sandbox run: needs /dev/fuse"
}

@test "a mount serves the tree; writes go to the emulated kernel, as sysfs answers them" {
	make_sandbox
	local mp=$BATS_TEST_TMPDIR/mnt
	mkdir -p "$mp"
	run -0 apctl sandbox mount "$SBX" "$mp"
	assert_equal "$(cat "$mp/sys/bus/ap/apmask")" "$ALL_ONES"
	assert_equal "$(readlink "$mp/sys/bus/ap/devices/05.0004")" "../../../devices/ap/card05/05.0004"
	run -0 bash -c "echo -5 > '$mp/sys/bus/ap/apmask'"
	# seen at once, through the mount and in the directory
	assert_equal "$(basename "$(readlink "$mp/sys/bus/ap/devices/05.0004/driver")")" vfio_ap
	assert_equal "$(cat "$SBX/sys/bus/ap/apmask")" 0xfbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
	# read-only and write-only, for root too
	run -1 bash -c "echo 3 > '$mp/sys/bus/ap/ap_max_domain_id'"
	assert_output --partial "Permission denied"
	run -1 cat "$mp/$TYPE_DIR/create"
	assert_output --partial "Permission denied"
	# errno as the kernel answers; an empty write does nothing
	run -1 bash -c "echo 0xzz > '$mp/sys/bus/ap/aqmask'"
	assert_output --partial "Invalid argument"
	run -0 bash -c "printf '' > '$mp/sys/bus/ap/aqmask'"
	assert_equal "$(stat -c %s "$mp/sys/bus/ap/aqmask")" 4096
	# plain files outside sys/
	run -0 bash -c "mkdir -p '$mp/etc/mdevctl.d/matrix' && echo '{}' > '$mp/etc/mdevctl.d/matrix/x'"
	assert_equal "$(cat "$SBX/etc/mdevctl.d/matrix/x")" "{}"
	run -0 apctl sandbox umount "$mp"
	[ -z "$(ls -A "$mp")" ]
	run -3 apctl sandbox umount "$mp"
}

@test "a remove of an mdev in use blocks until the guest lets go, as the kernel's does" {
	local mp=$BATS_TEST_TMPDIR/mnt
	make_sandbox
	mkdir -p "$mp"
	apctl --root "$SBX" reserve --adapters 5 >/dev/null 2>&1
	apctl --root "$SBX" mdev create $U1 --adapters 5 --domains 4 >/dev/null
	run -0 apctl --root "$SBX" sandbox attach $U1
	run -0 apctl sandbox mount "$SBX" "$mp"
	bash -c "echo 1 > '$mp/$MATRIX/$U1/remove'; echo \$? > '$BATS_TEST_TMPDIR/done'" &
	sleep 0.5
	# still waiting; other writers and readers are served meanwhile
	[ ! -e "$BATS_TEST_TMPDIR/done" ]
	[ -d "$mp/$MATRIX/$U1" ]
	run -0 bash -c "echo 0x47 > '$mp/sys/bus/ap/ap_domain'"
	run -0 apctl --root "$SBX" sandbox detach $U1
	wait
	assert_equal "$(cat "$BATS_TEST_TMPDIR/done")" 0
	[ ! -e "$mp/$MATRIX/$U1" ]
	run -0 apctl sandbox umount "$mp"
}

@test "a rebind delay inside: the bindings come later, and apctl's live path waits for them" {
	make_sandbox --rebind-delay 800
	run -0 inside "echo -5 > /sys/bus/ap/apmask; readlink /sys/bus/ap/devices/05.0004/driver"
	assert_output "../../../../bus/ap/drivers/cex4queue"
	sleep 1
	run -0 inside "'$APCTL' reserve --adapters 6 --wait 10 >/dev/null 2>&1 &&
		readlink /sys/bus/ap/devices/06.0004/driver"
	assert_output "../../../../bus/ap/drivers/vfio_ap"
	assert_equal "$(driver_of 05.0004)" vfio_ap
}

@test "attributes kept inside: what any store takes away is gone at once, whoever made it" {
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5 >/dev/null 2>&1
	apctl --root "$SBX" mdev create $U1 --adapters 5 --domains 4 >/dev/null
	apctl --root "$SBX" mdev create $U2 --adapters 5 --domains 0x47 >/dev/null
	m=/sys/devices/vfio_ap/matrix
	# each path is looked at first, so that the kernel keeps it; then a store
	# through the mount, one by another process on the directory, and one by
	# the AP bus's own rebinding take it away
	run -0 inside "
		set -e
		gone() { for p; do if [ -e \$p ]; then echo still \$p; exit 1; fi; done; }
		stat $m/$U1/matrix $m/$U2/matrix /sys/bus/ap/drivers/cex4queue/06.0004 >/dev/null
		echo 1 > $m/$U1/remove
		gone $m/$U1/matrix $m/$U1
		'$APCTL' --root '$SBX' mdev remove $U2 >/dev/null
		gone $m/$U2/matrix $m/$U2
		'$APCTL' --root '$SBX' reserve --adapters 6 >/dev/null 2>&1
		gone /sys/bus/ap/drivers/cex4queue/06.0004
		readlink /sys/bus/ap/devices/06.0004/driver"
	assert_output "../../../../bus/ap/drivers/vfio_ap"
}

@test "contents and links kept inside: what any store changes reads anew at once, whoever made it" {
	make_sandbox --rebind-delay 300
	apctl --root "$SBX" reserve --adapters 5 >/dev/null 2>&1
	apctl --root "$SBX" mdev create $U1 --adapters 5 --domains 4 >/dev/null
	m=/sys/devices/vfio_ap/matrix
	q=/sys/bus/ap/devices/06.0047
	# each file is read first, so that the kernel keeps its contents; then a
	# store through the mount, one by another process on the directory, and
	# the AP bus's own rebinding change them: each read after shows the new
	# contents, its size their length
	run -0 inside "
		set -e
		show() { for f; do printf '%s=%s\n' \$f \"\$(cat \$f)\"; done; }
		show /sys/bus/ap/aqmask $m/$U1/matrix $q/online >/dev/null
		readlink $q/driver >/dev/null
		echo -0x47 > /sys/bus/ap/aqmask
		show /sys/bus/ap/aqmask
		[ \"\$(stat -c %s /sys/bus/ap/aqmask)\" = \$(wc -c < /sys/bus/ap/aqmask) ]
		'$APCTL' --root '$SBX' mdev assign $U1 --domains 0x47 >/dev/null
		show $m/$U1/matrix
		sleep 0.6
		readlink $q/driver
		[ ! -e $q/online ] && echo no online
		'$APCTL' --root '$SBX' release --domains 0x47 >/dev/null 2>&1 || true
		'$APCTL' --root '$SBX' mdev unassign $U1 --domains 0x47 >/dev/null
		'$APCTL' --root '$SBX' release --domains 0x47 --wait 5 >/dev/null 2>&1
		readlink $q/driver
		show $q/online /sys/bus/ap/aqmask $m/$U1/matrix"
	assert_output "/sys/bus/ap/aqmask=0xfffffffffffffffffeffffffffffffffffffffffffffffffffffffffffffffff
$m/$U1/matrix=05.0004
05.0047
../../../../bus/ap/drivers/vfio_ap
no online
../../../../bus/ap/drivers/cex4queue
$q/online=1
/sys/bus/ap/aqmask=$ALL_ONES
$m/$U1/matrix=05.0004"
}

@test "in a chroot whose / is no mount point: it runs, and nothing it mounts shows outside" {
	make_sandbox
	# a chroot on a shared tmpfs with a peer elsewhere: a mount made in the
	# chroot's namespace that propagated would show at both, and stay
	local t=$BATS_TEST_TMPDIR/t peer=$BATS_TEST_TMPDIR/peer
	mkdir -p "$t" "$peer"
	run -0 unshare -m bash -c "
		set -e
		mount -t tmpfs chroot-test '$t' && mount --make-shared '$t' && mount --bind '$t' '$peer'
		r='$t/root'; mkdir -p \$r/usr \$r/etc \$r/dev \$r/proc \$r/sbx \$r/run \$r/tmp \$r/sys
		for d in usr etc dev; do mount --rbind /\$d \$r/\$d; done
		mount -t proc proc \$r/proc; mount --bind '$SBX' \$r/sbx
		for l in bin sbin lib lib32 lib64; do [ ! -e /\$l ] || ln -s usr/\$l \$r/\$l; done
		cp '$APCTL' \$r/apctl
		# the mounts on the shared tmpfs and its peer (other tests' mounts come and go)
		before=\$(grep -c ' $t\| $peer' /proc/self/mountinfo)
		chroot \$r sh -c 'cd /usr && /apctl sandbox run /sbx -- sh -c \"
			echo -5 > /sys/bus/ap/apmask && pwd && /apctl mdev list\"'
		after=\$(grep -c ' $t\| $peer' /proc/self/mountinfo)
		echo mounts outside: \$before \$after"
	assert_line --index 0 "/usr"
	assert_line "No mdevs."
	assert_line --regexp "^mounts outside: ([0-9]+) \\1$"
	assert_equal "$(cat "$SBX/sys/bus/ap/apmask")" 0xfbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
}

@test "a link that leads out of the sandbox at any path it binds is refused, named, and nothing is written outside" {
	local out=$BATS_TEST_TMPDIR/outside path
	for path in etc etc/mdevctl.d etc/mdevctl.d/matrix etc/udev/rules.d run/udev/rules.d \
		run/lock run/apctl etc/udev/rules.d/41-ap.rules etc/mdevctl.d/matrix/$U1 \
		etc/mdevctl.d/matrix/deeper/x; do
		make_sandbox
		rm -rf "$out" && mkdir -p "$out"
		mkdir -p "$(dirname "$SBX/$path")"
		rm -rf "${SBX:?}/$path"
		ln -s "$out" "$SBX/$path"
		run -2 inside "echo x > /etc/udev/rules.d/planted; echo x > /etc/mdevctl.d/planted
			echo x > /run/lock/planted; echo x > /etc/mdevctl.d/matrix/planted"
		assert_output --partial "$SBX/$path"
		assert_output --partial "leads out of the sandbox (to $out)"
		[ -z "$(ls -A "$out")" ] || fail "$path: written outside: $(ls -A "$out")"
	done
	# a relative link that climbs out, too
	make_sandbox
	ln -s ../../../.. "$SBX/etc/mdevctl.d/up"
	run -2 inside true
	assert_output --partial "$SBX/etc/mdevctl.d/up is a link that leads out"
}
