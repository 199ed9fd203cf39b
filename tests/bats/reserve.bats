#!/usr/bin/env bats
# apctl reserve and apctl release: the edits, their validation ahead of time,
# the lock, one change across both masks, and waiting for the AP bus.

load helpers

U1=11111111-1111-4111-8111-111111111111
U2=22222222-2222-4222-8222-222222222222
APMASK_56=0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
# the kernel document's aqmask without domains 4, 0x47, 0xab and 0xff
AQMASK_DOC=0xf7fffffffffffffffeffffffffffffffffffffffffeffffffffffffffffffffe

setup() {
	make_sandbox
}

mask() { cat "$SBX/sys/bus/ap/$1"; }

@test "the kernel document's first way: adapters 5 and 6 from apmask" {
	run -0 apctl --root "$SBX" reserve --adapters 5,6
	assert_line "    -> $APMASK_56  (-5,-6)"
	assert_line "From the host to vfio_ap: 8 APQNs: adapters 5,6 x domains 4,0x47,0xab,0xff"
	assert_line "Done: 8 APQNs to vfio_ap, 0 to the host."
	assert_equal "$(mask apmask)" $APMASK_56
	assert_equal "$(mask aqmask)" "$ALL_ONES"
	local q
	for q in 05.0004 05.0047 05.00ab 05.00ff 06.0004 06.0047 06.00ab 06.00ff; do
		assert_equal "$(driver_of $q)" vfio_ap
	done
	[ ! -e "$SBX/run/lock/s390apconfig.lock" ]
}

@test "the kernel document's second way: the four domains from aqmask" {
	run -0 apctl --root "$SBX" reserve --domains 4,0x47,0xab,0xff
	assert_line --partial "(-4,-0x47,-0xab,-0xff)"
	assert_equal "$(mask aqmask)" $AQMASK_DOC
	assert_equal "$(mask apmask)" "$ALL_ONES"
	run -0 apctl --root "$SBX" show --json
	assert_equal "$(json '[.queues[] | select(.driver == "vfio_ap")] | length')" 8
}

@test "the same reservation in every spelling makes the same tree" {
	local way digest=
	for way in "--adapters 5,6" "--apmask -5,-6" "--apmask $APMASK_56" "--apmask -5-6"; do
		make_sandbox
		run -0 apctl --root "$SBX" reserve $way
		if [ -z "$digest" ]; then digest=$(tree_digest "$SBX"); fi
		assert_equal "$(tree_digest "$SBX")" "$digest"
	done
	for way in "--domains 4,0x47,0xab,0xff" "--aqmask -4,-0x47,-0xab,-0xff" "--aqmask $AQMASK_DOC"; do
		make_sandbox
		run -0 apctl --root "$SBX" reserve $way
		assert_equal "$(mask aqmask)" $AQMASK_DOC
	done
}

@test "--apqns takes the smallest edit and names what else moves" {
	run -0 apctl --root "$SBX" reserve --apqns 05.0047
	assert_line --partial "(-0x47)"
	assert_line "Beyond the APQNs asked for: 1 APQN: adapter 6 x domain 0x47"
	assert_equal "$(mask aqmask)" 0xfffffffffffffffffeffffffffffffffffffffffffffffffffffffffffffffff
	make_sandbox
	run -0 apctl --root "$SBX" --json reserve --apqns 06.0004,06.0047,06.00ab,06.00ff,05.0004
	assert_equal "$(json .apmask.edit)" "-6"
	assert_equal "$(json .aqmask.edit)" "-4"
	assert_equal "$(json '.also_moved | join(",")')" ""
	assert_equal "$(json '.to_vfio | length')" 5
}

@test "--apqns of APQNs already reserved changes nothing" {
	apctl --root "$SBX" reserve --adapters 5
	local before
	before=$(tree_digest "$SBX")
	run -0 apctl --root "$SBX" reserve --apqns 05.0004
	assert_output "Nothing to change: vfio_ap has those APQNs already (their mask bits are clear)."
	assert_equal "$(tree_digest "$SBX")" "$before"
}

