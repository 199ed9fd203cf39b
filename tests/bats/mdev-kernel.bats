#!/usr/bin/env bats
# The emulated kernel's mdevs driven with direct writes: create and remove
# (spec 2.4), assign_*, unassign_* and ap_config in the kernel's order of
# checks (3.2 to 3.6, 3.10), guest_matrix and its history (4), guests and
# host configuration changes (4.4).

load helpers

U1=62177883-f1bb-47f0-914d-32a22e3a8804
U2=cef03c3c-903d-4ecc-9a83-40694cb8aee4

setup() {
	make_sandbox
}

instances() { cat "$SBX/$TYPE_DIR/available_instances"; }

@test "create: a UUID and a newline, named in lower case" {
	run -0 kcreate "${U1^^}"
	[ -d "$SBX/$MATRIX/$U1" ]
	assert_equal "$(instances)" 65535
	assert_equal "$(readlink "$SBX/sys/bus/mdev/devices/$U1")" "../../../devices/vfio_ap/matrix/$U1"
	assert_equal "$(readlink "$SBX/$TYPE_DIR/devices/$U1")" "../../../$U1"
	assert_equal "$(readlink "$SBX/$MATRIX/$U1/mdev_type")" ../mdev_supported_types/vfio_ap-passthrough
	assert_equal "$(readlink "$SBX/$MATRIX/$U1/driver")" ../../../../bus/mdev/drivers/vfio_ap_mdev
	run -0 ls "$SBX/$MATRIX/$U1"
	assert_equal "$(echo $output)" "ap_config assign_adapter assign_control_domain assign_domain control_domains driver guest_matrix iommu_group matrix mdev_type remove subsystem uevent unassign_adapter unassign_control_domain unassign_domain vfio-dev"
	assert_equal "$(wc -c <"$SBX/$MATRIX/$U1/matrix")" 0
	assert_equal "$(cat "$SBX/$MATRIX/$U1/ap_config")" "0x$(printf '0%.0s' {1..64}),0x$(printf '0%.0s' {1..64}),0x$(printf '0%.0s' {1..64})"
}

@test "create: the length is 36 or 37 bytes, the UUID must parse, and exist once" {
	run -0 kcreate -n "$U1"
	run -0 kcreate -n "${U2}x"
	run -1 kcreate "${U1}x"
	assert_output --partial EINVAL
	run -1 kcreate 62177883-f1bb-47f0-914d-32a22e3a880
	assert_output --partial EINVAL
	run -1 kcreate 62177883-f1bb-47f0-914d-32a22e3a880g
	assert_output --partial EINVAL
	run -1 kcreate "${U1^^}"
	assert_output --partial EEXIST
	assert_equal "$(instances)" 65534
}

@test "create: no instances left is EUSERS, EPERM before 6.1" {
	echo 0 >"$SBX/$TYPE_DIR/available_instances"
	hand_edited
	run -1 kcreate "$U1"
	assert_output --partial EUSERS
	make_sandbox --kernel 6.0
	echo 0 >"$SBX/$TYPE_DIR/available_instances"
	hand_edited
	run -1 kcreate "$U1"
	assert_output --partial EPERM
}

@test "what an mdev shows on older kernels" {
	make_sandbox --kernel 6.9
	kcreate "$U1"
	[ ! -e "$SBX/$MATRIX/$U1/ap_config" ] && [ -e "$SBX/$MATRIX/$U1/guest_matrix" ]
	make_sandbox --kernel 5.15
	kcreate "$U1"
	[ ! -e "$SBX/$MATRIX/$U1/ap_config" ] && [ ! -e "$SBX/$MATRIX/$U1/guest_matrix" ]
}

