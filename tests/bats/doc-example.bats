#!/usr/bin/env bats
# The kernel document's example, end to end (Documentation/arch/s390/vfio-ap.rst):
# adapters 5 and 6 secured for vfio_ap, three mdevs for three guests, their
# matrices, then removal.

load helpers

GUEST1=62177883-f1bb-47f0-914d-32a22e3a8804
GUEST2=cef03c3c-903d-4ecc-9a83-40694cb8aee4
GUEST3=1b5a14fa-cc3e-4b3a-a1d5-8e6b8c9e5d5b

@test "three guests on adapters 5 and 6" {
	make_sandbox
	# 2. secure the APQNs
	run -0 apctl --root "$SBX" reserve --adapters 5,6
	assert_line "From the host to vfio_ap: 8 APQNs: adapters 5,6 x domains 4,0x47,0xab,0xff"
	run -0 bash -c "ls '$SBX/sys/bus/ap/drivers/vfio_ap' | grep '\.' | xargs"
	assert_output "05.0004 05.0047 05.00ab 05.00ff 06.0004 06.0047 06.00ab 06.00ff"
	# 3. and 4. one mdev per guest, and its matrix
	run -0 apctl --root "$SBX" mdev create $GUEST1 --adapters 5,6 --domains 4,0xab
	run -0 apctl --root "$SBX" mdev create $GUEST2 --adapters 5 --domains 0x47,0xff
	run -0 apctl --root "$SBX" mdev create $GUEST3 --adapters 6 --domains 0x47,0xff
	assert_equal "$(mattr $GUEST1 matrix)" "05.0004 05.00ab 06.0004 06.00ab"
	assert_equal "$(mattr $GUEST2 matrix)" "05.0047 05.00ff"
	assert_equal "$(mattr $GUEST3 matrix)" "06.0047 06.00ff"
	assert_equal "$(mattr $GUEST1 guest_matrix)" "05.0004 05.00ab 06.0004 06.00ab"
	assert_equal "$(mattr $GUEST2 guest_matrix)" "05.0047 05.00ff"
	assert_equal "$(mattr $GUEST3 guest_matrix)" "06.0047 06.00ff"
	run -0 apctl --root "$SBX" show
	# the grid's letters go by the order they were made in: GUEST1 A, GUEST2 B, GUEST3 C
	assert_line "  05     A    B    A    B"
	assert_line "  06     A    C    A    C"
	# no APQN can go to two guests
	run -4 apctl --root "$SBX" mdev assign $GUEST1 --domains 0x47
	assert_output --partial "05.0047  assigned to mdev $GUEST2"
	assert_output --partial "06.0047  assigned to mdev $GUEST3"
	# 5. to 7. the guests start
	local g
	for g in $GUEST1 $GUEST2 $GUEST3; do apctl --root "$SBX" sandbox attach $g; done
	run -0 apctl --root "$SBX" show --json
	assert_equal "$(json '[.queues[] | select(.status == "in use")] | length')" 8
	# the host cannot take its queues back while guests use them
	run -4 apctl --root "$SBX" release --adapters 5
	# when the guests are shut down, the mdevs may be removed
	for g in $GUEST1 $GUEST2 $GUEST3; do apctl --root "$SBX" sandbox detach $g; done
	run -0 apctl --root "$SBX" mdev remove $GUEST1 $GUEST2 $GUEST3
	run -0 apctl --root "$SBX" mdev list
	assert_output "No mdevs."
	run -0 apctl --root "$SBX" release --adapters 5,6
	assert_equal "$(cat "$SBX/sys/bus/ap/apmask")" "$ALL_ONES"
	assert_equal "$(driver_of 06.00ff)" cex4queue
}
