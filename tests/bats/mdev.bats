#!/usr/bin/env bats
# apctl mdev create, assign, unassign, remove, list: every refusal predicted
# and explained, changes made as one.

load helpers

U1=62177883-f1bb-47f0-914d-32a22e3a8804
U2=cef03c3c-903d-4ecc-9a83-40694cb8aee4

setup() {
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null
}

@test "create prints a new random UUID, or the one given in lower case" {
	run -0 apctl --root "$SBX" mdev create
	assert_output --regexp '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
	[ -d "$SBX/$MATRIX/$output" ]
	run -0 apctl --root "$SBX" mdev create "${U1^^}" --adapters 5 --domains 4,0xab --control-domains 4
	assert_output "$U1"
	assert_equal "$(mattr $U1 matrix)" "05.0004 05.00ab"
	assert_equal "$(mattr $U1 guest_matrix)" "05.0004 05.00ab"
	assert_equal "$(mattr $U1 control_domains)" "0004"
}

@test "create on 6.19 is one ap_config write; before 6.10 assign_* writes, adapters first" {
	run -0 apctl --root "$SBX" --json mdev create $U1 --adapters 5,6 --domains 4 --control-domains 4 --dry-run
	assert_equal "$(json '[.writes[].attribute | split("/") | last] | join(" ")')" "create ap_config"
	make_sandbox --kernel 6.9
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null
	run -0 apctl --root "$SBX" --json mdev create $U1 --adapters 5,6 --domains 4,0x47 --control-domains 4 --dry-run
	assert_equal "$(json '[.writes[] | (.attribute | split("/") | last) + "=" + .value] | join(" ")')" \
		"create=$U1 assign_adapter=5 assign_adapter=6 assign_control_domain=4 assign_domain=4 assign_domain=0x47"
	run -0 apctl --root "$SBX" mdev create $U1 --adapters 5,6 --domains 4,0x47 --control-domains 4
	assert_equal "$(mattr $U1 matrix)" "05.0004 05.0047 06.0004 06.0047"
}

@test "a dry run prints the verdict, the writes and the predicted matrices, and writes nothing" {
	local before
	before=$(tree_digest "$SBX")
	run -0 apctl --root "$SBX" mdev create $U1 --adapters 5,6 --domains 4 --dry-run
	assert_line "Dry run of apctl mdev create $U1: nothing is written. It would:"
	assert_line "  1. create mdev $U1"
	assert_line "  2. set mdev $U1 to adapters 5,6, domains 4, control domains none"
	assert_line "The kernel would accept it."
	assert_line "  guest_matrix  2 APQNs: adapters 5,6 x domains 4"
	run -0 apctl --root "$SBX" --json mdev create $U1 --adapters 5,6 --domains 4 --dry-run
	# the verdict's keys, and the mdev's keys as show --json has them
	assert_equal "$(json '[keys[] | select(IN("adapters", "command", "conflicts", "control_domains",
		"domains", "dry_run", "errno", "guest_matrix", "matrix", "notes", "ok", "uuid",
		"warnings", "writes", "written"))] | length')" 15
	assert_equal "$(json '.ok, .errno' | xargs)" "true null"
	assert_equal "$(json '.matrix | join(" ")')" "05.0004 06.0004"
	assert_equal "$(json '.guest_matrix | join(" ")')" "05.0004 06.0004"
	assert_equal "$(tree_digest "$SBX")" "$before"
	# the attributes and the bytes with --verbose
	run -0 apctl --root "$SBX" mdev create $U1 --adapters 5,6 --domains 4 --dry-run --verbose
	assert_line "       $TYPE_DIR/create <- '$U1'"
	# without a UUID the run chooses one: the dry run does not make one up
	run -0 apctl --root "$SBX" mdev create --adapters 5,6 --domains 4 --dry-run
	assert_line "  1. create mdev (new)"
	assert_line "mdev (new): adapters 5,6, domains 4, control domains none"
	refute_output --regexp "[0-9a-f]{8}-[0-9a-f]{4}-"
	assert_equal "$(tree_digest "$SBX")" "$before"
}