@test "remove: 0 does nothing, a number removes, anything else is EINVAL" {
	apctl --root "$SBX" reserve --adapters 5 >/dev/null
	kcreate "$U1"
	kattr $U1 assign_adapter 5
	kattr $U1 assign_domain 4
	assert_equal "$(cat "$SBX/sys/bus/ap/devices/05.0004/status")" assigned
	run -0 kattr $U1 remove 0
	[ -d "$SBX/$MATRIX/$U1" ]
	run -1 kattr $U1 remove yes
	assert_output --partial EINVAL
	run -0 kattr $U1 remove 0x1
	[ ! -e "$SBX/$MATRIX/$U1" ] && [ ! -e "$SBX/sys/bus/mdev/devices/$U1" ] && [ ! -e "$SBX/$TYPE_DIR/devices/$U1" ]
	assert_equal "$(instances)" 65536
	assert_equal "$(cat "$SBX/sys/bus/ap/devices/05.0004/status")" unassigned
}

@test "assign: parse, maximum, ownership, sharing, in the kernel's order" {
	apctl --root "$SBX" reserve --adapters 5 >/dev/null
	kcreate "$U1"
	kcreate "$U2"
	run -1 kattr $U1 assign_adapter five
	assert_output --partial EINVAL
	run -1 kattr $U1 assign_adapter 99999999999999999999999
	assert_output --partial ERANGE
	run -1 kattr $U1 assign_adapter 256
	assert_output --partial ENODEV
	run -0 kattr $U1 assign_adapter 0xff
	run -0 kattr $U1 unassign_adapter 0xff
	# adapters without domains: nothing to own or share, anything goes
	run -0 kattr $U1 assign_adapter 5
	run -0 kattr $U1 assign_adapter 6
	# with a domain, 06.0004 is the host's
	run -1 kattr $U1 assign_domain 4
	assert_output --partial EADDRNOTAVAIL
	assert_equal "$(mattr $U1 matrix)" "05. 06."
	kattr $U1 unassign_adapter 6
	run -0 kattr $U1 assign_domain 4
	run -0 kattr $U1 assign_domain 4
	assert_equal "$(mattr $U1 matrix)" "05.0004"
	kattr $U2 assign_domain 4
	run -1 kattr $U2 assign_adapter 5
	assert_output --partial EADDRINUSE
	run -0 cat "$SBX/apctl-sandbox.d/kernel.log"
	assert_output "vfio_ap_mdev $U2: Userspace may not assign queue 05.0004 to mdev: already assigned to $U1"
	assert_equal "$(mattr $U2 matrix)" ".0004"
}

@test "assign: the old log text before 6.15" {
	make_sandbox --kernel 6.12
	apctl --root "$SBX" reserve --adapters 5 >/dev/null
	kcreate "$U1"; kattr $U1 assign_adapter 5; kattr $U1 assign_domain 4
	kcreate "$U2"; kattr $U2 assign_domain 4
	run -1 kattr $U2 assign_adapter 5
	run -0 cat "$SBX/apctl-sandbox.d/kernel.log"
	assert_output "vfio_ap_mdev $U1: Userspace may not re-assign queue 05.0004 already assigned to $U1"
}

@test "the maximum comes first in assign_*, last in ap_config" {
	make_sandbox --max-adapter-id 63 --adapters 5 --domains 4
	kcreate "$U1"
	kattr $U1 assign_domain 4
	# adapter 64 is above the maximum and, by the default apmask, the host's
	run -1 kattr $U1 assign_adapter 64
	assert_output --partial ENODEV
	run -1 kattr $U1 ap_config "0x$(printf '0%.0s' {1..16})8,0x08,0x0"
	assert_output --partial EADDRNOTAVAIL
	apctl --root "$SBX" reserve --apmask -64 >/dev/null
	run -1 kattr $U1 ap_config "0x$(printf '0%.0s' {1..16})8,0x08,0x0"
	assert_output --partial ENODEV
}

@test "control domains: only the maximum is checked, and mdevs share them" {
	kcreate "$U1"
	kcreate "$U2"
	run -0 kattr $U1 assign_control_domain 0x47
	run -0 kattr $U2 assign_control_domain 0x47
	run -0 kattr $U2 assign_control_domain 0x10
	run -1 kattr $U2 assign_control_domain 256
	assert_output --partial ENODEV
	assert_equal "$(cat "$SBX/$MATRIX/$U2/control_domains" | xargs)" "0010 0047"
	run -0 kattr $U2 unassign_control_domain 0x10
	run -0 kattr $U2 unassign_control_domain 0x10
	run -1 kattr $U2 unassign_control_domain 0x100
	assert_output --partial ENODEV
}