@test "a dry run writes nothing and prints the same" {
	local before
	before=$(tree_digest "$SBX")
	run -0 apctl --root "$SBX" reserve --adapters 5,6 --dry-run
	assert_line "    -> $APMASK_56  (-5,-6)"
	assert_line "Dry run: nothing was written."
	assert_equal "$(tree_digest "$SBX")" "$before"
	run -0 apctl --root "$SBX" --json reserve --domains 4 --dry-run
	assert_equal "$(json .dry_run,.ok,.written | xargs)" "true true false"
	assert_equal "$(json '.to_vfio | join(" ")')" "05.0004 06.0004"
	assert_equal "$(tree_digest "$SBX")" "$before"
}

@test "JSON of a reservation" {
	run -0 apctl --root "$SBX" --json reserve --adapters 5
	assert_equal "$(json 'keys | join(" ")')" \
		"apmask aqmask boot_conflicts command conflicts dry_run errno files guest_losses host_differs notes ok pending pending_removals to_host to_vfio warnings writes written"
	assert_equal "$(json '.apmask | [.old, .new, .edit] | join(" ")')" \
		"$ALL_ONES 0xfbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff -5"
	assert_equal "$(json .aqmask.edit)" null
	assert_equal "$(json '.to_vfio | join(" ")')" "05.0004 05.0047 05.00ab 05.00ff"
	assert_equal "$(json '.written, (.pending | length)' | xargs)" "true 0"
}

@test "warnings: the default domain and online queues leave the host, said on stderr" {
	run -0 --separate-stderr apctl --root "$SBX" reserve --domains 4 --dry-run
	refute_output --partial "warning"
	use_stderr
	assert_line "apctl: warning: 2 online queues leave the host's default drivers: adapters 5,6 x domain 4"
	assert_line "apctl: warning: the AP bus's default domain 4 (ap_domain) leaves the host's default drivers on every adapter"
	run -0 --separate-stderr apctl --root "$SBX" reserve --adapters 6 --dry-run
	use_stderr
	assert_line "apctl: warning: the AP bus's default domain 4 (ap_domain) loses its queues on adapter 6"
	run -0 --separate-stderr apctl --root "$SBX" --json reserve --adapters 6 --dry-run
	assert_equal "$stderr" ""
	assert_equal "$(json '.warnings | length')" 2
}

@test "release gives the APQNs back" {
	apctl --root "$SBX" reserve --adapters 5,6
	run -0 apctl --root "$SBX" release --adapters 5
	assert_line "From vfio_ap to the host: 4 APQNs: adapter 5 x domains 4,0x47,0xab,0xff"
	assert_equal "$(mask apmask)" 0xfdffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
	assert_equal "$(driver_of 05.0004)" cex4queue
	assert_equal "$(driver_of 06.0004)" vfio_ap
	run -0 apctl --root "$SBX" release --adapters 6 --domains 0x47
	assert_equal "$(mask apmask)" "$ALL_ONES"
}

@test "nothing to change writes nothing" {
	local before
	before=$(tree_digest "$SBX")
	run -0 apctl --root "$SBX" release --adapters 5
	assert_output "Nothing to change: the host's default drivers have those IDs already (their mask bits are set)."
	assert_equal "$(tree_digest "$SBX")" "$before"
}

@test "bad input exits 2 and writes nothing" {
	local before
	before=$(tree_digest "$SBX")
	run -2 apctl --root "$SBX" reserve --adapters 256
	assert_output --partial "adapter '256' is above the maximum adapter ID 0xff"
	run -2 apctl --root "$SBX" reserve --apmask 5
	assert_output --partial "--apmask '5' is neither a relative edit"
	run -2 apctl --root "$SBX" reserve --apmask -010
	assert_output --partial "octal (8)"
	run -2 apctl --root "$SBX" reserve --apmask -5,,-6
	assert_output --partial "empty term"
	run -2 apctl --root "$SBX" reserve --apqns 5.47
	assert_output --partial "'5.47' is not an APQN"
	run -2 apctl --root "$SBX" reserve --apqns 05.0047,
	run -2 apctl --root "$SBX" reserve --apqns 05.0047 --adapters 5
	assert_output --partial "--apqns chooses the mask edit itself"
	run -2 apctl --root "$SBX" reserve --adapters 5 --apmask -6
	run -2 apctl --root "$SBX" reserve
	assert_output --partial "nothing to reserve"
	run -2 apctl --root "$SBX" release --apmask +5
	run -2 apctl --root "$SBX" reserve --adapters 5 --wait x
	assert_output --partial "--wait "
	assert_output --partial "'x'"
	run -2 apctl --root "$SBX" reserve --adapters 5 --lock-timeout 86401
	assert_output --partial "--lock-timeout "
	assert_output --partial "86401"
	run -2 apctl --root "$SBX" reserve --adapters 5 extra
	assert_equal "$(tree_digest "$SBX")" "$before"
	run -3 apctl --root "$BATS_TEST_TMPDIR/nowhere" reserve --adapters 5
}

