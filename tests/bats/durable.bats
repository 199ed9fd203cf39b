#!/usr/bin/env bats
# What a change leaves on disk, whatever happens to it: files flushed with
# their directories, the lock that never spins, the temporaries and
# directories of killed runs, a recovery that cannot be finished, removals
# that wait for guests, and a reboot that clears run/.

load helpers

U1=62177883-f1bb-47f0-914d-32a22e3a8804
U2=cef03c3c-903d-4ecc-9a83-40694cb8aee4

# A digest of what a change may touch: the whole tree but the emulated
# kernel's own files (its memory, log and lock), with the mdevs it keeps.
change_digest() {
	(
		cd "$1" || exit 1
		find . -path ./apctl-sandbox.d -prune -o -printf '%p %y %m %l\n' | LC_ALL=C sort
		find . -path ./apctl-sandbox.d -prune -o -type f -exec sha256sum {} + | LC_ALL=C sort
		LC_ALL=C sort apctl-sandbox.d/mdevs
	) | sha256sum | cut -d' ' -f1
}

@test "a persistent change flushes each file and its directory, and no flush fails" {
	command -v strace >/dev/null || fail "strace is not installed (Debian: strace)"
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5,6 --persistent >/dev/null 2>&1
	run -0 env "$(untraced_leaks)" strace -f -o "$BATS_TEST_TMPDIR/trace" -e trace=openat,fsync,fdatasync,rename,renameat,renameat2 \
		"$APCTL" --root "$SBX" mdev create $U1 --adapters 5 --domains 4 --persistent --autostart
	# every flush succeeds, and there is one of the rule's directory and one of the definitions'
	run grep -E 'fsync\(.*\) += -1' "$BATS_TEST_TMPDIR/trace"
	assert_failure
	# the definition, then its directory (opened to be flushed) after the rename
	grep -A3 -E "renameat\(.*\"$U1\"\) = 0" "$BATS_TEST_TMPDIR/trace" |
		grep -qE 'openat\([0-9]+, "\.", O_RDONLY[A-Z_|]*O_DIRECTORY' ||
		fail "its directory is not opened for flushing: $(cat "$BATS_TEST_TMPDIR/trace")"
	[ "$(grep -cE 'fsync\([0-9]+\) += 0' "$BATS_TEST_TMPDIR/trace")" -ge 2 ] ||
		fail "the file and its directory are not both flushed"
}

@test "whatever stands where the lock goes, apctl takes it, waits, or says why not" {
	make_sandbox
	mkdir -p "$SBX/run/lock/s390apconfig.lock/x"
	# a directory: said at once, never spun on
	run -1 timeout 60 "$APCTL" --root "$SBX" reserve --adapters 5 --lock-timeout 2
	assert_output --partial "s390apconfig.lock is not a lock file but a directory or another file"
	rm -r "$SBX/run/lock/s390apconfig.lock"
	mkfifo "$SBX/run/lock/s390apconfig.lock"
	run -1 timeout 60 "$APCTL" --root "$SBX" reserve --adapters 5 --lock-timeout 2
	assert_output --partial "is not a lock file"
	rm "$SBX/run/lock/s390apconfig.lock"
	# a lock of a process that is gone is taken over
	echo 99999999 >"$SBX/run/lock/s390apconfig.lock"
	run -0 apctl --root "$SBX" reserve --adapters 5 --lock-timeout 2
	[ ! -e "$SBX/run/lock/s390apconfig.lock" ]
}

@test "the temporaries of killed writers are removed by the next change" {
	make_sandbox
	mkdir -p "$SBX/etc/mdevctl.d/matrix"
	# PID 99999999 is above any pid_max: its writer is gone
	echo x >"$SBX/run/apctl/.journal.99999999.1"
	echo x >"$SBX/etc/udev/rules.d/.41-ap.rules.99999999.7"
	echo x >"$SBX/etc/mdevctl.d/matrix/.$U1.99999999.2"
	echo x >"$SBX/apctl-sandbox.d/.memory.next.99999999.3"
	echo 99999999 >"$SBX/run/lock/s390apconfig.lock9999999942"
	# a writer that lives keeps its temporary, and other dot files stay
	echo x >"$SBX/run/apctl/.journal.$$.1"
	echo x >"$SBX/etc/udev/rules.d/.keep"
	run -0 apctl --root "$SBX" reserve --adapters 5
	for f in run/apctl/.journal.99999999.1 etc/udev/rules.d/.41-ap.rules.99999999.7 \
		"etc/mdevctl.d/matrix/.$U1.99999999.2" apctl-sandbox.d/.memory.next.99999999.3 \
		run/lock/s390apconfig.lock9999999942; do
		[ ! -e "$SBX/$f" ] || fail "$f is left"
	done
	[ -e "$SBX/run/apctl/.journal.$$.1" ] && [ -e "$SBX/etc/udev/rules.d/.keep" ]
}

