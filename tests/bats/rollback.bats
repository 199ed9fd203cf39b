#!/usr/bin/env bats
# Rollback: a fault injected into each write of a change leaves the sandbox
# tree byte-identical to before (but for the kernel's log and the faults).

load helpers

U1=62177883-f1bb-47f0-914d-32a22e3a8804
U2=cef03c3c-903d-4ecc-9a83-40694cb8aee4

# Runs "apctl ARGS" once per write it makes, failing the Nth write with EIO;
# every run must fail and change nothing.
each_write_fails() {
	local n=$1 i before
	shift
	for i in $(seq "$n"); do
		before=$(sysfs_digest)
		apctl --root "$SBX" sandbox fault 'sys/devices/vfio_ap/*' EIO "$i"
		run -1 apctl --root "$SBX" "$@"
		assert_output --partial "failed: EIO"
		apctl --root "$SBX" sandbox fault --clear
		assert_equal "$(sysfs_digest)" "$before"
	done
	run -0 apctl --root "$SBX" "$@"
}

@test "create with ap_config: a failing create or ap_config leaves nothing" {
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null
	each_write_fails 2 mdev create $U1 --adapters 5,6 --domains 4,0x47 --control-domains 4
	assert_equal "$(mattr $U1 matrix)" "05.0004 05.0047 06.0004 06.0047"
}

@test "create with assign_* writes (6.9): each of the six writes failing leaves nothing" {
	make_sandbox --kernel 6.9
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null
	each_write_fails 6 mdev create $U1 --adapters 5,6 --domains 4,0x47 --control-domains 4
	assert_equal "$(mattr $U1 matrix)" "05.0004 05.0047 06.0004 06.0047"
}

@test "a multi-ID assign: undone on 6.9, one ap_config write on 6.19" {
	local k
	for k in 6.9 6.19; do
		make_sandbox --kernel $k
		apctl --root "$SBX" reserve --adapters 5,6 >/dev/null
		apctl --root "$SBX" mdev create $U1 --adapters 5 --domains 4 >/dev/null
		apctl --root "$SBX" mdev create $U2 --adapters 6 >/dev/null
		apctl --root "$SBX" sandbox attach $U1
		if [ $k = 6.9 ]; then
			each_write_fails 3 mdev assign $U1 --adapters 6 --domains 0x47,0xab
		else
			each_write_fails 1 mdev assign $U1 --adapters 6 --domains 0x47,0xab
		fi
		assert_equal "$(mattr $U1 guest_matrix)" "05.0004 05.0047 05.00ab 06.0004 06.0047 06.00ab"
	done
}

@test "a multi-ID unassign on 6.9 is assigned back" {
	make_sandbox --kernel 6.9
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null
	apctl --root "$SBX" mdev create $U1 --adapters 5,6 --domains 4,0x47,0xab >/dev/null
	each_write_fails 2 mdev unassign $U1 --domains 0x47,0xab
	assert_equal "$(mattr $U1 matrix)" "05.0004 06.0004"
}

@test "reserve across both masks, and remove" {
	make_sandbox
	local before
	apctl --root "$SBX" sandbox fault sys/bus/ap/aqmask EIO
	before=$(sysfs_digest)
	run -1 apctl --root "$SBX" reserve --adapters 5 --domains 0x47
	assert_equal "$(sysfs_digest)" "$before"
	apctl --root "$SBX" sandbox fault --clear
	apctl --root "$SBX" reserve --adapters 5 >/dev/null
	apctl --root "$SBX" mdev create $U1 --adapters 5 --domains 4 >/dev/null
	apctl --root "$SBX" sandbox fault "$MATRIX/*/remove" EIO
	before=$(sysfs_digest)
	run -1 apctl --root "$SBX" mdev remove $U1
	assert_output --partial "failed: EIO"
	assert_equal "$(sysfs_digest)" "$before"
}