@test "IDs above this system's maximum are refused" {
	make_sandbox --max-adapter-id 63 --max-domain-id 15 --adapters 5,6 --domains 1,2
	run -2 apctl --root "$SBX" reserve --adapters 64
	assert_output --partial "above the maximum adapter ID 0x3f"
	run -2 apctl --root "$SBX" reserve --domains 16
	run -2 apctl --root "$SBX" reserve --apqns 05.0010
	assert_output --partial "domain 0x10 is above the maximum domain ID 0x0f"
}

# Adapters 5 and 6 for vfio_ap, and two mdevs: U1 with 05.0004 and 05.00ab
# (in use by a guest), U2 with 06.0004.
with_mdevs() {
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null
	hand_mdev $U1 '05.0004\n05.00ab\n' '05.0004\n05.00ab\n' '' 1
	hand_mdev $U2 '06.0004\n' '06.0004\n' ''
}

@test "releasing APQNs an mdev holds is refused with exit 4, by mdev, each fix once" {
	with_mdevs
	apctl --root "$SBX" mdev create 33333333-3333-4333-8333-333333333333 --adapters 5,6 \
		--domains 0x47 >/dev/null
	local before
	before=$(tree_digest "$SBX")
	run -4 --separate-stderr apctl --root "$SBX" release --adapters 5
	assert_equal "$output" ""
	use_stderr
	assert_line "apctl: refused: the release would take APQNs from mdevs:"
	assert_line "  mdev $U1 (in use by a guest):"
	assert_line "    05.0004  apmask bit 5 would give it to the host's default drivers"
	assert_line "    05.00ab  apmask bit 5 would give it to the host's default drivers"
	# U1 has no adapter but 5: it would be left empty
	assert_line "    run 'apctl --root $SBX mdev remove $U1'"
	assert_line "  mdev 33333333-3333-4333-8333-333333333333:"
	assert_line "    run 'apctl --root $SBX mdev unassign 33333333-3333-4333-8333-333333333333 --adapters 5'"
	assert_equal "$(grep -c "run '" <<<"$output")" 2
	# the kernel would refuse all the same: no --force offered
	assert_line "Nothing was written. The kernel refuses this write (EBUSY) as long as the above stands."
	refute_output --partial -- "--force"
	assert_equal "$(tree_digest "$SBX")" "$before"
	# the fix is pasteable as it stands
	run -0 bash -c "$(sed -n "s/^    run '\(.*mdev unassign.*\)'$/\1/p" <<<"$output" | sed "s|^apctl|$APCTL|")"
}

@test "a refused dry run prints its verdict and exits 4; JSON keeps what was asked" {
	with_mdevs
	# what it would write on stdout, the refusal on stderr as without --dry-run
	run -4 --separate-stderr apctl --root "$SBX" release --adapters 6 --dry-run
	assert_line "    -> 0xfbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff  (+6)"
	assert_line "In all: 1 write to sysfs; 0 mdevs created, 0 removed; 0 APQNs to vfio_ap, 4 back to the host; 0 files written, 0 removed."
	use_stderr
	assert_line "apctl: refused: the release would take APQNs from mdevs:"
	assert_line "  mdev $U2:"
	assert_line "    06.0004  apmask bit 6 would give it to the host's default drivers"
	run -4 apctl --root "$SBX" --json release --adapters 6 --dry-run
	assert_equal "$(json '.ok, .errno' | xargs)" "false EBUSY"
	assert_equal "$(json '.conflicts[0] | [.apqn, .mdev] | join(" ")')" "06.0004 $U2"
	assert_equal "$(json '.apmask.edit')" "+6"
	assert_equal "$(json '.to_host | join(" ")')" "06.0004 06.0047 06.00ab 06.00ff"
	# under --json the refusal's verdict is on stdout without --dry-run too
	run -4 --separate-stderr apctl --root "$SBX" --json release --adapters 6
	assert_equal "$(json '.errno, .written' | xargs)" "EBUSY false"
}