@test "the host's APQNs: EADDRNOTAVAIL predicted, each APQN named, the reservation to run" {
	local before
	before=$(tree_digest "$SBX")
	run -4 --separate-stderr apctl --root "$SBX" mdev create $U1 --adapters 5,7 --domains 4
	use_stderr
	assert_line "apctl: refused: the kernel would refuse mdev create $U1 with EADDRNOTAVAIL:"
	assert_line "  07.0004  reserved for the host's default drivers (apmask bit 7 and aqmask bit 4 are set) (writing ap_config)"
	assert_line "  for 07.0004, run 'apctl --root $SBX reserve --adapters 7'"
	assert_line "Nothing was written. The kernel refuses these writes (EADDRNOTAVAIL) as long as the above stands."
	assert_equal "$(tree_digest "$SBX")" "$before"
	run -4 apctl --root "$SBX" --json mdev create $U1 --adapters 5,7 --domains 4 --dry-run
	assert_equal "$(json '.ok, .errno' | xargs)" "false EADDRNOTAVAIL"
	assert_equal "$(json '.conflicts[0] | [.apqn, (.mdev // "-")] | join(" ")')" "07.0004 -"
	# a refusal keeps the request
	assert_equal "$(json '[.uuid, (.adapters | join(",")), (.matrix | join(","))] | join(" ")')" \
		"$U1 5,7 05.0004,07.0004"
	assert_equal "$(json '.guest_matrix')" null
}

@test "another mdev's APQNs: EADDRINUSE predicted with the mdev and the fix" {
	apctl --root "$SBX" mdev create $U1 --adapters 5,6 --domains 4,0xab >/dev/null
	apctl --root "$SBX" mdev create $U2 --adapters 5 >/dev/null
	run -4 --separate-stderr apctl --root "$SBX" mdev assign $U2 --domains 0xab
	use_stderr
	assert_line "  05.00ab  assigned to mdev $U1, and an APQN belongs to one mdev at most (assigning domain 0xab)"
	assert_line "  for 05.00ab, run 'apctl --root $SBX mdev unassign $U1 --domains 0xab'"
	run -4 apctl --root "$SBX" --json mdev assign $U2 --domains 4,0xab,0x47 --dry-run
	assert_equal "$(json '.errno')" EADDRINUSE
	assert_equal "$(json '[.conflicts[] | .apqn] | join(" ")')" "05.0004 05.00ab"
	assert_equal "$(json '.conflicts[0].mdev')" $U1
	# one fix for both, printed once: U1 loses fewer APQNs without adapter 5 than without
	# domains 4 and 0xab
	assert_equal "$(json -c '[.conflicts[] | .fix] | unique')" \
		"[\"apctl --root $SBX mdev unassign $U1 --adapters 5\"]"
	run -4 --separate-stderr apctl --root "$SBX" mdev assign $U2 --domains 4,0xab,0x47
	use_stderr
	assert_line "  for 05.0004, 05.00ab, run 'apctl --root $SBX mdev unassign $U1 --adapters 5'"
	# with --force the kernel answers, as predicted, and nothing is left half done
	local before
	before=$(sysfs_digest)
	run -1 apctl --root "$SBX" mdev assign $U2 --domains 0x47,0xab --force
	assert_output --partial "failed: EADDRINUSE (Address already in use), as predicted"
	assert_equal "$(sysfs_digest)" "$before"
}

@test "IDs above the maximum: ENODEV predicted" {
	make_sandbox --max-adapter-id 63 --adapters 5 --domains 4
	apctl --root "$SBX" mdev create $U1 >/dev/null
	run -4 --separate-stderr apctl --root "$SBX" mdev assign $U1 --adapters 64
	use_stderr
	assert_line "  assigning adapter 0x40: adapter 0x40 is above the maximum adapter ID 0x3f of this system"
	run -4 apctl --root "$SBX" --json mdev assign $U1 --adapters 64 --dry-run
	assert_equal "$(json '.errno')" ENODEV
}

@test "an existing UUID: EEXIST predicted" {
	apctl --root "$SBX" mdev create $U1 >/dev/null
	run -4 apctl --root "$SBX" mdev create "${U1^^}"
	assert_output --partial "an mdev with this UUID exists"
}

@test "over-provisioning is allowed, with a note" {
	# the masks must give adapter 0x10 to vfio_ap before it exists
	apctl --root "$SBX" reserve --adapters 0x10 >/dev/null
	run -0 --separate-stderr apctl --root "$SBX" mdev create $U1 --adapters 5,0x10 --domains 4,0x20
	assert_equal "$output" $U1
	use_stderr
	assert_line "apctl: note: adapter 0x10 is not in the host's AP configuration: it reaches the guest only when it appears"
	assert_line "apctl: note: domain 0x20 is not in the host's AP configuration: it reaches the guest only when it appears"
	assert_equal "$(mattr $U1 guest_matrix)" "05.0004"
}

