#!/usr/bin/env bats
# The sandbox's sysfs as the kernel prints it (spec section 2), read from
# outside with cat and readlink, on several generations and card types; and
# cards and queues configured off, checkstopped, set offline.

load helpers

dev() { cat "$SBX/sys/devices/ap/$1"; }

@test "cards: uevent, depth, functions, serial numbers, per type" {
	make_sandbox --adapters 1-3 --domains 2 --type CEX8P,CEX7C,CEX6A
	assert_equal "$(dev card01/uevent)" "DEVTYPE=ap_card
DRIVER=cex4card
DEV_TYPE=000E
MODALIAS=ap:t0E
MODE=ep11"
	assert_equal "$(dev card02/uevent | grep MODE)" MODE=cca
	assert_equal "$(dev card03/uevent | grep MODE)" MODE=accel
	# an EP11 coprocessor has no APSC: -----XN-F- in lszcrypt -V
	assert_equal "$(dev card01/ap_functions)" 0x06800000
	assert_equal "$(dev card02/ap_functions)" 0x92800000
	assert_equal "$(dev card03/ap_functions)" 0x6A000000
	# 16 characters for EP11, 8 for CCA, none for an accelerator
	[[ $(dev card01/serialnr) =~ ^[0-9A-F]{16}$ ]]
	[[ $(dev card02/serialnr) =~ ^[0-9A-F]{8}$ ]]
	[ ! -e "$SBX/sys/devices/ap/card03/serialnr" ]
	assert_equal "$(dev card01/FW_version)" 7.15
	assert_equal "$(dev card01/depth)" 8
	assert_equal "$(dev card01/max_msg_size)" 12288
	assert_equal "$(dev card01/config) $(dev card01/chkstop) $(dev card01/online)" "1 0 1"
}

@test "queues: uevent, request_count, mkvps, driver_override, by driver and type" {
	make_sandbox --adapters 1-3 --domains 2 --type CEX8P,CEX7C,CEX6A
	assert_equal "$(dev card02/02.0002/uevent)" "DEVTYPE=ap_queue
DRIVER=cex4queue
MODE=cca"
	assert_equal "$(dev card02/02.0002/request_count)" 0
	assert_equal "$(dev card02/02.0002/mkvps | cut -d: -f1 | xargs)" \
		"AES NEW AES CUR AES OLD APKA NEW APKA CUR APKA OLD ASYM NEW ASYM CUR ASYM OLD"
	dev card02/02.0002/mkvps | grep -qE '^AES CUR: valid 0x[0-9a-f]{16}$'
	dev card02/02.0002/mkvps | grep -qE '^ASYM CUR: valid 0x[0-9a-f]{32}$'
	assert_equal "$(dev card01/01.0002/mkvps | sed -n 2p)" "WK NEW: empty -"
	dev card01/01.0002/mkvps | grep -qE '^WK CUR: valid 0x[0-9a-f]{64}$'
	assert_equal "$(dev card01/01.0002/op_modes)" FIPS2021
	[ ! -e "$SBX/sys/devices/ap/card03/03.0002/mkvps" ]
	# unset: an empty line, not "(null)"
	assert_equal "$(stat -c %s "$SBX/sys/devices/ap/card02/02.0002/driver_override")" 1
	assert_equal "$(dev card02/02.0002/ap_functions)" 0x92800000
	# bound to vfio_ap: no online, load or mkvps; uninitiated
	apctl --root "$SBX" reserve --adapters 2 >/dev/null 2>&1
	assert_equal "$(dev card02/02.0002/uevent)" "DEVTYPE=ap_queue
DRIVER=vfio_ap
MODE=cca"
	assert_equal "$(dev card02/02.0002/request_count)" -
	assert_equal "$(dev card02/02.0002/status)" unassigned
	local f
	for f in online load mkvps op_modes; do [ ! -e "$SBX/sys/devices/ap/card02/02.0002/$f" ]; done
	# and back: the master keys as before
	apctl --root "$SBX" release --adapters 2 >/dev/null 2>&1
	dev card02/02.0002/mkvps | grep -qE '^AES CUR: valid'
}

