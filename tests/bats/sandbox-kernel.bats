#!/usr/bin/env bats
# The emulated kernel driven directly with `apctl sandbox write`: every apmask
# and aqmask rule of spec section 3.1, the generic sysfs write rules (1.1),
# driver_override (3.8), and fault injection.

load helpers

U1=11111111-1111-4111-8111-111111111111
U2=22222222-2222-4222-8222-222222222222

setup() {
	make_sandbox
}

apmask() { cat "$SBX/sys/bus/ap/apmask"; }
aqmask() { cat "$SBX/sys/bus/ap/aqmask"; }

@test "relative edits apply to the current mask" {
	run -0 kwrite sys/bus/ap/apmask -5,-6
	assert_equal "$(apmask)" 0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
	run -0 kwrite sys/bus/ap/apmask +5
	assert_equal "$(apmask)" 0xfdffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
	run -0 kwrite sys/bus/ap/apmask -0-255,+1-16,+0x12
	assert_equal "$(apmask)" 0x7fffa00000000000000000000000000000000000000000000000000000000000
	run -0 kwrite sys/bus/ap/apmask +0-255,-128
	assert_equal "$(apmask)" 0xffffffffffffffffffffffffffffffff7fffffffffffffffffffffffffffffff
}

@test "what the kernel skips and accepts in a relative edit" {
	run -0 kwrite sys/bus/ap/apmask -1,,-2,
	run -0 kwrite sys/bus/ap/apmask $'-3\n-4'
	run -0 kwrite sys/bus/ap/apmask -010
	run -0 kwrite sys/bus/ap/apmask -0X1F
	run -0 kwrite sys/bus/ap/apmask -18446744073709551621
	# cleared: 1 to 5, 8 (octal 010), 31 and 5 again (2^64 + 5 wraps around)
	assert_equal "$(apmask)" 0x837ffffeffffffffffffffffffffffffffffffffffffffffffffffffffffffff
}

@test "malformed relative edits are EINVAL and change nothing" {
	local before e
	kwrite sys/bus/ap/apmask -5
	before=$(sysfs_digest)
	for e in +256 +5-3 +5-256 +5- + '+1,0xff' '+1, +2' +0x +08 +09 +1x ' +1'; do
		run -1 kwrite sys/bus/ap/apmask "$e"
		assert_output "apctl: sys/bus/ap/apmask: EINVAL (Invalid argument)"
	done
	assert_equal "$(sysfs_digest)" "$before"
}

@test "absolute masks are left-aligned hex" {
	run -0 kwrite sys/bus/ap/aqmask 0x41
	assert_equal "$(aqmask)" 0x4100000000000000000000000000000000000000000000000000000000000000
	run -0 kwrite sys/bus/ap/aqmask x8
	assert_equal "$(aqmask)" 0x8000000000000000000000000000000000000000000000000000000000000000
	run -0 kwrite sys/bus/ap/aqmask FF
	assert_equal "$(aqmask)" 0xff00000000000000000000000000000000000000000000000000000000000000
	run -0 kwrite sys/bus/ap/aqmask ''
	assert_equal "$(aqmask)" 0x0000000000000000000000000000000000000000000000000000000000000000
	run -0 kwrite sys/bus/ap/aqmask "$ALL_ONES"
	run -0 kwrite sys/bus/ap/aqmask 0x
	assert_equal "$(aqmask)" 0x0000000000000000000000000000000000000000000000000000000000000000
}

@test "malformed absolute masks are EINVAL" {
	local e
	for e in 0X41 ' 0x41' '0x41 ' 0x41, 0x41+1 ff,+1 xx1 "0x${ALL_ONES#0x}f" $'0x41\n'; do
		run -1 kwrite sys/bus/ap/aqmask "$e"
		assert_output --partial EINVAL
	done
	assert_equal "$(aqmask)" "$ALL_ONES"
}

