#!/usr/bin/env bats
# apctl show: text and JSON, read from trees in the states the kernel leaves.

load helpers

UUID1=62177883-f1bb-47f0-914d-32a22e3a8804
UUID2=cef03c3c-903d-4ecc-9a83-40694cb8aee4

# The kernel document's example half way: adapters 5 and 6 given to vfio_ap
# (echo -5,-6 > apmask), Guest1's mdev with adapters 5,6 and domains 4,0xab,
# of which queue 06.00ab is gone, so adapter 6 is filtered from the guest.
example_state() {
	make_sandbox
	echo 0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff >"$SBX/sys/bus/ap/apmask"
	hand_adapter_to_vfio 5
	hand_adapter_to_vfio 6
	rm -r "$SBX/sys/devices/ap/card06/06.00ab" "$SBX/sys/bus/ap/devices/06.00ab" \
		"$SBX/sys/bus/ap/drivers/vfio_ap/06.00ab"
	hand_mdev $UUID1 '05.0004\n05.00ab\n06.0004\n06.00ab\n' '05.0004\n05.00ab\n' '0004\n00ab\n'
	# the status of its queues says that a guest uses the second mdev
	hand_mdev $UUID2 '05.0047\n05.00ff\n' '05.0047\n05.00ff\n' '' -
	echo "in use" >"$SBX/sys/devices/ap/card05/05.0047/status"
}

@test "the demo host as text" {
	make_sandbox
	run -0 apctl --root "$SBX" show
	assert_line "AP configuration of $SBX (sandbox emulating kernel 6.19)"
	assert_line "  adapters         5,6"
	assert_line "  usage domains    4,0x47,0xab,0xff"
	assert_line "  control domains  4,0x47,0xab,0xff"
	assert_line "  default domain   4"
	assert_line "  host's default drivers  8 APQNs: adapters 5,6 x domains 4,0x47,0xab,0xff"
	assert_line "  vfio_ap                 0 APQNs"
	assert_line --regexp '^  05 +CEX5C +CCA-Coproc +11 +usable$'
	assert_line --regexp '^  06 +CEX5A +Accelerator +11 +usable$'
	assert_line --regexp '^  05\.0047 +host +cex4queue +- +usable +-$'
	assert_line "  05     H    H    H    H"
	assert_line "Mediated devices: none"
}

@test "the demo host as JSON has every documented key" {
	make_sandbox
	run -0 apctl --root "$SBX" show --json
	assert_equal "$(json 'keys_unsorted | join(" ")')" "root sandbox kernel interrupted_change bus adapters queues mdevs persistent"
	assert_equal "$(json '.bus | keys | join(" ")')" \
		"apmask aqmask default_domain features host max_adapter_id max_domain_id"
	assert_equal "$(json '.bus.features | join(" ")')" "APSC APXA QACT RC8A"
	assert_equal "$(json '.adapters[0] | keys | join(" ")')" "chkstop config hwtype id mode online type unusable"
	assert_equal "$(json '.queues[0] | keys | join(" ")')" "adapter apqn domain driver mdev owner status unusable"
	assert_equal "$(json '.queues[0] | [.apqn, .adapter, .domain, .owner, .driver] | join(" ")')" \
		"05.0004 5 4 host cex4queue"
	assert_equal "$(json '.queues[0].status, .queues[0].mdev' | xargs)" "null null"
	assert_equal "$(json '.root')" "$SBX"
	assert_equal "$(json '.sandbox')" true
	# numbers are numbers
	assert_equal "$(json '[.bus.max_adapter_id, .adapters[0].id, .queues[0].domain] | map(type) | unique | join("")')" number
}