@test "a persistent create killed after each write is undone whole, directories included" {
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5,6 --persistent >/dev/null 2>&1
	rm -rf "$SBX/etc/mdevctl.d/matrix"
	local before n nth copy=$BATS_TEST_TMPDIR/copy
	before=$(change_digest "$SBX")
	n=$(apctl --root "$SBX" --json mdev create $U1 --adapters 5 --domains 4 --persistent \
		--autostart --dry-run | jq '(.writes | length) + (.files | length)')
	[ "$n" -ge 2 ] || fail "$n writes"
	for ((nth = 1; nth <= n; nth++)); do
		rm -rf "$copy"
		cp -a "$SBX" "$copy"
		APCTL_TEST_KILL_AFTER_WRITE=$nth run apctl --root "$copy" mdev create $U1 --adapters 5 \
			--domains 4 --persistent --autostart
		assert_equal "$status" 137
		run -0 apctl --root "$copy" release --adapters 0x30
		[ "$(change_digest "$copy")" = "$before" ] || {
			diff <(cd "$SBX" && find . | sort) <(cd "$copy" && find . | sort) >&3 || true
			fail "killed after write $nth of $n: not as before"
		}
	done
}

@test "a killed change's directory goes even where a killed writer left a temporary in it" {
	local before n cfg=$BATS_TEST_TMPDIR/cfg.json
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5,6 --persistent >/dev/null 2>&1
	echo '{"version": 1, "persistent": true, "mdevs": [{"uuid": "'$U1'", "adapters": [6],
		"domains": [4], "persistent": true, "autostart": true, "name": "g1"}]}' >"$cfg"
	[ ! -e "$SBX/etc/apctl" ] || fail "the sandbox has names already"
	before=$(change_digest "$SBX")
	n=$(apctl --root "$SBX" --json apply "$cfg" --dry-run | jq '(.writes | length) + (.files | length)')
	# killed after its last write, the names file, in a directory it made
	APCTL_TEST_KILL_AFTER_WRITE=$n run apctl --root "$SBX" apply "$cfg"
	assert_equal "$status" 137
	[ -e "$SBX/etc/apctl/mdev-names" ] || fail "the last write is not the names file"
	# as a writer killed before its rename leaves it (PID 99999999 is above any pid_max)
	echo x >"$SBX/etc/apctl/.mdev-names.99999999.1"
	run -0 apctl --root "$SBX" release --adapters 0x30
	[ "$(change_digest "$SBX")" = "$before" ] || {
		find "$SBX/etc" >&3
		fail "not as before"
	}
}

@test "the test hook that kills apctl after a write is heard on an emulated kernel only" {
	make_sandbox
	# with --root on the sandbox
	APCTL_TEST_KILL_AFTER_WRITE=1 run apctl --root "$SBX" reserve --adapters 6
	assert_equal "$status" 137
	run -0 apctl --root "$SBX" show
	# on the live path inside sandbox run, whose /sys is the sandbox's mount, not sysfs
	run -0 apctl sandbox run "$SBX" -- sh -c \
		"APCTL_TEST_KILL_AFTER_WRITE=1 '$APCTL' reserve --adapters 5; echo \$?"
	assert_line 137
	# the kernel's own sysfs is told by its file system type: tests/unit/test-sysfs.c
}

@test "a killed change whose undo the kernel refuses is finished instead, never left half way" {
	local g want
	for g in 6.18 6.19; do
		make_sandbox --kernel $g --adapters 0-3 --domains 0-3
		apctl --root "$SBX" reserve --adapters 0-1 >/dev/null 2>&1
		apctl --root "$SBX" mdev create $U1 --adapters 0-1 --domains 2-3 >/dev/null
		# killed after its second write, the aqmask's
		APCTL_TEST_KILL_AFTER_WRITE=2 run apctl --root "$SBX" reserve --apmask -2 --aqmask -0-3
		assert_equal "$status" 137
		run -0 apctl --root "$SBX" reserve --adapters 3
		# 6.19 refuses to give domains 2-3 back while the mdev holds them, on
		# any adapter: the change is finished; 6.18 gives them back
		if [ $g = 6.19 ]; then
			assert_output --partial "the kernel refused to undo them, so the change is finished instead"
			want=(0x0fff 0x0fff)
		else
			assert_output --partial "after 2 of 2 writes; they are undone"
			want=(0x2fff 0xffff)
		fi
		# (the next change, reserve --adapters 3, cleared bit 3)
		assert_equal "$(cut -c1-6 "$SBX/sys/bus/ap/apmask")" "${want[0]}"
		assert_equal "$(cut -c1-6 "$SBX/sys/bus/ap/aqmask")" "${want[1]}"
		[ ! -e "$SBX/run/apctl/journal" ]
	done
}