@test "6.19 refuses what stays with vfio_ap, and apctl says why" {
	apctl --root "$SBX" reserve --adapters 5 --domains 0x47 >/dev/null
	hand_mdev $U1 '05.0047\n' '05.0047\n' ''
	run -4 --separate-stderr apctl --root "$SBX" release --adapters 5
	use_stderr
	assert_line --partial "(it stays with vfio_ap, as aqmask bit 0x47 is 0, but kernel 6.19 and later refuse the write while an mdev holds any APQN of adapter 5)"
	make_sandbox --kernel 6.18
	apctl --root "$SBX" reserve --adapters 5 --domains 0x47 >/dev/null
	hand_mdev $U1 '05.0047\n' '05.0047\n' ''
	run -0 apctl --root "$SBX" release --adapters 5
	assert_equal "$(driver_of 05.0047)" vfio_ap
}

@test "--force writes anyway and reports the kernel's answer" {
	with_mdevs
	local before
	before=$(sysfs_digest)
	run -1 apctl --root "$SBX" release --adapters 6 --force
	assert_output --partial "writing '+6' to $SBX/sys/bus/ap/apmask failed: EBUSY (Device or resource busy), as predicted"
	assert_equal "$(sysfs_digest)" "$before"
	run -0 cat "$SBX/apctl-sandbox.d/kernel.log"
	assert_output "vfio_ap_mdev $U2: Can not reserve queue 06.0004 for host driver: in use by mdev"
}

@test "before 6.0 apctl checks what the kernel does not, and --force says what it takes" {
	make_sandbox --kernel 5.15
	apctl --root "$SBX" reserve --adapters 5 >/dev/null
	mkdir -p "$SBX/sys/devices/vfio_ap/matrix/$U1"
	printf '05.0004\n' >"$SBX/sys/devices/vfio_ap/matrix/$U1/matrix"
	: >"$SBX/sys/devices/vfio_ap/matrix/$U1/control_domains"
	echo "$U1 attached=1" >>"$SBX/apctl-sandbox.d/mdevs"
	run -4 apctl --root "$SBX" release --adapters 5
	assert_output --partial "--force writes anyway: kernel 5.15 does not protect the guests' queues"
	run -0 apctl --root "$SBX" release --adapters 5 --force
	assert_line "apctl: warning: kernel 5.15 checks nothing: these queues are taken from their mdevs and from the guests using them, whose keys the host can then reach"
	assert_line "apctl: warning: --force writes although apctl predicts a refusal:"
	assert_line "  mdev $U1 (in use by a guest):"
	assert_equal "$(driver_of 05.0004)" cex4queue
}

@test "both masks change as one: clears first, the second write failing undoes the first" {
	local before
	before=$(sysfs_digest)
	apctl --root "$SBX" sandbox fault sys/bus/ap/aqmask EIO
	run -1 apctl --root "$SBX" reserve --adapters 5 --domains 0x47
	assert_line --partial "writing '-0x47' to $SBX/sys/bus/ap/aqmask failed: EIO"
	assert_line "apctl: undid the 1 write made before it: the AP configuration is as it was"
	assert_equal "$(sysfs_digest)" "$before"
	# without the fault both are written
	run -0 apctl --root "$SBX" reserve --adapters 5 --domains 0x47
	assert_equal "$(mask apmask)" 0xfbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
}

@test "an edit that sets bits is written after one that clears them" {
	apctl --root "$SBX" reserve --adapters 5 >/dev/null
	apctl --root "$SBX" sandbox fault sys/bus/ap/apmask EIO
	local before
	before=$(sysfs_digest)
	# aqmask -0x47 (clears) is written first, apmask +5 (sets) second and fails
	run -1 apctl --root "$SBX" reserve --apmask +5 --aqmask -0x47
	assert_line --partial "writing '+5' to $SBX/sys/bus/ap/apmask failed: EIO"
	assert_line "apctl: undid the 1 write made before it: the AP configuration is as it was"
	assert_equal "$(sysfs_digest)" "$before"
}

@test "a failed undo says how to restore the mask" {
	apctl --root "$SBX" sandbox fault sys/bus/ap/aqmask EIO
	apctl --root "$SBX" sandbox fault sys/bus/ap/apmask EIO 2
	run -1 apctl --root "$SBX" reserve --adapters 5 --domains 0x47
	assert_line --partial "undoing '-5' with '+5' failed too: EIO"
	assert_line --partial "'echo +5 > $SBX/sys/bus/ap/apmask' restores it"
}