@test "owners, drivers, status and mdevs of the example" {
	example_state
	run -0 apctl --root "$SBX" show --json
	assert_equal "$(json '[.queues[] | select(.owner == "vfio_ap")] | length')" 7
	assert_equal "$(json '.queues[] | select(.apqn == "05.0004") | [.owner, .driver, .status, .mdev] | join(" ")')" \
		"vfio_ap vfio_ap assigned $UUID1"
	assert_equal "$(json '.queues[] | select(.apqn == "05.0047") | [.status, .mdev] | join(" ")')" \
		"in use $UUID2"
	assert_equal "$(json '.queues[] | select(.apqn == "06.0047") | [.status, (.mdev // "none")] | join(" ")')" \
		"unassigned none"
	assert_equal "$(json '[.mdevs[].uuid] | join(" ")')" "$UUID1 $UUID2"
	assert_equal "$(json '.mdevs[0] | keys | join(" ")')" \
		"adapters control_domains domains guest guest_matrix guest_matrix_apqns in_use incomplete iommu_group matrix matrix_apqns missing uuid"
	assert_equal "$(json '[.mdevs[0].missing[] | "\(.apqn):\(.reason)"] | join(" ")')" \
		"06.0004:adapter_filtered 06.00ab:no_queue"
	assert_equal "$(json '.mdevs[1].missing | length')" 0
	assert_equal "$(json '.mdevs[0] | [(.adapters | join(",")), (.domains | join(",")), (.control_domains | join(","))] | join(" ")')" \
		"5,6 4,171 4,171"
	assert_equal "$(json '.mdevs[0].matrix | join(" ")')" "05.0004 05.00ab 06.0004 06.00ab"
	assert_equal "$(json '.mdevs[0].guest_matrix | join(" ")')" "05.0004 05.00ab"
	assert_equal "$(json '.mdevs[0].in_use, .mdevs[1].in_use' | xargs)" "false true"
	assert_equal "$(json '.bus.apmask')" "0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
}

@test "the example as text: pools, grid and matrix beside guest_matrix" {
	example_state
	run -0 apctl --root "$SBX" show
	assert_line "  host's default drivers  0 APQNs"
	assert_line "  vfio_ap                 8 APQNs: adapters 5,6 x domains 4,0x47,0xab,0xff"
	assert_line "          adapters 0-4,7-0xff"
	assert_line --regexp '^  05\.0004 +vfio_ap +vfio_ap +assigned +usable +62177883-'
	assert_line --regexp '^  05\.0047 +vfio_ap +vfio_ap +in use +usable +cef03c3c-'
	assert_line "  05     A    B*   A    B*"
	assert_line "  06     A    .    -    ."
	assert_line "  A  $UUID1  not in use"
	assert_line "  B  $UUID2  in use by a guest"
	assert_line "     adapters         5,6"
	assert_line "     domains          4,0xab"
	assert_line "     matrix (4 APQNs)       guest_matrix (2 APQNs)"
	assert_line "     05.0004                05.0004"
	assert_line "     06.0004                -            adapter 6 is left out of the guest as a whole, because queue 06.00ab is not bound to vfio_ap"
	assert_line "     06.00ab                -            there is no queue device 06.00ab"
	assert_line "     matrix           2 APQNs, all in guest_matrix"
}

@test "a queue bound to the wrong driver is marked in the grid" {
	make_sandbox
	rm "$SBX/sys/devices/ap/card05/05.0004/driver" "$SBX/sys/bus/ap/drivers/cex4queue/05.0004"
	run -0 apctl --root "$SBX" show
	assert_line "  05     H!   H    H    H"
	run -0 apctl --root "$SBX" show --json
	assert_equal "$(json '.queues[0].driver')" null
}