@test "the generic write rules of sysfs" {
	local before
	before=$(sysfs_digest)
	# an empty write never reaches the store
	run -0 kwrite -n sys/bus/ap/apmask ''
	# a write beyond one page
	run -1 kwrite sys/bus/ap/apmask "$(printf -- '-1,%.0s' {1..1400})"
	assert_output --partial E2BIG
	# read-only and missing attributes
	run -1 kwrite sys/bus/ap/ap_adapter_mask 0x0
	assert_output --partial EACCES
	run -1 kwrite sys/bus/ap/nosuch 1
	assert_output --partial ENOENT
	# the store sees the bytes as written: a second newline is an error
	run -1 kwrite -n sys/bus/ap/apmask $'0x0\n\n'
	assert_output --partial EINVAL
	assert_equal "$(sysfs_digest)" "$before"
	# writes go through symlinks to the attribute
	run -0 kwrite sys/bus/ap/devices/../apmask -7
	assert_equal "$(apmask)" 0xfeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
}

@test "an unchanged mask is a no-op" {
	kwrite sys/bus/ap/apmask -5
	local before
	before=$(sysfs_digest)
	run -0 kwrite sys/bus/ap/apmask -5
	run -0 kwrite sys/bus/ap/apmask 0xfbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
	assert_equal "$(sysfs_digest)" "$before"
}

@test "a mask change rebinds the queues whose owner changed" {
	run -0 kwrite sys/bus/ap/apmask -5
	assert_equal "$(driver_of 05.0047)" vfio_ap
	assert_equal "$(driver_of 06.0047)" cex4queue
	assert_equal "$(cat "$SBX/sys/bus/ap/devices/05.0047/status")" unassigned
	[ ! -e "$SBX/sys/bus/ap/devices/05.0047/online" ]
	[ -e "$SBX/sys/bus/ap/drivers/vfio_ap/05.0047" ] && [ ! -e "$SBX/sys/bus/ap/drivers/cex4queue/05.0047" ]
	assert_equal "$(cat "$SBX/sys/bus/ap/bindings")" "8/8 (complete)"
	run -0 kwrite sys/bus/ap/aqmask -0x47
	assert_equal "$(driver_of 06.0047)" vfio_ap
	run -0 kwrite sys/bus/ap/apmask +5
	assert_equal "$(driver_of 05.0004)" cex4queue
	assert_equal "$(driver_of 05.0047)" vfio_ap
	assert_equal "$(cat "$SBX/sys/bus/ap/devices/05.0004/online")" 1
	[ ! -e "$SBX/sys/bus/ap/devices/05.0004/status" ]
	run -0 apctl --root "$SBX" show --json
	assert_equal "$(json '[.queues[] | select(.owner == "vfio_ap") | .apqn] | join(" ")')" "05.0047 06.0047"
}

@test "giving APQNs of an mdev back to the host is EBUSY, logged as the kernel logs it" {
	kwrite sys/bus/ap/apmask -5,-6
	hand_mdev $U1 '05.0004\n05.00ab\n' '05.0004\n05.00ab\n' ''
	hand_mdev $U2 '06.0004\n' '06.0004\n' ''
	local before
	before=$(sysfs_digest)
	run -1 kwrite sys/bus/ap/apmask +5,+6
	assert_output "apctl: sys/bus/ap/apmask: EBUSY (Device or resource busy)"
	assert_equal "$(sysfs_digest)" "$before"
	# only the first mdev found, the newest, is logged
	run -0 cat "$SBX/apctl-sandbox.d/kernel.log"
	assert_output "vfio_ap_mdev $U2: Can not reserve queue 06.0004 for host driver: in use by mdev"
	run -1 kwrite sys/bus/ap/apmask +5
	run -0 tail -2 "$SBX/apctl-sandbox.d/kernel.log"
	assert_line "vfio_ap_mdev $U1: Can not reserve queue 05.0004 for host driver: in use by mdev"
	assert_line "vfio_ap_mdev $U1: Can not reserve queue 05.00ab for host driver: in use by mdev"
	# clearing bits never fails; setting aqmask bit 4 again keeps 05.0004 and
	# 06.0004 with vfio_ap (apmask bits 5 and 6 are 0), but 6.19 refuses all the same
	run -0 kwrite sys/bus/ap/aqmask -4
	run -1 kwrite sys/bus/ap/aqmask +4
	assert_output --partial EBUSY
}