@test "ap_config: three masks, all or nothing" {
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null
	kcreate "$U1"
	local a5=0x04 a6=0x02 d4=0x08
	run -0 kattr $U1 ap_config "$a5,$d4,$d4"
	assert_equal "$(mattr $U1 matrix)" "05.0004"
	assert_equal "$(mattr $U1 control_domains)" "0004"
	# "A,B\n" has an empty third mask, "A,B" none at all
	run -0 kattr $U1 ap_config "$a6,$d4"
	assert_equal "$(mattr $U1 matrix)" "06.0004"
	assert_equal "$(wc -c <"$SBX/$MATRIX/$U1/control_domains")" 0
	run -1 kattr $U1 ap_config -n "$a6,$d4"
	assert_output --partial EINVAL
	run -1 kattr $U1 ap_config "$a6,$d4,0xg"
	assert_output --partial EINVAL
	run -0 kattr $U1 ap_config $'0x06\n0x08\n0x0'
	assert_equal "$(mattr $U1 matrix)" "05.0004 06.0004"
	kcreate "$U2"
	run -1 kattr $U2 ap_config "$a5,0x0800000000000000010000000000000,$d4"
	assert_output --partial EADDRINUSE
	assert_equal "$(wc -c <"$SBX/$MATRIX/$U2/matrix")" 0
	run -0 kattr $U1 ap_config ",,"
	assert_equal "$(wc -c <"$SBX/$MATRIX/$U1/matrix")" 0
}

@test "guest_matrix depends on history (spec 4.3)" {
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null
	drop_queue 06.0047
	kcreate "$U1"
	kattr $U1 assign_adapter 5; kattr $U1 assign_adapter 6
	kattr $U1 assign_domain 4; kattr $U1 assign_domain 0x47
	assert_equal "$(mattr $U1 guest_matrix)" "05.0004 05.0047"
	# without domain 0x47, adapter 6 could be in the guest, but nothing computes it
	kattr $U1 unassign_domain 0x47
	assert_equal "$(mattr $U1 matrix)" "05.0004 06.0004"
	assert_equal "$(mattr $U1 guest_matrix)" "05.0004"
	run -0 apctl --root "$SBX" show --json $U1
	assert_equal "$(json '.missing[0] | [.apqn, .reason] | join(" ")')" "06.0004 history"
	# a control domain computes only control domains
	kattr $U1 assign_control_domain 4
	assert_equal "$(mattr $U1 guest_matrix)" "05.0004"
	# the next assignment computes the guest again
	kattr $U1 assign_domain 0xab
	assert_equal "$(mattr $U1 guest_matrix)" "05.0004 05.00ab 06.0004 06.00ab"
}

@test "a guest: in use is what the guest has; remove waits until it lets go" {
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null
	drop_queue 06.0047
	kcreate "$U1"
	# adapters 5 and 6, domains 4 and 0x47
	kattr $U1 ap_config "0x06,0x08$(printf '0%.0s' {1..15})1,0x0"
	run -0 apctl --root "$SBX" sandbox attach $U1
	assert_equal "$(cat "$SBX/sys/bus/ap/devices/05.0004/status")" "in use"
	assert_equal "$(cat "$SBX/sys/bus/ap/devices/06.0004/status")" assigned
	assert_equal "$(cat "$SBX/sys/bus/ap/devices/05.00ab/status")" unassigned
	run -1 apctl --root "$SBX" sandbox attach $U1
	assert_output --partial "already in use by a guest"
	run -3 apctl --root "$SBX" sandbox attach $U2
	# a remove blocks while the guest holds the mdev
	"$APCTL" --root "$SBX" sandbox write "$MATRIX/$U1/remove" 1 &
	local pid=$!
	sleep 0.5
	[ -d "$SBX/$MATRIX/$U1" ]
	kill -0 $pid
	run -0 apctl --root "$SBX" sandbox detach $U1
	wait $pid
	[ ! -e "$SBX/$MATRIX/$U1" ]
}