@test "the grid's letters follow the order the kernel made the mdevs in, not their UUIDs" {
	make_sandbox
	local u3=1b5a14fa-cc3e-4b3a-a1d5-8e6b8c9e5d5b
	run -0 apctl --root "$SBX" reserve --adapters 5,6
	run -0 apctl --root "$SBX" mdev create $UUID2 --adapters 5 --domains 4
	run -0 apctl --root "$SBX" mdev create $UUID1 --adapters 6 --domains 4
	run -0 apctl --root "$SBX" show
	assert_line "  05     A    .    .    ."
	assert_line "  06     B    .    .    ."
	# a third one, first by UUID, comes last: the others keep their letters
	run -0 apctl --root "$SBX" mdev create $u3 --adapters 5 --domains 0x47
	run -0 apctl --root "$SBX" show
	assert_line "  05     A    C    .    ."
	assert_line "  06     B    .    .    ."
	assert_line "  C  $u3  not in use"
	# the letters are the VFIO groups' order, as the iommu_group links show it
	run -0 apctl --root "$SBX" show --json
	for u in $UUID2 $UUID1 $u3; do
		assert_equal "$(json ".mdevs[] | select(.uuid == \"$u\") | .iommu_group")" \
			"$(basename "$(readlink "$SBX/sys/bus/mdev/devices/$u/iommu_group")")"
	done
	# a removed mdev's group is the kernel's lowest free one, which the next mdev takes
	run -0 apctl --root "$SBX" mdev remove $UUID2
	run -0 apctl --root "$SBX" mdev create $UUID2 --adapters 5 --domains 0xab
	run -0 apctl --root "$SBX" show
	assert_line "  05     .    C    A    ."
	assert_line "  06     B    .    .    ."
}

@test "show UUID shows one mdev, in text and JSON" {
	example_state
	run -0 apctl --root "$SBX" show $UUID2
	assert_line "  $UUID2  in use by a guest"
	refute_line --partial "$UUID1"
	run -0 apctl --root "$SBX" show --json "${UUID1^^}"
	assert_equal "$(json .uuid)" $UUID1
	assert_equal "$(json '.guest_matrix | length')" 2
}

@test "show UUID of no mdev exits 3, a malformed UUID exits 2" {
	make_sandbox
	run -3 apctl --root "$SBX" show $UUID1
	assert_output --partial "no mdev $UUID1"
	run -2 apctl --root "$SBX" show 1234
	assert_output --partial "'1234' is not a UUID"
	run -2 apctl --root "$SBX" show $UUID1 $UUID2
	assert_output --partial "unexpected argument"
}

@test "a kernel before 6.0 has no guest_matrix" {
	make_sandbox --kernel 5.15
	hand_adapter_to_vfio 5
	mkdir -p "$SBX/sys/devices/vfio_ap/matrix/$UUID1"
	printf '05.0004\n' >"$SBX/sys/devices/vfio_ap/matrix/$UUID1/matrix"
	: >"$SBX/sys/devices/vfio_ap/matrix/$UUID1/control_domains"
	run -0 apctl --root "$SBX" show --json
	assert_equal "$(json '.mdevs[0].guest_matrix')" null
	assert_equal "$(json '.mdevs[0].matrix | join(",")')" "05.0004"
	run -0 apctl --root "$SBX" show
	assert_line "     matrix           1 APQN (this kernel has no guest_matrix)"
}

@test "ap_config is read where the kernel has it" {
	make_sandbox
	local d=$SBX/sys/devices/vfio_ap/matrix/$UUID1
	mkdir -p "$d"
	printf '0x04%062d,0x08%062d,0x%064d\n' 0 0 0 >"$d/ap_config"
	: >"$d/guest_matrix"
	run -0 apctl --root "$SBX" show --json
	assert_equal "$(json '.mdevs[0] | [(.adapters | join(",")), (.domains | join(","))] | join(" ")')" "5 4"
}

@test "an mdev that cannot be read is shown as incomplete, not left out, and blocks no command" {
	make_sandbox
	local d=$SBX/sys/devices/vfio_ap/matrix/$UUID1
	mkdir -p "$d"
	printf 'garbage\n' >"$d/matrix"
	: >"$d/control_domains"
	run -0 apctl --root "$SBX" show
	assert_line "  A  $UUID1  incomplete: its files could not be read (EINVAL): it is being removed or made"
	run -0 apctl --root "$SBX" show --json
	assert_equal "$(json '.mdevs[0] | [.uuid, .incomplete] | join(" ")')" "$UUID1 EINVAL"
	# half made: the directory is there, its files not yet
	rm "$d/matrix" "$d/control_domains"
	run -0 apctl --root "$SBX" mdev list
	assert_line --regexp "^$UUID1 +incomplete: its files could not be read \(ENOENT\)"
	run -0 apctl --root "$SBX" mdev list --json
	assert_equal "$(json '.[0].incomplete')" ENOENT
	run -1 apctl --root "$SBX" mdev assign $UUID1 --adapters 5
	assert_output --partial "mdev $UUID1 could not be read"
	run -0 apctl --root "$SBX" reserve --adapters 5
}