@test "assign and unassign several IDs as one change" {
	apctl --root "$SBX" mdev create $U1 --adapters 5 >/dev/null
	run -0 apctl --root "$SBX" mdev assign $U1 --adapters 6 --domains 4,0x47 --control-domains 4
	assert_line "mdev $U1: adapters 5,6, domains 4,0x47, control domains 4"
	assert_line "  guest_matrix  4 APQNs: adapters 5,6 x domains 4,0x47"
	run -0 --separate-stderr apctl --root "$SBX" mdev assign $U1 --domains 4
	use_stderr
	assert_line "apctl: note: domain 4 is already assigned"
	run -0 apctl --root "$SBX" mdev unassign $U1 --adapters 6 --domains 0x47
	assert_equal "$(mattr $U1 matrix)" "05.0004"
	run -0 apctl --root "$SBX" --json mdev unassign $U1 --control-domains 4
	assert_equal "$(json '.control_domains | length')" 0
	assert_equal "$(json '[.writes[].attribute | split("/") | last] | join(" ")')" "unassign_control_domain"
}

@test "a guest on a kernel before 6.0: EBUSY predicted" {
	make_sandbox --kernel 5.15
	apctl --root "$SBX" reserve --adapters 5 >/dev/null
	apctl --root "$SBX" mdev create $U1 --adapters 5 --domains 4 >/dev/null
	apctl --root "$SBX" sandbox attach $U1
	run -4 --separate-stderr apctl --root "$SBX" mdev assign $U1 --domains 0x47
	use_stderr
	assert_line --partial "the mdev is in use by a guest, and kernel 5.15 changes no mdev in use"
	run -4 apctl --root "$SBX" mdev create $U2 --adapters 6 --domains 4 --dry-run
	assert_line "  assigning adapter 6: kernel 5.15 assigns adapter 6 only if one of its queues at least is bound to vfio_ap, and none is"
	apctl --root "$SBX" mdev create $U2 --adapters 5 >/dev/null
	run -4 apctl --root "$SBX" mdev assign $U2 --domains 0x47,0x10 --dry-run
	assert_line --partial "05.0010  no queue device; kernel 5.15 assigns only queues bound to vfio_ap"
}

@test "bad input exits 2, unknown mdevs 3" {
	run -2 apctl --root "$SBX" mdev create not-a-uuid
	assert_output --partial "'not-a-uuid' is not a UUID"
	run -2 apctl --root "$SBX" mdev create --adapters 05
	run -2 apctl --root "$SBX" mdev assign $U1
	assert_output --partial "nothing to assign"
	run -2 apctl --root "$SBX" mdev assign
	run -2 apctl --root "$SBX" mdev frob
	run -2 apctl --root "$SBX" mdev
	run -2 apctl --root "$SBX" mdev list --adapters 5
	run -2 apctl --root "$SBX" mdev remove
	run -3 apctl --root "$SBX" mdev assign $U1 --adapters 5
	assert_output --partial "no mdev $U1"
	run -3 apctl --root "$SBX" mdev remove $U1
}

@test "list: one line per mdev, and JSON" {
	run -0 apctl --root "$SBX" mdev list
	assert_output "No mdevs."
	apctl --root "$SBX" mdev create $U2 --adapters 5,6 --domains 4 --control-domains 4 >/dev/null
	apctl --root "$SBX" mdev create $U1 --adapters 5 --domains 0x47,0x50 >/dev/null
	apctl --root "$SBX" sandbox attach $U2
	run -0 apctl --root "$SBX" mdev list
	assert_line --index 0 --regexp '^UUID +ADAPTERS +DOMAINS +CONTROL +MATRIX +GUEST +IN USE +DEFINED$'
	assert_line --index 1 --regexp "^$U1 +5 +0x47,0x50 +- +2 +1 +no +-$"
	assert_line --index 2 --regexp "^$U2 +5,6 +4 +4 +2 +2 +yes +-$"
	run -0 apctl --root "$SBX" --json mdev list
	assert_equal "$(json '.[1] | [.uuid, .matrix_apqns, .guest_matrix_apqns, .in_use] | join(" ")')" "$U2 2 2 true"
	assert_equal "$(json '.[0].domains | join(",")')" "71,80"
}