@test "a recovery that cannot be finished keeps the journal, exits 1, and says how to go on" {
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5 >/dev/null 2>&1
	APCTL_TEST_KILL_AFTER_WRITE=2 run apctl --root "$SBX" mdev create $U1 --adapters 5 --domains 4
	assert_equal "$status" 137
	[ -e "$SBX/run/apctl/journal" ]
	# the undo of the create (a remove) fails
	apctl --root "$SBX" sandbox fault "sys/devices/vfio_ap/matrix/$U1/remove" EIO 1
	run -1 apctl --root "$SBX" release --adapters 0x30
	assert_output --partial "the journal $SBX/run/apctl/journal stays, and every change waits for it"
	assert_output --partial "mend the cause and run the change again"
	[ -e "$SBX/run/apctl/journal" ]
	# and the next change, the cause gone, finishes it
	apctl --root "$SBX" sandbox fault --clear
	run -0 apctl --root "$SBX" release --adapters 0x30
	assert_output --partial "they are undone"
	[ ! -e "$SBX/run/apctl/journal" ]
	[ ! -e "$SBX/sys/devices/vfio_ap/matrix/$U1" ]
	# a journal that cannot be read stays too
	echo 'not json' >"$SBX/run/apctl/journal"
	run -1 apctl --root "$SBX" release --adapters 0x30
	assert_output --partial "cannot be read; the journal"
	[ -e "$SBX/run/apctl/journal" ]
}

@test "a mark cut short at the end of the journal is a write not begun" {
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5 >/dev/null 2>&1
	APCTL_TEST_KILL_AFTER_WRITE=1 run apctl --root "$SBX" mdev create $U1 --adapters 5 --domains 4
	assert_equal "$status" 137
	printf '{"beg' >>"$SBX/run/apctl/journal"
	run -0 apctl --root "$SBX" release --adapters 0x30
	assert_output --partial "after 1 of"
	[ ! -e "$SBX/sys/devices/vfio_ap/matrix/$U1" ]
}

@test "removals that wait come last: one that times out leaves the change standing" {
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null 2>&1
	apctl --root "$SBX" mdev create $U1 --adapters 5 --domains 4 >/dev/null
	apctl --root "$SBX" mdev create $U2 --adapters 6 --domains 4 >/dev/null
	apctl --root "$SBX" sandbox attach $U1 --guest guest1
	cat >"$BATS_TEST_TMPDIR/cfg.json" <<EOF
{ "version": 1, "mdevs": [ { "uuid": "$U2", "adapters": [6], "domains": [4, 71] },
  { "uuid": "$U1", "running": false } ] }
EOF
	run -5 --separate-stderr apctl --root "$SBX" apply "$BATS_TEST_TMPDIR/cfg.json" --force --wait 1
	use_stderr
	assert_output --partial "the change is made and stands; the kernel removes mdev $U1 when its guest lets go"
	# the write after it in the order given is made: the removal came last
	assert_equal "$(tr '\n' ' ' <"$SBX/$MATRIX/$U2/matrix")" "06.0004 06.0047 "
	[ ! -e "$SBX/run/apctl/journal" ]
	apctl --root "$SBX" sandbox detach $U1
	[ ! -e "$SBX/$MATRIX/$U1" ]
}

@test "a removal that waits and frees what a later write takes: timed out, the rest is undone" {
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null 2>&1
	apctl --root "$SBX" mdev create $U1 --adapters 5 --domains 4 >/dev/null
	apctl --root "$SBX" mdev create $U2 --adapters 6 --domains 4 >/dev/null
	apctl --root "$SBX" sandbox attach $U1 --guest guest1
	local before
	before=$(cat "$SBX/$MATRIX/$U2/matrix")
	cat >"$BATS_TEST_TMPDIR/cfg.json" <<EOF
{ "version": 1, "mdevs": [ { "uuid": "$U2", "adapters": [5, 6], "domains": [4] },
  { "uuid": "$U1", "running": false } ] }
EOF
	# refused without --force (the guest), and the removal comes first: the assignment needs it
	run -4 apctl --root "$SBX" --json plan "$BATS_TEST_TMPDIR/cfg.json"
	assert_equal "$(json '.writes[0].attribute')" "$MATRIX/$U1/remove"
	run -5 --separate-stderr apctl --root "$SBX" apply "$BATS_TEST_TMPDIR/cfg.json" --force --wait 1
	use_stderr
	assert_output --partial "the writes after it need what it frees: they were not made"
	assert_equal "$(cat "$SBX/$MATRIX/$U2/matrix")" "$before"
	[ ! -e "$SBX/run/apctl/journal" ]
	apctl --root "$SBX" sandbox detach $U1
	[ ! -e "$SBX/$MATRIX/$U1" ]
}