@test "a lock held by a live process is waited for, then its PID reported" {
	local before
	hold_lock
	before=$(tree_digest "$SBX")
	run -1 apctl --root "$SBX" reserve --adapters 5 --lock-timeout 1
	assert_output --partial "the AP configuration lock $SBX/run/lock/s390apconfig.lock is held by process $HOLDER, still after 1 s"
	assert_equal "$(tree_digest "$SBX")" "$before"
	# a dry run does not need the lock
	run -0 apctl --root "$SBX" reserve --adapters 5 --dry-run --lock-timeout 0
	# a holder that lets go within the timeout
	(sleep 0.5 && let_go_lock) &
	run -0 apctl --root "$SBX" reserve --adapters 5 --lock-timeout 10
	wait
	[ ! -e "$SBX/run/lock/s390apconfig.lock" ]
}

@test "a stale lock is taken over" {
	mkdir -p "$SBX/run/lock"
	bash -c 'echo $$' >"$SBX/run/lock/s390apconfig.lock" # a PID that is gone
	run -0 apctl --root "$SBX" reserve --adapters 5 --lock-timeout 0
	[ ! -e "$SBX/run/lock/s390apconfig.lock" ]
}

@test "the lock is the one s390-tools use: while apctl holds it, theirs fails" {
	# apctl holds the lock while it waits for the AP bus, which here never comes
	rm "$SBX/apctl-sandbox"
	"$APCTL" --root "$SBX" reserve --adapters 5 --wait 2 >/dev/null 2>&1 &
	local pid=$! i
	for i in $(seq 100); do [ -e "$SBX/run/lock/s390apconfig.lock" ] && break; sleep 0.02; done
	assert_equal "$(cat "$SBX/run/lock/s390apconfig.lock")" "$pid"
	# chzdev's way: link() a file with its PID to the lock's name
	echo $$ >"$SBX/run/lock/peer"
	run ln "$SBX/run/lock/peer" "$SBX/run/lock/s390apconfig.lock"
	assert_failure
	wait $pid || true
	[ ! -e "$SBX/run/lock/s390apconfig.lock" ]
	run -0 ln "$SBX/run/lock/peer" "$SBX/run/lock/s390apconfig.lock"
}

# A copy of the sandbox without its marker: apctl treats it as a live sysfs
# whose kernel (here, this test) binds queues on its own time.
fake_live() {
	rm "$SBX/apctl-sandbox"
}

# Moves queue $1 to driver $2 as the AP bus would.
rebind() {
	local q=$1 drv=$2 card=card${1%%.*} old
	old=$(driver_of "$q")
	rm -f "$SBX/sys/bus/ap/drivers/$old/$q" "$SBX/sys/devices/ap/$card/$q/driver"
	ln -s "../../../../devices/ap/$card/$q" "$SBX/sys/bus/ap/drivers/$drv/$q"
	ln -s "../../../../bus/ap/drivers/$drv" "$SBX/sys/devices/ap/$card/$q/driver"
}

@test "waiting for the AP bus: a timeout exits 5 and names the queues" {
	fake_live
	run -5 apctl --root "$SBX" reserve --adapters 5 --wait 1
	assert_output --partial "timed out after 1 s waiting for the AP bus to bind these queues:"
	assert_output --partial "4 APQNs: adapter 5 x domains 4,0x47,0xab,0xff"
	# without a kernel behind it, the file holds what was written, at its start
	assert_equal "$(head -1 "$SBX/sys/bus/ap/apmask")" "-5"
}

@test "waiting for the AP bus: done when the queues are bound" {
	fake_live
	(
		sleep 0.3
		for q in 05.0004 05.0047 05.00ab 05.00ff; do rebind $q vfio_ap; done
		echo 0xfbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff >"$SBX/sys/bus/ap/apmask"
	) &
	run -0 apctl --root "$SBX" reserve --adapters 5 --wait 10
	assert_line "Done: 4 APQNs to vfio_ap, 0 to the host."
	wait
}

@test "--no-wait returns at once, and JSON says what is still pending" {
	fake_live
	run -0 --separate-stderr apctl --root "$SBX" --json reserve --adapters 5 --no-wait
	assert_equal "$(json '.pending | join(" ")')" "05.0004 05.0047 05.00ab 05.00ff"
}
