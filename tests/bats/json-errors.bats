#!/usr/bin/env bats
# With --json every run prints exactly one JSON document on stdout, failures
# too. Where a run fails before its own document, the error document is
# checked against schema/error.schema.json by python3-jsonschema (Debian's),
# a validator written apart from apctl.

load helpers

U1=62177883-f1bb-47f0-914d-32a22e3a8804

setup() {
	/usr/bin/python3 -c 'import jsonschema' 2>/dev/null ||
		fail "python3-jsonschema is not installed (Debian: python3-jsonschema)"
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null 2>&1
	apctl --root "$SBX" mdev create $U1 --adapters 5,6 --domains 4,0xab >/dev/null
}

VALIDATE='
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.validators.validator_for(schema).check_schema(schema)
jsonschema.validate(json.load(sys.stdin), schema)
'

# `run --separate-stderr` output is one JSON document that the schema accepts,
# with this status, error kind and value.
assert_error_document() {
	local status=$1 kind=$2 value=$3
	assert_equal "$(jq -s length <<<"$output")" 1
	/usr/bin/python3 -c "$VALIDATE" "$BATS_TEST_DIRNAME/../../schema/error.schema.json" \
		<<<"$output" || fail "not an error document: $output"
	assert_equal "$(json -c '[.status, .error, .value]')" "[$status,\"$kind\",$value]"
	# stderr keeps the words
	assert_equal "apctl: $(json -r .message)" "$(head -1 <<<"$stderr" | grep -F "$(json -r .message)")"
}

@test "usage errors: a bad argument, option, command, value and file" {
	run -2 --separate-stderr apctl --root "$SBX" --json mdev remove nope
	assert_error_document 2 usage '"nope"'
	run -2 --separate-stderr apctl --root "$SBX" mdev frob --json
	assert_error_document 2 usage '"frob"'
	run -2 --separate-stderr apctl --json --bogus
	assert_error_document 2 usage '"--bogus"'
	run -2 --separate-stderr apctl --root "$SBX" --json reserve --adapters 5.5
	assert_error_document 2 usage '"5.5"'
	echo '{' >"$BATS_TEST_TMPDIR/cut.json"
	run -2 --separate-stderr apctl --root "$SBX" --json apply "$BATS_TEST_TMPDIR/cut.json"
	assert_equal "$(json -c '[.status, .error]')" '[2,"usage"]'
	run -2 --separate-stderr apctl --root "$SBX" --json apply "$BATS_TEST_TMPDIR"
	assert_error_document 2 usage "\"$BATS_TEST_TMPDIR\""
	# after --, an argument of the program that sandbox run starts is not apctl's
	run -0 --separate-stderr apctl sandbox run "$SBX" -- echo --json
	assert_output "--json"
}

@test "not found: a missing file, root and mdev" {
	run -3 --separate-stderr apctl --root "$SBX" --json plan "$BATS_TEST_TMPDIR/none.json"
	assert_error_document 3 not-found "\"$BATS_TEST_TMPDIR/none.json\""
	run -3 --separate-stderr apctl --root "$BATS_TEST_TMPDIR/nothing" --json show
	assert_equal "$(json -c '[.status, .error]')" '[3,"not-found"]'
	run -3 --separate-stderr apctl --root "$SBX" --json mdev remove cef03c3c-903d-4ecc-9a83-40694cb8aee4
	assert_equal "$(json -c '[.status, .error]')" '[3,"not-found"]'
}

@test "a failed write, a refusal and a timeout: one document each" {
	apctl --root "$SBX" sandbox fault sys/bus/ap/apmask EIO
	run -1 --separate-stderr apctl --root "$SBX" --json release --adapters 6 --force
	assert_equal "$(jq -s length <<<"$output")" 1
	assert_equal "$(jq -s '.[0] | has("status") or has("written")' <<<"$output")" true
	# the lock that another tool holds after the timeout
	apctl --root "$SBX" sandbox fault --clear
	mkdir "$SBX/run/lock/s390apconfig.lock"
	run -1 --separate-stderr apctl --root "$SBX" --json release --adapters 6 --lock-timeout 1
	assert_error_document 1 failed null
	rmdir "$SBX/run/lock/s390apconfig.lock"
	# a refusal: its verdict
	run -4 --separate-stderr apctl --root "$SBX" --json release --adapters 6
	assert_equal "$(jq -s 'length, .[0].ok' <<<"$output" | xargs)" "1 false"
	# a guest that does not let go: the change's result, what is pending said
	apctl --root "$SBX" sandbox attach $U1
	run -5 --separate-stderr apctl --root "$SBX" --json mdev remove $U1 --force --wait 1
	assert_equal "$(jq -s 'length, .[0].pending_removals[0]' <<<"$output" | xargs)" "2 $U1" ||
		assert_equal "$(jq -s 'length' <<<"$output")" 1
}
