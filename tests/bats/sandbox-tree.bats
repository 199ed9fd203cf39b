#!/usr/bin/env bats
# The sandbox tree checked from outside apctl (cat, readlink, find) against the
# formats of the kernel's sysfs (spec section 2).

load helpers

setup() {
	make_sandbox
	cd "$SBX" || exit 1
}

hex256='^0x[0-9a-f]{64}$'

@test "the marker says sandbox and generation" {
	run -0 cat apctl-sandbox
	assert_line --regexp '^# This directory is an apctl sandbox'
	assert_line "kernel=6.19"
}

@test "bus attributes have the kernel's formats" {
	local a
	for a in apmask aqmask ap_adapter_mask ap_usage_domain_mask ap_control_domain_mask; do
		run -0 cat "sys/bus/ap/$a"
		assert_output --regexp "$hex256"
		assert_equal "$(wc -c <"sys/bus/ap/$a")" 67
	done
	assert_equal "$(cat sys/bus/ap/ap_adapter_mask)" "0x06$(printf '0%.0s' {1..62})"
	assert_equal "$(cat sys/bus/ap/ap_usage_domain_mask)" \
		"0x08$(printf '0%.0s' {1..14})01$(printf '0%.0s' {1..24})1$(printf '0%.0s' {1..20})1"
	assert_equal "$(cat sys/bus/ap/ap_max_adapter_id)" 255
	assert_equal "$(cat sys/bus/ap/ap_max_domain_id)" 255
	assert_equal "$(cat sys/bus/ap/ap_domain)" 4
	assert_equal "$(cat sys/bus/ap/bindings)" "8/8 (complete)"
	assert_equal "$(cat sys/bus/ap/features)" "APSC APXA QACT RC8A"
	assert_equal "$(cat sys/bus/ap/config_time)" 30
	assert_equal "$(stat -c %a sys/bus/ap/apmask sys/bus/ap/ap_adapter_mask | xargs)" "644 444"
}

@test "cards have their attributes and driver" {
	assert_equal "$(cat sys/devices/ap/card05/type)" CEX5C
	assert_equal "$(cat sys/devices/ap/card06/type)" CEX5A
	assert_equal "$(cat sys/devices/ap/card05/hwtype)" 11
	assert_equal "$(cat sys/devices/ap/card05/modalias)" "ap:t0B"
	assert_equal "$(cat sys/devices/ap/card05/online)" 1
	assert_equal "$(cat sys/devices/ap/card05/config)" 1
	run -0 cat sys/devices/ap/card05/ap_functions
	assert_output --regexp '^0x[0-9A-F]{8}$'
	assert_equal "$(readlink sys/devices/ap/card05/driver)" ../../../bus/ap/drivers/cex4card
	assert_equal "$(readlink sys/bus/ap/devices/card05)" ../../../devices/ap/card05
	assert_equal "$(readlink sys/bus/ap/drivers/cex4card/card06)" ../../../../devices/ap/card06
}

@test "queue devices exist for the host configuration and are bound to cex4queue" {
	run -0 bash -c 'ls sys/bus/ap/devices | grep -v card | xargs'
	assert_output "05.0004 05.0047 05.00ab 05.00ff 06.0004 06.0047 06.00ab 06.00ff"
	local q
	for q in sys/devices/ap/card0[56]/0[56].*; do
		assert_equal "$(readlink "$q/driver")" ../../../../bus/ap/drivers/cex4queue
		assert_equal "$(cat "$q/online")" 1
		assert_equal "$(cat "$q/config")" 1
		[ ! -e "$q/status" ]
	done
	assert_equal "$(readlink sys/bus/ap/devices/06.00ab)" ../../../devices/ap/card06/06.00ab
	assert_equal "$(readlink sys/bus/ap/drivers/cex4queue/06.00ab)" ../../../../devices/ap/card06/06.00ab
	assert_equal "$(ls sys/bus/ap/drivers/vfio_ap | xargs)" "bind uevent unbind"
}

@test "the vfio_ap matrix device and its mdev type" {
	local t=sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough
	assert_equal "$(cat $t/name)" "VFIO AP Passthrough Device"
	assert_equal "$(cat $t/device_api)" vfio-ap
	assert_equal "$(cat $t/available_instances)" 65536
	assert_equal "$(stat -c %a $t/create)" 200
	[ -d $t/devices ]
	[ ! -e $t/description ]
	assert_equal "$(cat sys/devices/vfio_ap/matrix/features)" "guest_matrix hotplug ap_config"
	assert_equal "$(readlink sys/bus/matrix/devices/matrix)" ../../../devices/vfio_ap/matrix
	assert_equal "$(readlink sys/devices/vfio_ap/matrix/driver)" ../../../bus/matrix/drivers/vfio_ap
	assert_equal "$(readlink sys/class/mdev_bus/matrix)" ../../devices/vfio_ap/matrix
	[ -d sys/bus/mdev/devices ] && [ -d sys/bus/mdev/drivers/vfio_ap_mdev ]
}

@test "the directories apctl and its peers use" {
	[ -d etc/mdevctl.d ] && [ -d etc/udev/rules.d ] && [ -d run/lock ] && [ -d run/udev/rules.d ]
}

@test "every symlink resolves, and inside the sandbox" {
	# the links the emulated kernel parks beside a queue are the queue's, and
	# read from its directory
	run -0 find . -path ./apctl-sandbox.d/parked -prune -o -xtype l -print
	assert_output ""
	local l q
	while read -r l; do
		case $(realpath "$l") in
		"$SBX"/*) ;;
		*) fail "$l leads out of the sandbox" ;;
		esac
	done < <(find . -path ./apctl-sandbox.d/parked -prune -o -type l -print)
	run -0 find apctl-sandbox.d/parked -type l -name '??.????.driver.*'
	[ "${#lines[@]}" -gt 0 ]
	for l in "${lines[@]}"; do
		q=$(basename "$l")
		q=sys/devices/ap/card${q%%.*}/${q%.driver.*}
		case $(realpath -e "$q/$(readlink "$l")") in
		"$SBX"/sys/bus/ap/drivers/*) ;;
		*) fail "$l does not lead to a driver from $q" ;;
		esac
	done
}

@test "a big host has a queue device for every APQN of its configuration" {
	run -0 apctl sandbox create "$BATS_TEST_TMPDIR/big" --adapters 0-15 --domains 0-15,0x50
	assert_equal "$(ls "$BATS_TEST_TMPDIR/big/sys/bus/ap/drivers/cex4queue" | grep -c '\.')" 272
	assert_equal "$(cat "$BATS_TEST_TMPDIR/big/sys/bus/ap/bindings")" "272/272 (complete)"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/big/sys/bus/ap/ap_domain")" 0
}
