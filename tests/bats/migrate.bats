#!/usr/bin/env bats
# Moving a guest's mdev to another host, as the kernel document's procedure
# goes: export --mdev on the source (the mdev alone, with the type and mode of
# each card it uses), plan and apply on the target, which refuses a host whose
# cards differ or whose APQNs another mdev holds. The exported file is checked
# against the configuration's JSON Schema by python3-jsonschema; what a target
# can take follows from the sandboxes' cards, set up here.

load helpers

U1=62177883-f1bb-47f0-914d-32a22e3a8804
U2=cef03c3c-903d-4ecc-9a83-40694cb8aee4
U3=0b5f4a3c-6c7d-4e8f-9a0b-1c2d3e4f5a6b

VALIDATE='
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.validators.validator_for(schema).check_schema(schema)
jsonschema.validate(json.load(sys.stdin), schema)
'

# The source: the demo host (adapter 5 a CEX5C, 6 a CEX5A) with two guests' mdevs.
setup() {
	make_sandbox
	SRC=$SBX
	apctl --root "$SRC" reserve --adapters 5,6 --persistent >/dev/null 2>&1
	apctl --root "$SRC" mdev create $U1 --adapters 5,6 --domains 0xab --persistent --autostart \
		>/dev/null 2>&1
	apctl --root "$SRC" mdev create $U2 --adapters 5 --domains 0x47 >/dev/null 2>&1
	apctl --root "$SRC" export --mdev $U1 >"$BATS_TEST_TMPDIR/guest.json"
}

@test "export --mdev: that mdev alone, its definition, the cards it uses, no masks; the schema takes it" {
	run -0 jq -c . "$BATS_TEST_TMPDIR/guest.json"
	assert_output '{"version":1,"mdevs":[{"uuid":"'$U1'","adapters":[5,6],"domains":[171],"control_domains":[],"running":true,"persistent":true,"autostart":true}],"cards":[{"adapter":5,"type":"CEX5C","mode":"CCA-Coproc"},{"adapter":6,"type":"CEX5A","mode":"Accelerator"}]}'
	/usr/bin/python3 -c "$VALIDATE" "$BATS_TEST_DIRNAME/../../schema/config.schema.json" \
		<"$BATS_TEST_TMPDIR/guest.json"
	# two, as a list or repeated; an mdev that is neither running nor defined
	run -0 apctl --root "$SRC" export --mdev "$U2,$U1"
	assert_equal "$(json -c '[[.mdevs[].uuid], [.cards[].adapter]]')" "[[\"$U2\",\"$U1\"],[5,6]]"
	run -3 apctl --root "$SRC" export --mdev $U3
	assert_output --partial "no mdev (running or defined) $U3"
	run -2 apctl --root "$SRC" export --mdev nope
}

@test "a target like the source: plan says what to reserve, then apply makes the same mdev, UUID and all" {
	make_sandbox
	run -4 apctl --root "$SBX" plan "$BATS_TEST_TMPDIR/guest.json"
	assert_output --partial "run 'apctl --root $SBX reserve --adapters 5,6'"
	apctl --root "$SBX" reserve --adapters 5,6 --persistent >/dev/null 2>&1
	run -0 apctl --root "$SBX" plan "$BATS_TEST_TMPDIR/guest.json"
	run -0 apctl --root "$SBX" apply "$BATS_TEST_TMPDIR/guest.json"
	run -0 apctl --root "$SBX" --json mdev list
	assert_equal "$(json -c '[.[] | [.uuid, .adapters, .domains]]')" "[[\"$U1\",[5,6],[171]]]"
	assert_equal "$(jq -c .attrs "$SBX/$DEFS/$U1")" \
		'[{"assign_adapter":"5"},{"assign_adapter":"6"},{"assign_domain":"171"}]'
	# the guest gets what it had: the matrix and guest_matrix of the source
	assert_equal "$(cat "$SBX/$MATRIX/$U1/matrix")" "$(cat "$SRC/$MATRIX/$U1/matrix")"
	assert_equal "$(cat "$SBX/$MATRIX/$U1/guest_matrix")" "$(cat "$SRC/$MATRIX/$U1/guest_matrix")"
}

@test "a target whose APQN another mdev holds is refused, naming it" {
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5,6 --persistent >/dev/null 2>&1
	apctl --root "$SBX" mdev create $U3 --adapters 6 --domains 0xab >/dev/null 2>&1
	run -4 --separate-stderr apctl --root "$SBX" plan "$BATS_TEST_TMPDIR/guest.json"
	grep -q "06.00ab" <<<"$stderr" || fail "the APQN is not named: $stderr"
	grep -q "$U3" <<<"$stderr" || fail "its holder is not named: $stderr"
}

@test "a target whose cards differ is refused, each adapter named: another type, another mode, none" {
	make_sandbox --adapters 5,6,7 --domains 4,0x47,0xab --type CEX6C,CEX5A,CEX5C
	apctl --root "$SBX" reserve --adapters 5,6 --persistent >/dev/null 2>&1
	run -4 --separate-stderr apctl --root "$SBX" plan "$BATS_TEST_TMPDIR/guest.json"
	assert_equal "$(head -2 <<<"$stderr")" "apctl: refused: plan: this host's cards are not those the file's mdevs used:
  adapter 5 is a CEX6C here, the file's a CEX5C"
	run -4 --separate-stderr apctl --root "$SBX" apply "$BATS_TEST_TMPDIR/guest.json"
	[ ! -e "$SBX/$MATRIX/$U1" ]
	run -4 apctl --root "$SBX" --json plan "$BATS_TEST_TMPDIR/guest.json"
	assert_equal "$(json -c .host_differs)" '["adapter 5 is a CEX6C here, the file'"'"'s a CEX5C"]'
	# a card of the same type in another mode, and an adapter without a card
	jq '.cards[0].mode = "EP11-Coproc" | .cards[0].type = "CEX6C" | .cards += [{"adapter": 8, "type": "CEX5C", "mode": "CCA-Coproc"}]' \
		"$BATS_TEST_TMPDIR/guest.json" >"$BATS_TEST_TMPDIR/other.json"
	run -4 --separate-stderr apctl --root "$SBX" plan "$BATS_TEST_TMPDIR/other.json"
	assert_equal "$(sed -n 2,3p <<<"$stderr")" "  adapter 5 is in CCA-Coproc mode here, the file's in EP11-Coproc: the keys of a domain mean nothing on a card in another mode
  adapter 8 has no card here; the file's is a CEX5C in CCA-Coproc mode"
	# --force makes it anyway, as for every refusal
	run -0 apctl --root "$SBX" apply "$BATS_TEST_TMPDIR/guest.json" --force
	[ -e "$SBX/$MATRIX/$U1" ]
	# a card's entry that is not one
	jq '.cards[0].mode = "CCA"' "$BATS_TEST_TMPDIR/guest.json" >"$BATS_TEST_TMPDIR/bad.json"
	run -2 apctl --root "$SBX" plan "$BATS_TEST_TMPDIR/bad.json"
	assert_output --partial "cards[0].mode: CCA is not Accelerator, CCA-Coproc or EP11-Coproc"
}