@test "before 5.13 a remove of an mdev in use is EBUSY" {
	make_sandbox --kernel 5.10
	apctl --root "$SBX" reserve --adapters 5 >/dev/null
	kcreate "$U1"
	apctl --root "$SBX" sandbox attach $U1
	run -1 kattr $U1 remove 1
	assert_output --partial EBUSY
}

@test "before 6.0: queues must be bound to vfio_ap, and a guest freezes the mdev" {
	# 5.19: before 6.0, with the vfio_ap queue status of 5.17
	make_sandbox --kernel 5.19
	apctl --root "$SBX" reserve --adapters 5 >/dev/null
	kcreate "$U1"
	run -1 kattr $U1 assign_adapter 6
	assert_output --partial EADDRNOTAVAIL
	run -0 kattr $U1 assign_adapter 5
	run -0 kattr $U1 assign_adapter 5
	run -0 kattr $U1 assign_domain 4
	apctl --root "$SBX" sandbox attach $U1
	# every assigned queue is in use, and every write is EBUSY, even a bad one
	assert_equal "$(cat "$SBX/sys/bus/ap/devices/05.0004/status")" "in use"
	run -1 kattr $U1 assign_domain 0x47
	assert_output --partial EBUSY
	run -1 kattr $U1 unassign_domain nonsense
	assert_output --partial EBUSY
	run -1 kattr $U1 assign_control_domain 4
	assert_output --partial EBUSY
	apctl --root "$SBX" sandbox detach $U1
	run -0 kattr $U1 assign_domain 0x47
}

@test "hot plug: IDs assigned before they exist join the guest when they appear" {
	# adapter 7 is reserved and assigned before the LPAR has it
	apctl --root "$SBX" reserve --adapters 5,7 >/dev/null
	kcreate "$U1"
	kattr $U1 ap_config "0x05,0x08,0x08"
	assert_equal "$(mattr $U1 matrix)" "05.0004 07.0004"
	assert_equal "$(mattr $U1 guest_matrix)" "05.0004"
	apctl --root "$SBX" sandbox attach $U1
	run -0 apctl --root "$SBX" sandbox host add --adapters 7 --type CEX7C
	assert_output "The host now has adapters 5-7, usage domains 4,0x47,0xab,0xff, control domains 4,0x47,0xab,0xff: 12 queues."
	assert_equal "$(cat "$SBX/sys/devices/ap/card07/type")" CEX7C
	assert_equal "$(driver_of 07.0004)" vfio_ap
	assert_equal "$(mattr $U1 guest_matrix)" "05.0004 07.0004"
	assert_equal "$(cat "$SBX/sys/bus/ap/devices/07.0004/status")" "in use"
	assert_equal "$(cat "$SBX/sys/bus/ap/bindings")" "12/12 (complete)"
	# and leave it when they go; the matrix stays
	run -0 apctl --root "$SBX" sandbox host remove --adapters 5
	assert_equal "$(mattr $U1 guest_matrix)" "07.0004"
	assert_equal "$(mattr $U1 matrix)" "05.0004 07.0004"
	[ ! -e "$SBX/sys/devices/ap/card05" ] && [ ! -e "$SBX/sys/bus/ap/devices/05.0004" ]
	assert_equal "$(cat "$SBX/sys/bus/ap/ap_adapter_mask")" "0x03$(printf '0%.0s' {1..62})"
	run -0 apctl --root "$SBX" show --json $U1
	assert_equal "$(json '.missing[0] | [.apqn, .reason] | join(" ")')" "05.0004 adapter_not_in_host"
}

@test "host changes are refused on bad input" {
	run -2 apctl --root "$SBX" sandbox host add --adapters 256
	run -2 apctl --root "$SBX" sandbox host add
	run -2 apctl --root "$SBX" sandbox host move --adapters 1
	run -2 apctl --root "$SBX" sandbox host add --adapters 1 --type CEX9
	run -2 apctl --root "$SBX" sandbox attach not-a-uuid
}