@test "remove: one or several; an mdev in use is refused" {
	apctl --root "$SBX" mdev create $U1 --adapters 5 --domains 4 >/dev/null
	apctl --root "$SBX" mdev create $U2 --adapters 6 --domains 4 >/dev/null
	apctl --root "$SBX" sandbox attach $U2
	local before
	before=$(tree_digest "$SBX")
	run -4 apctl --root "$SBX" mdev remove $U1 $U2
	assert_output --partial "removing mdev $U2: in use by a guest"
	assert_equal "$(tree_digest "$SBX")" "$before"
	run -0 apctl --root "$SBX" mdev remove $U1 --dry-run
	assert_output "Dry run: would remove mdev $U1.
In all: 1 write to sysfs; 0 mdevs created, 1 removed; 0 APQNs to vfio_ap, 0 back to the host; 0 files written, 0 removed."
	run -0 apctl --root "$SBX" mdev remove $U1
	assert_output "Removed mdev $U1."
	[ ! -e "$SBX/$MATRIX/$U1" ]
	assert_equal "$(cat "$SBX/sys/bus/ap/devices/05.0004/status")" unassigned
}

@test "remove --force waits for the guest, and times out with exit 5" {
	apctl --root "$SBX" mdev create $U1 --adapters 5 --domains 4 >/dev/null
	apctl --root "$SBX" sandbox attach $U1
	run -5 apctl --root "$SBX" mdev remove $U1 --force --wait 1
	assert_output --partial "timed out after 1 s waiting for the guest to let go of mdev $U1"
	[ -d "$SBX/$MATRIX/$U1" ]
	# the write goes on; when the guest lets go, the mdev goes
	apctl --root "$SBX" sandbox detach $U1
	local i
	for i in $(seq 50); do [ -e "$SBX/$MATRIX/$U1" ] || break; sleep 0.1; done
	[ ! -e "$SBX/$MATRIX/$U1" ]
	apctl --root "$SBX" mdev create $U2 --adapters 5 --domains 4 >/dev/null
	apctl --root "$SBX" sandbox attach $U2
	( sleep 0.5 && "$APCTL" --root "$SBX" sandbox detach $U2 ) &
	run -0 apctl --root "$SBX" mdev remove $U2 --force --wait 10
	assert_output "Removed mdev $U2."
}

@test "remove notes an mdevctl definition left behind" {
	apctl --root "$SBX" mdev create $U1 >/dev/null
	mkdir -p "$SBX/etc/mdevctl.d/matrix"
	echo '{}' >"$SBX/etc/mdevctl.d/matrix/$U1"
	run -0 apctl --root "$SBX" mdev remove $U1
	assert_output --partial "note: mdevctl still defines $U1"
}

@test "show explains every APQN missing from guest_matrix" {
	apctl --root "$SBX" reserve --domains 0x20,0xff --adapters 0x10 >/dev/null
	apctl --root "$SBX" release --adapters 6 >/dev/null
	# 06.00ff stays with vfio_ap (aqmask bit 0xff is 0); 06.0004 is the host's
	drop_queue 05.00ff
	run -0 apctl --root "$SBX" mdev create $U1 --adapters 5,0x10 --domains 0xff,0x20
	run -0 apctl --root "$SBX" mdev assign $U1 --adapters 6
	run -0 apctl --root "$SBX" show $U1
	assert_line --regexp "^     05\.00ff +- +there is no queue device 05\.00ff$"
	assert_line --regexp "^     10\.00ff +- +adapter 0x10 is not in the host's AP configuration; it joins the guest when it appears$"
	assert_line --regexp "^     05\.0020 +- +domain 0x20 is not in the host's AP configuration; it joins the guest when it appears$"
	assert_line --regexp "^     06\.00ff +06\.00ff$"
	run -0 apctl --root "$SBX" show --json $U1
	assert_equal "$(json '[.missing[] | .reason] | unique | join(" ")')" \
		"adapter_not_in_host domain_not_in_host no_queue"
}

@test "the lock is taken for every change" {
	hold_lock
	run -1 apctl --root "$SBX" mdev create $U1 --lock-timeout 0
	assert_output --partial "is held by process $HOLDER"
	run -0 apctl --root "$SBX" mdev create $U1 --dry-run
	run -1 apctl --root "$SBX" mdev remove $U1 --lock-timeout 0
	let_go_lock
}