@test "before 6.15 the kernel logs the old text" {
	make_sandbox --kernel 6.14
	kwrite sys/bus/ap/apmask -5
	hand_mdev $U1 '05.0004\n' '05.0004\n' ''
	run -1 kwrite sys/bus/ap/apmask +5
	run -0 cat "$SBX/apctl-sandbox.d/kernel.log"
	assert_output "vfio_ap_mdev $U1: Userspace may not re-assign queue 05.0004 already assigned to $U1"
}

@test "6.19 checks every domain, 6.0 to 6.18 only the current aqmask" {
	local k
	for k in 6.18 6.19; do
		make_sandbox --kernel $k
		kwrite sys/bus/ap/apmask -5
		kwrite sys/bus/ap/aqmask -0x47
		# the mdev holds 05.0047, which stays with vfio_ap when apmask bit 5 is set
		hand_mdev $U1 '05.0047\n' '05.0047\n' ''
		if [ $k = 6.19 ]; then
			run -1 kwrite sys/bus/ap/apmask +5
			assert_output --partial EBUSY
		else
			run -0 kwrite sys/bus/ap/apmask +5
			assert_equal "$(driver_of 05.0047)" vfio_ap
			assert_equal "$(driver_of 05.0004)" cex4queue
		fi
		rm -rf "$SBX"
	done
}

@test "an mdev with adapters but no domains never blocks a mask change" {
	kwrite sys/bus/ap/apmask -5
	hand_mdev $U1 '05.\n' '05.\n' ''
	run -0 kwrite sys/bus/ap/apmask +5
}

@test "before 6.0 nothing protects a guest's queues" {
	make_sandbox --kernel 5.19
	kwrite sys/bus/ap/apmask -5
	mkdir -p "$SBX/sys/devices/vfio_ap/matrix/$U1"
	printf '05.0004\n' >"$SBX/sys/devices/vfio_ap/matrix/$U1/matrix"
	: >"$SBX/sys/devices/vfio_ap/matrix/$U1/control_domains"
	echo "$U1 attached=1" >>"$SBX/apctl-sandbox.d/mdevs"
	assert_equal "$(cat "$SBX/sys/bus/ap/devices/05.0004/status")" unassigned
	run -0 kwrite sys/bus/ap/apmask +5
	assert_equal "$(driver_of 05.0004)" cex4queue
	assert_equal "$(cat "$SBX/apctl-sandbox.d/kernel.log")" ""
}

@test "a queue bound to vfio_ap computes its mdev's guest_matrix again (spec 4.2)" {
	# a state no mask write leads to on 6.0 and later: the mdev holds 05.0004,
	# which the host still has, so adapter 5 is out of the guest
	kwrite sys/bus/ap/apmask -6
	hand_mdev $U1 '05.0004\n06.0004\n' '06.0004\n' '0004\n'
	run -0 kwrite sys/bus/ap/aqmask -4
	assert_equal "$(driver_of 05.0004)" vfio_ap
	assert_equal "$(cat "$SBX/sys/devices/vfio_ap/matrix/$U1/guest_matrix")" "$(printf '05.0004\n06.0004')"
	assert_equal "$(cat "$SBX/sys/bus/ap/devices/05.0004/status")" assigned
}

@test "ap_domain takes a domain of aqmask" {
	run -0 kwrite sys/bus/ap/ap_domain 0x47
	assert_equal "$(cat "$SBX/sys/bus/ap/ap_domain")" 71
	run -1 kwrite sys/bus/ap/ap_domain 256
	run -1 kwrite sys/bus/ap/ap_domain -1
	run -1 kwrite sys/bus/ap/ap_domain abc
	kwrite sys/bus/ap/aqmask -4
	run -1 kwrite sys/bus/ap/ap_domain 4
	assert_output --partial EINVAL
	run -0 kwrite sys/bus/ap/ap_domain 010
	assert_equal "$(cat "$SBX/sys/bus/ap/ap_domain")" 8
}