@test "each generation has its attributes and formats" {
	make_sandbox --kernel 5.15 --adapters 1 --domains 2 --type CEX7C
	[ ! -e "$SBX/sys/devices/ap/card01/chkstop" ]
	[ ! -e "$SBX/sys/devices/ap/card01/01.0002/ap_functions" ]
	assert_equal "$(dev card01/depth)" 7
	assert_equal "$(dev card01/01.0002/mkvps | grep -c ASYM)" 0
	apctl --root "$SBX" reserve --adapters 1 >/dev/null 2>&1
	# vfio_ap's queue status came with 5.17
	[ ! -e "$SBX/sys/devices/ap/card01/01.0002/status" ]
	make_sandbox --kernel 5.10 --adapters 1 --domains 2 --type CEX7C
	[ ! -e "$SBX/sys/devices/ap/card01/max_msg_size" ]
	assert_equal "$(dev card01/uevent | grep -c MODE)" 0
	make_sandbox --kernel 6.4 --adapters 1 --domains 2 --type CEX7C
	assert_equal "$(dev card01/01.0002/ap_functions)" 0x92800000
	assert_equal "$(dev card01/depth)" 7
	[ ! -e "$SBX/sys/devices/ap/card01/01.0002/driver_override" ]
}

@test "a card configured off leaves the host and the guests, its devices stay" {
	local u=11111111-1111-4111-8111-111111111111
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5 >/dev/null 2>&1
	apctl --root "$SBX" mdev create $u --adapters 5 --domains 4,0x47 >/dev/null
	run -0 apctl --root "$SBX" sandbox host deconfigure --adapters 5
	assert_output "Configured off: adapter 5."
	assert_equal "$(dev card05/config) $(dev card05/online) $(dev card05/05.0004/config)" "0 0 0"
	assert_equal "$(cat "$SBX/sys/bus/ap/ap_adapter_mask")" \
		0x0200000000000000000000000000000000000000000000000000000000000000
	assert_equal "$(mattr $u guest_matrix)" ".0004 .0047"
	run -0 apctl --root "$SBX" show
	assert_line --regexp '^  05 +CEX5C +CCA-Coproc +11 +configured off$'
	assert_line --regexp '^  05\.0004 +vfio_ap +vfio_ap +assigned +configured off +'"$u"'$'
	run -0 apctl --root "$SBX" show --json
	assert_equal "$(json '.adapters[0] | [.config, .online, .unusable] | join(" ")')" \
		"false false configured off"
	# a write of the card's config does the same; online cannot be set then
	run -1 kwrite sys/devices/ap/card05/online 1
	assert_output --partial ENODEV
	run -0 kwrite sys/devices/ap/card05/config 1
	assert_equal "$(mattr $u guest_matrix)" "05.0004 05.0047"
	run -1 kwrite sys/devices/ap/card05/config 2
	assert_output --partial EINVAL
}

@test "checkstopped cards, and cards and queues set offline" {
	make_sandbox
	run -0 apctl --root "$SBX" sandbox host checkstop --adapters 6
	assert_equal "$(dev card06/chkstop) $(dev card06/online) $(dev card06/06.0004/online)" "1 0 0"
	assert_equal "$(dev card06/06.0004/mkvps 2>/dev/null | head -1)" ""
	run -0 apctl --root "$SBX" show --json
	assert_equal "$(json '.queues[] | select(.apqn == "06.0004") | .unusable')" checkstopped
	run -0 apctl --root "$SBX" sandbox host uncheckstop --adapters 6
	run -0 apctl --root "$SBX" sandbox host offline --apqns 05.0047
	assert_output "Set offline: 1 APQN: adapter 5 x domain 0x47"
	assert_equal "$(dev card05/05.0047/online) $(dev card05/05.0004/online)" "0 1"
	assert_equal "$(dev card05/05.0047/mkvps | head -1)" "AES NEW: - -"
	run -0 apctl --root "$SBX" show
	assert_line --regexp '^  05\.0047 +host +cex4queue +- +offline +-$'
	# a card set offline takes its queues; a queue cannot come online without it
	run -0 kwrite sys/devices/ap/card05/online 0
	assert_equal "$(dev card05/05.0004/online)" 0
	run -1 kwrite sys/devices/ap/card05/05.0004/online 1
	assert_output --partial EINVAL
	run -0 kwrite sys/devices/ap/card05/online 1
	assert_equal "$(dev card05/05.0004/online) $(dev card05/05.0047/online)" "1 1"
	# what zcrypt knows goes with it: a queue given to vfio_ap comes back online
	run -0 apctl --root "$SBX" sandbox host offline --adapters 6
	run -2 apctl --root "$SBX" sandbox host offline
	run -1 apctl --root "$SBX" sandbox host online --apqns 06.0004 --adapters 7
	assert_output --partial "there is no card 07"
}