@test "repeated ID options add up" {
	run -0 apctl --root "$SBX" mdev create $U1 --adapters 6 --adapters 5 --domains 4 --domains 0xab
	assert_equal "$(mattr $U1 matrix)" "05.0004 05.00ab 06.0004 06.00ab"
	run -0 apctl --root "$SBX" mdev unassign $U1 --domains 4 --domains 0xab --adapters 6
	assert_equal "$(mattr $U1 matrix)" "05."
}

@test "remove names each mdev once, and a UUID twice is removed once" {
	apctl --root "$SBX" mdev create $U1 >/dev/null
	run -0 apctl --root "$SBX" mdev remove $U1 "${U1^^}"
	assert_output "Removed mdev $U1."
	run -3 apctl --root "$SBX" mdev remove $U1
}

@test "a new mdev's refusal says first what is not in the host, and names no UUID made up" {
	run -4 --separate-stderr apctl --root "$SBX" mdev create --adapters 7 --domains 4
	use_stderr
	assert_line --index 0 "apctl: note: adapter 7 is not in the host's AP configuration: it reaches the guest only when it appears"
	assert_line --index 1 "apctl: refused: the kernel would refuse mdev create with EADDRNOTAVAIL:"
	refute_output --regexp '[0-9a-f]{8}-[0-9a-f]{4}-'
	run -4 apctl --root "$SBX" --json mdev create --adapters 7 --domains 4 --dry-run
	assert_equal "$(json .command)" "mdev create"
}

@test "a remove that times out in a sandbox leaves no apctl process, and the guest letting go ends it" {
	apctl --root "$SBX" mdev create $U1 --adapters 5 --domains 4 >/dev/null
	apctl --root "$SBX" sandbox attach $U1
	run -5 --separate-stderr apctl --root "$SBX" mdev remove $U1 --force --wait 1
	# the change stands: the kernel finishes a removal it has begun
	assert_equal "$output" "mdev $U1 goes when its guest lets go."
	use_stderr
	assert_output --partial "timed out after 1 s waiting for the guest to let go of mdev $U1"
	assert_output --partial "the change is made and stands; the kernel removes mdev $U1 when its guest lets go"
	sleep 0.2
	run pgrep -f "apctl --root $SBX"
	assert_failure
	[ -d "$SBX/$MATRIX/$U1" ]
	assert_equal "$(cat "$SBX/apctl-sandbox.d/mdevs" | grep $U1)" "$U1 attached=1 removing=1 group=0 vfio=0"
	apctl --root "$SBX" sandbox detach $U1
	[ ! -e "$SBX/$MATRIX/$U1" ]
}

@test "waits show progress on stderr when it is a terminal" {
	command -v script >/dev/null || fail "script is not installed (Debian: bsdutils)"
	apctl --root "$SBX" mdev create $U1 --adapters 5 --domains 4 >/dev/null
	apctl --root "$SBX" sandbox attach $U1
	run script -qec "$APCTL --root $SBX mdev remove $U1 --force --wait 2" /dev/null
	assert_equal "$status" 5
	assert_output --partial "waiting for the guest to let go of mdev ${U1:0:8}...: 2 s left"
	# not on a pipe
	run -5 --separate-stderr apctl --root "$SBX" mdev remove $U1 --force --wait 1
	use_stderr
	refute_output --partial "s left"
}

@test "an adapter configured off is said to be so, and when it joins the guest" {
	apctl --root "$SBX" sandbox host deconfigure --adapters 6 >/dev/null
	run -0 --separate-stderr apctl --root "$SBX" mdev create $U1 --adapters 5,6 --domains 4
	use_stderr
	assert_output "apctl: note: adapter 6 is configured off (its card's config reads 0); it joins the guest when it is configured on"
	run -0 apctl --root "$SBX" show $U1
	assert_line --regexp "^     06\.0004 +- +adapter 6 is configured off \(its card's config reads 0\); it joins the guest when it is configured on$"
	run -0 apctl --root "$SBX" sandbox host configure --adapters 6
	run -0 apctl --root "$SBX" show --json
	assert_equal "$(json -c '.mdevs[0].guest_matrix')" '["05.0004","06.0004"]'
}