@test "other bus attributes" {
	run -0 kwrite sys/bus/ap/config_time 60
	assert_equal "$(cat "$SBX/sys/bus/ap/config_time")" 60
	run -1 kwrite sys/bus/ap/config_time 4
	run -1 kwrite sys/bus/ap/config_time 121
	run -0 kwrite sys/bus/ap/poll_timeout 0x100
	assert_equal "$(cat "$SBX/sys/bus/ap/poll_timeout")" 256
	run -1 kwrite sys/bus/ap/poll_timeout 120000000001
	run -0 kwrite sys/bus/ap/scans 1
	assert_equal "$(cat "$SBX/sys/bus/ap/scans")" 2
	run -1 kwrite sys/devices/ap/card05/ap_functions 0
	assert_output --partial EACCES
	run -1 kwrite sys/devices/ap/card05/hwtype 11
	assert_output --partial EACCES
}

@test "driver_override (6.19): only with default masks, and it blocks mask writes" {
	local q=sys/devices/ap/card05/05.0047/driver_override
	assert_equal "$(cat "$SBX/$q")" ""
	run -0 kwrite $q vfio_ap
	assert_equal "$(cat "$SBX/$q")" vfio_ap
	# while an override is set, every mask write fails, even a no-op
	run -1 kwrite sys/bus/ap/apmask -5
	assert_output --partial EINVAL
	run -1 kwrite sys/bus/ap/apmask "$ALL_ONES"
	run -0 kwrite $q ''
	assert_equal "$(cat "$SBX/$q")" ""
	run -0 kwrite sys/bus/ap/apmask -5
	# and with other masks no override can be set
	run -1 kwrite $q vfio_ap
	assert_output --partial EINVAL
}

@test "a fault makes the next write fail, or the Nth" {
	run -0 apctl --root "$SBX" sandbox fault sys/bus/ap/aqmask EIO
	run -0 apctl --root "$SBX" sandbox fault 'sys/bus/ap/apm*' EAGAIN 2
	run -0 apctl --root "$SBX" sandbox fault
	assert_line "sys/bus/ap/aqmask EIO 1"
	assert_line "sys/bus/ap/apm* EAGAIN 2"
	run -0 apctl --root "$SBX" --json sandbox fault
	assert_equal "$(json '.[1].errno')" EAGAIN
	local before
	before=$(sysfs_digest)
	run -1 kwrite sys/bus/ap/aqmask -4
	assert_output --partial EIO
	assert_equal "$(sysfs_digest)" "$before"
	run -0 kwrite sys/bus/ap/aqmask -4
	run -0 kwrite sys/bus/ap/apmask -5
	run -1 kwrite sys/bus/ap/apmask -6
	assert_output "apctl: sys/bus/ap/apmask: EAGAIN (Resource temporarily unavailable)"
	run -0 kwrite sys/bus/ap/apmask -6
	run -0 apctl --root "$SBX" sandbox fault sys/bus/ap/apmask 5
	run -0 apctl --root "$SBX" sandbox fault --clear
	run -0 kwrite sys/bus/ap/apmask -7
}

@test "sandbox write and fault need a sandbox and good arguments" {
	mkdir -p "$BATS_TEST_TMPDIR/plain/sys"
	run -3 apctl --root "$BATS_TEST_TMPDIR/plain" sandbox write sys/bus/ap/apmask -5
	assert_output "apctl: sandbox write: '$BATS_TEST_TMPDIR/plain' is not a sandbox (it has no apctl-sandbox file); give one with --root"
	run -2 kwrite sys/bus/ap/apmask
	run -2 apctl --root "$SBX" sandbox fault sys/bus/ap/apmask ENOTANERRNO
	run -2 apctl --root "$SBX" sandbox fault sys/bus/ap/apmask EIO 0
	run -2 apctl --root "$SBX" sandbox fault sys/bus/ap/apmask
	run -3 apctl --root "$BATS_TEST_TMPDIR/nowhere" sandbox write sys/bus/ap/apmask -5
}