@test "exit 5 waiting for the AP bus prints the change, and says that it stands" {
	make_sandbox --rebind-delay 3000
	run -5 --separate-stderr apctl --root "$SBX" reserve --adapters 5 --wait 1
	assert_line --partial "apmask"
	use_stderr
	assert_output --partial "the change is made and stands; the AP bus binds the 4 queues above on its own time"
}

@test "sandbox reboot clears run/ as a reboot does" {
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5 >/dev/null 2>&1
	APCTL_TEST_KILL_AFTER_WRITE=1 run apctl --root "$SBX" mdev create $U1 --adapters 5 --domains 4
	[ -e "$SBX/run/apctl/journal" ]
	echo x >"$SBX/run/udev/rules.d/99-x.rules"
	echo 1 >"$SBX/run/lock/other.lock"
	run -0 apctl --root "$SBX" sandbox reboot
	[ ! -e "$SBX/run/apctl/journal" ] && [ ! -e "$SBX/run/udev/rules.d/99-x.rules" ]
	[ ! -e "$SBX/run/lock/other.lock" ]
	[ -d "$SBX/run/apctl" ] && [ -d "$SBX/run/lock" ] && [ -d "$SBX/run/udev/rules.d" ]
	run -0 apctl --root "$SBX" show
	refute_output --partial "Interrupted change"
}

@test "a read error while waiting for the AP bus is an error, and the change stands" {
	make_sandbox --rebind-delay 2000
	( sleep 0.5 && mv "$SBX/sys/bus/ap/drivers" "$SBX/sys/bus/ap/drivers.away" &&
		touch "$SBX/sys/bus/ap/drivers" ) &
	run -1 --separate-stderr apctl --root "$SBX" reserve --adapters 5 --wait 5
	wait
	use_stderr
	assert_output --partial "cannot read which queues the AP bus has bound"
	assert_output --partial "the change is made"
	rm "$SBX/sys/bus/ap/drivers"
	mv "$SBX/sys/bus/ap/drivers.away" "$SBX/sys/bus/ap/drivers"
	assert_equal "$(cat "$SBX/sys/bus/ap/apmask")" 0xfbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
}

@test "kill -9 at any time of a persistent change: the next run leaves it as before or after" {
	local seed=${APCTL_TEST_SEED:-1515} k before after copy=$BATS_TEST_TMPDIR/copy now pid
	local base=$BATS_TEST_TMPDIR/base changes=(
		"mdev create $U1 --adapters 5 --domains 4,0xab --persistent --autostart"
		"reserve --adapters 6 --domains 0x47 --persistent"
		"apply $BATS_TEST_TMPDIR/cfg.json --prune"
		"mdev remove $U2 --persistent")
	echo '{"version": 1, "persistent": true, "mdevs": [{"uuid": "'$U1'", "adapters": [6],
		"domains": [4], "persistent": true, "autostart": true, "name": "g1"}]}' \
		>"$BATS_TEST_TMPDIR/cfg.json"
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5,6 --persistent >/dev/null 2>&1
	apctl --root "$SBX" mdev create $U2 --adapters 5 --domains 0xff --persistent >/dev/null 2>&1
	rm -rf "$SBX/etc/apctl"
	cp -a "$SBX" "$base"
	RANDOM=$seed
	for change in "${changes[@]}"; do
		rm -rf "$copy"
		cp -a "$base" "$copy"
		before=$(change_digest "$copy")
		apctl --root "$copy" $change >/dev/null 2>&1 || fail "$change fails"
		after=$(change_digest "$copy")
		[ "$before" != "$after" ] || fail "$change changes nothing"
		for ((k = 0; k < $(rounds 25); k++)); do
			rm -rf "$copy"
			cp -a "$base" "$copy"
			# killed and reaped here, so that it is gone when the next run looks
			"$APCTL" --root "$copy" $change >/dev/null 2>&1 &
			pid=$!
			sleep "0.00$((RANDOM % 9 + 1))$((RANDOM % 10))"
			kill -9 $pid 2>/dev/null || true
			wait $pid 2>/dev/null || true
			# a change of nothing finishes or undoes it; a sandbox's reader its kernel's store
			"$APCTL" --root "$copy" release --adapters 0x30 >/dev/null 2>&1 ||
				fail "seed $seed, $change, kill $k: the next run fails"
			now=$(change_digest "$copy")
			[ "$now" = "$before" ] || [ "$now" = "$after" ] || {
				diff <(cd "$base" && find . | sort) <(cd "$copy" && find . | sort) >&3 || true
				fail "seed $seed, $change, kill $k: neither before nor after"
			}
		done
	done
}