@test "--from copies states, serial numbers, overrides and master keys; the copy answers as its source" {
	local copy=$BATS_TEST_TMPDIR/copy q
	make_sandbox --adapters 1-3 --domains 2,5 --type CEX8P,CEX7C,CEX6A
	run -0 kwrite sys/devices/ap/card02/02.0005/driver_override vfio_ap
	run -0 apctl --root "$SBX" sandbox host deconfigure --adapters 3
	run -0 apctl --root "$SBX" sandbox host offline --apqns 01.0005
	# master key patterns as a real host's card answers them
	q=$SBX/sys/devices/ap/card02/02.0002/mkvps
	printf 'AES NEW: empty 0x0000000000000000\nAES CUR: valid 0x1122334455667788\n' >"$q"
	run -0 apctl sandbox create "$copy" --from "$SBX"
	for f in card01/serialnr card02/serialnr card03/config card01/01.0005/online \
		card02/02.0005/driver_override card02/02.0002/mkvps card01/01.0002/mkvps; do
		cmp "$SBX/sys/devices/ap/$f" "$copy/sys/devices/ap/$f"
	done
	assert_equal "$(tree_digest "$copy/sys")" "$(tree_digest "$SBX/sys")"
	# the same writes get the same answers and leave the same trees
	local writes=(sys/bus/ap/apmask -2 sys/bus/ap/devices/02.0005/driver_override ''
		sys/bus/ap/apmask -2 sys/devices/ap/card01/01.0005/online 1
		sys/devices/ap/card03/online 1 sys/bus/ap/aqmask -5) i want=()
	for ((i = 0; i < ${#writes[@]}; i += 2)); do
		run kwrite "${writes[i]}" "${writes[i + 1]}"
		want+=("$status")
		run apctl --root "$copy" sandbox write "${writes[i]}" "${writes[i + 1]}"
		assert_equal "$status" "${want[-1]}"
	done
	assert_equal "${want[*]}" "1 0 0 0 1 0"
	assert_equal "$(tree_digest "$copy/sys")" "$(tree_digest "$SBX/sys")"
	# the copied master keys show through a round trip to vfio_ap and back
	[ ! -e "$copy/sys/devices/ap/card02/02.0002/mkvps" ]
	run -0 apctl --root "$copy" release --adapters 2
	assert_equal "$(sed -n 2p "$copy/sys/devices/ap/card02/02.0002/mkvps")" \
		"AES CUR: valid 0x1122334455667788"
}

@test "a rebind delay: the bindings follow the masks later, and apctl waits for them" {
	make_sandbox --rebind-delay 700
	run -0 kwrite sys/bus/ap/apmask -5
	assert_equal "$(driver_of 05.0004)" cex4queue
	run -0 --separate-stderr apctl --root "$SBX" --json show
	assert_equal "$(json '[.queues[] | select(.apqn == "05.0004") | .owner, .driver] | join(" ")')" \
		"vfio_ap cex4queue"
	sleep 1
	assert_equal "$(driver_of 05.0004)" vfio_ap
	# apctl's wait sees the bus catch up; --no-wait says what is still to come
	run -0 apctl --root "$SBX" release --adapters 5
	assert_equal "$(driver_of 05.0004)" cex4queue
	run -0 --separate-stderr apctl --root "$SBX" reserve --adapters 5 --no-wait
	assert_line "Not yet bound by the AP bus ('apctl --root $SBX show' tells when they are): 4 APQNs: adapter 5 x domains 4,0x47,0xab,0xff"
	assert_equal "$(driver_of 05.0004)" cex4queue
	sleep 1
	assert_equal "$(driver_of 05.0004)" vfio_ap
	# a reader after the time finds the bus caught up, even if nothing else did it
	make_sandbox --rebind-delay 3600000
	run -0 kwrite sys/bus/ap/apmask -5
	pkill -f "$SBX sandbox write"
	sed -i 's/due=[0-9]*/due=1/' "$SBX/apctl-sandbox.d/rebind"
	hand_edited
	assert_equal "$(driver_of 05.0004)" cex4queue
	run -0 apctl --root "$SBX" show
	assert_equal "$(driver_of 05.0004)" vfio_ap
	[ ! -e "$SBX/apctl-sandbox.d/rebind" ]
	run -2 apctl sandbox create "$BATS_TEST_TMPDIR/x" --rebind-delay soon
	assert_output --partial "--rebind-delay 'soon' is not a number of milliseconds"
}