@test "show and mdev list survive an mdev removed while they read" {
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null
	local i u
	for i in $(seq 20); do
		u=$(printf '%08d-1111-4111-8111-111111111111' "$i")
		apctl --root "$SBX" mdev create "$u" --adapters 5 --domains 4 >/dev/null
		apctl --root "$SBX" mdev remove "$u" >/dev/null &
		run apctl --root "$SBX" show --json
		assert_success
		run apctl --root "$SBX" mdev list
		assert_success
		wait
	done
}

@test "a host without QCI" {
	make_sandbox
	local m
	for m in ap_adapter_mask ap_usage_domain_mask ap_control_domain_mask; do
		echo "not supported" >"$SBX/sys/bus/ap/$m"
	done
	run -0 apctl --root "$SBX" show --json
	assert_equal "$(json '.bus.host')" null
	run -0 apctl --root "$SBX" show
	assert_line --partial "not available"
	assert_line "  05     H    H    H    H"
}

@test "without vfio_ap loaded" {
	make_sandbox
	rm -r "$SBX/sys/devices/vfio_ap"
	run -0 apctl --root "$SBX" show
	assert_line --partial "vfio_ap is not loaded"
}

@test "a big host is shown in blocks of 16 domains" {
	make_sandbox --adapters 0-1 --domains 0-20
	run -0 apctl --root "$SBX" show
	assert_line "         0000 0001 0002 0003 0004 0005 0006 0007 0008 0009 000a 000b 000c 000d 000e 000f"
	assert_line "         0010 0011 0012 0013 0014"
	assert_line "  01     H    H    H    H    H"
}

# A copy of a sandbox without its marker: apctl takes it for a live system.
fake_live() {
	rm "$SBX/apctl-sandbox"
	mkdir -p "$SBX/proc/sys/kernel"
}

@test "a live root's kernel generation comes from its release, sysfs as a cross-check" {
	make_sandbox --kernel 6.2
	fake_live
	# 6.0 to 6.3 without mdevs shows nothing sysfs could tell a 5.x kernel by
	echo 6.2.0-37-generic >"$SBX/proc/sys/kernel/osrelease"
	run -0 apctl --root "$SBX" show --json
	assert_equal "$(json .kernel)" 6.2
	run -0 apctl --root "$SBX" show
	assert_line --index 0 "AP configuration of $SBX (live system, kernel 6.2 by its release 6.2.0-37-generic)"
	# a distribution kernel with a backport: the evidence wins
	make_sandbox --kernel 6.19
	fake_live
	echo 5.14.0-362.el9.s390x >"$SBX/proc/sys/kernel/osrelease"
	run -0 apctl --root "$SBX" show
	assert_line --index 0 --partial "kernel generation 6.19 by what sysfs offers, newer than its release 5.14.0-362.el9.s390x"
	# a release after the newest known
	echo 7.1.0 >"$SBX/proc/sys/kernel/osrelease"
	run -0 --separate-stderr apctl --root "$SBX" show --json
	assert_equal "$(json .kernel)" 6.19
	assert_equal "$stderr" "apctl: note: kernel release 7.1 is newer than the newest generation apctl knows; it is taken as 6.19, since 7.0 to 7.2 changed nothing in vfio_ap"
	# no release: what sysfs offers, at least
	rm "$SBX/proc/sys/kernel/osrelease"
	run -0 apctl --root "$SBX" show
	assert_line --index 0 --partial "kernel generation 6.19 by what sysfs offers, at least"
	# --kernel decides for any root
	run -0 apctl --root "$SBX" --kernel 6.4 show --json
	assert_equal "$(json .kernel)" 6.4
}
