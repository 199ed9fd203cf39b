#!/usr/bin/env bats
# A whole configuration as a file: apctl export, plan and apply. What export
# writes, apply brings about on a fresh host; a second apply writes nothing;
# plans free before they take; refused or failing applies leave the host as
# it was.

load helpers

U1=62177883-f1bb-47f0-914d-32a22e3a8804
U2=cef03c3c-903d-4ecc-9a83-40694cb8aee4
U3=1b5a14fa-cc3e-4b3a-a1d5-8e6b8c9e5d5b

# The kernel document's example as a file: three guests on adapters 5 and 6.
example() {
	cat <<EOF
{
  "version": 1,
  "adapters": [5, 6],
  "domains": [],
  "persistent": true,
  "mdevs": [
    { "uuid": "$U1", "adapters": [5, 6], "domains": [4, "0xab"], "persistent": true,
      "autostart": true, "name": "guest1" },
    { "uuid": "$U2", "adapters": [5], "domains": ["0x47", "0xff"], "persistent": true },
    { "uuid": "$U3", "adapters": ["6"], "domains": ["0x47,0xff"] }
  ]
}
EOF
}

# What a host has, running and persistent, byte for byte; but for the numbers
# of the mdevs' VFIO groups and device files, which follow the order of creation.
host_digest() {
	(cd "$1" && find sys etc "${VFIO_NUMBERED[@]}" -printf '%p %y %m %l\n' | LC_ALL=C sort &&
		find sys etc "${VFIO_NUMBERED[@]}" -type f -exec sha256sum {} + | LC_ALL=C sort) |
		sha256sum | cut -d' ' -f1
}

@test "apply brings the example about; export of it applied to a fresh host makes the same" {
	make_sandbox
	example >"$BATS_TEST_TMPDIR/cfg.json"
	run -0 apctl --root "$SBX" apply "$BATS_TEST_TMPDIR/cfg.json"
	assert_line "Wrote $RULE"
	assert_line "Wrote $DEFS/$U1"
	assert_line "Wrote $DEFS/$U2"
	run -0 apctl --root "$SBX" show --json
	assert_equal "$(json -c '[.mdevs[] | [.uuid, (.matrix | join(","))]]')" \
		"[[\"$U3\",\"06.0047,06.00ff\"],[\"$U1\",\"05.0004,05.00ab,06.0004,06.00ab\"],[\"$U2\",\"05.0047,05.00ff\"]]"
	assert_equal "$(json -c '[.persistent.definitions[] | [.uuid, .start]] | sort')" \
		"[[\"$U1\",\"auto\"],[\"$U2\",\"manual\"]]"
	run -0 apctl --root "$SBX" export
	echo "$output" >"$BATS_TEST_TMPDIR/export.json"
	local first=$SBX
	make_sandbox
	run -0 apctl --root "$SBX" apply "$BATS_TEST_TMPDIR/export.json"
	# the VFIO groups' numbers follow the order of creation, not the configuration
	local same='del(.root) | del(.mdevs[].iommu_group)'
	assert_equal "$(apctl --root "$SBX" show --json | jq -c "$same")" \
		"$(apctl --root "$first" show --json | jq -c "$same")"
	assert_equal "$(host_digest "$SBX")" "$(host_digest "$first")"
	run -0 apctl --root "$SBX" export
	assert_equal "$output" "$(cat "$BATS_TEST_TMPDIR/export.json")"
}

@test "a second apply writes nothing and says so" {
	make_sandbox
	example >"$BATS_TEST_TMPDIR/cfg.json"
	apctl --root "$SBX" apply "$BATS_TEST_TMPDIR/cfg.json" >/dev/null 2>&1
	local before
	before=$(tree_digest "$SBX")
	run -0 apctl --root "$SBX" apply "$BATS_TEST_TMPDIR/cfg.json"
	assert_output "Nothing to change: the configuration is as the file says."
	assert_equal "$(tree_digest "$SBX")" "$before"
	run -0 apctl --root "$SBX" --json plan "$BATS_TEST_TMPDIR/cfg.json"
	assert_equal "$(json -c '[.ok, (.writes | length), (.files | length)]')" "[true,0,0]"
}

@test "plans free before they take" {
	make_sandbox
	example >"$BATS_TEST_TMPDIR/cfg.json"
	apctl --root "$SBX" apply "$BATS_TEST_TMPDIR/cfg.json" >/dev/null 2>&1
	# domain 0xff moves from U2 to U1; U3 goes, and the reservation of adapter 6 with it
	cat >"$BATS_TEST_TMPDIR/next.json" <<EOF
{ "version": 1, "adapters": [5], "domains": [], "persistent": true,
  "mdevs": [
    { "uuid": "$U1", "adapters": [5], "domains": [4, "0xab", "0xff"], "persistent": true,
      "autostart": true },
    { "uuid": "$U2", "adapters": [5], "domains": ["0x47"], "persistent": true } ] }
EOF
	run -0 apctl --root "$SBX" --json plan "$BATS_TEST_TMPDIR/next.json" --prune
	assert_equal "$(json -r '[.writes[] | .attribute | sub(".*/"; "")] | join(" ")')" \
		"remove unassign_adapter unassign_domain apmask assign_domain"
	assert_equal "$(json -c '[.writes[] | .predicted] | unique')" "[null]"
	run -0 apctl --root "$SBX" apply "$BATS_TEST_TMPDIR/next.json" --prune
	run -0 apctl --root "$SBX" show --json
	assert_equal "$(json -c '[.bus.apmask, [.mdevs[] | [.uuid, (.matrix | join(","))]]]')" \
		"[\"0xfbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\",[[\"$U1\",\"05.0004,05.00ab,05.00ff\"],[\"$U2\",\"05.0047\"]]]"
	[ ! -e "$SBX/sys/devices/vfio_ap/matrix/$U3" ]
}

@test "a plan that cannot be carried out exits 4, names every conflict and writes nothing" {
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5 >/dev/null 2>&1
	apctl --root "$SBX" mdev create $U3 --adapters 5 --domains 4 >/dev/null
	cat >"$BATS_TEST_TMPDIR/cfg.json" <<EOF
{ "version": 1, "adapters": [5], "persistent": true,
  "mdevs": [ { "uuid": "$U1", "adapters": [5], "domains": [4], "persistent": true, "autostart": true } ] }
EOF
	local before
	before=$(tree_digest "$SBX")
	# the plan on stdout, the refusal on stderr, as every command has them
	run -4 --separate-stderr apctl --root "$SBX" plan "$BATS_TEST_TMPDIR/cfg.json"
	assert_line "The plan, in its order:"
	assert_line --regexp "^In all: 2 writes to sysfs; 1 mdev created, "
	refute_output --partial "refused"
	use_stderr
	assert_line "apctl: refused: the kernel would refuse plan with EADDRINUSE:"
	assert_output --partial "05.0004"
	assert_output --partial "$U3"
	run -4 apctl --root "$SBX" apply "$BATS_TEST_TMPDIR/cfg.json"
	assert_equal "$(tree_digest "$SBX")" "$before"
	# with --prune the other mdev goes first, and it is accepted
	run -0 apctl --root "$SBX" plan "$BATS_TEST_TMPDIR/cfg.json" --prune
}

@test "a bad file exits 2, naming the JSON path and the value, and writes nothing" {
	make_sandbox
	local before f=$BATS_TEST_TMPDIR/bad.json
	before=$(tree_digest "$SBX")
	bad() {
		echo "$1" >"$f"
		run -2 apctl --root "$SBX" apply "$f"
		assert_output --partial "apctl: $f: $2"
	}
	bad '{"version":1,"mdevs":[{"uuid":"'$U1'"},{"uuid":"'$U2'","domains":["08"]}]}' \
		"mdevs[1].domains[0]: '08' in '08' has a leading 0"
	bad '{"version":1,"mdevs":[{"uuid":"'$U1'","domains":[300]}]}' \
		"mdevs[0].domains[0]: domain 300 is above the system's maximum ID"
	bad '{"version":2}' "version: 2 is not 1"
	bad '{"version":1,"adapter":[5]}' "adapter: no such key"
	bad '{"version":1,"adapters":[5],"apmask":"0xff"}' "adapters and apmask both say"
	bad '{"version":1,"mdevs":[{"uuid":"x"}]}' "mdevs[0].uuid: 'x' is not a UUID"
	bad '{"version":1,"mdevs":[{"uuid":"'$U1'","autostart":true}]}' \
		"mdevs[0].autostart: mdevctl does not define $U1; say \"persistent\": true too"
	bad '{"version":1,"mdevs":[{"uuid":"'$U1'","autostart":true,"persistent":false}]}' \
		"mdevs[0].autostart: true needs a definition, and persistent is false"
	bad '{"version":1,"mdevs":[{"uuid":"'$U1'"},{"uuid":"'$U1'"}]}' "mdevs[1].uuid: $U1 is mdevs[0]'s too"
	# the first mdev whose UUID an earlier one has, named beside the earliest
	bad '{"version":1,"mdevs":[{"uuid":"'$U1'"},{"uuid":"'$U2'"},{"uuid":"'$U3'"},{"uuid":"'$U2'"},{"uuid":"'$U1'"},{"uuid":"'$U2'"}]}' \
		"mdevs[3].uuid: $U2 is mdevs[1]'s too"
	# a UUID twice before an mdev that cannot be read is the first fault
	bad '{"version":1,"mdevs":[{"uuid":"'$U3'"},{"uuid":"'$U3'"},{"uuid":"x"}]}' "mdevs[1].uuid: $U3 is mdevs[0]'s too"
	bad '{"version":1,' "not JSON"
	bad '{"version":1,"adapters":[5.5]}' "adapters[0]: '5.5' is not an ID"
	bad '{"version":1,"adapters":[1e308]}' "adapters[0]: '1e308' is not an ID"
	# past what a number holds: never taken for another number
	bad '{"version":1,"adapters":[18446744073709551621]}' \
		"adapters[0]: '18446744073709551615' or more is no adapter ID: IDs are 0 to 255"
	# a key twice: json-c would keep the last one
	bad '{"version":1,"adapters":[5],"adapters":[6]}' \
		'key "adapters" comes twice in an object (again at character 28)'
	bad '{"version":1,"mdevs":[{"uuid":"'$U1'","name":"a","name":"b"}]}' 'key "name" comes twice'
	printf '{"version":1,"mdevs":[{"uuid":"%s","name":"\xff"}]}\n' "$U1" >"$f"
	run -2 apctl --root "$SBX" apply "$f"
	assert_output --partial "not JSON: invalid utf-8 string"
	assert_equal "$(tree_digest "$SBX")" "$before"
}

@test "a write that fails half way through an apply leaves the host as it was" {
	local n k before attr plan
	make_sandbox
	example >"$BATS_TEST_TMPDIR/cfg.json"
	before=$(host_digest "$SBX")
	plan=$(apctl --root "$SBX" --json plan "$BATS_TEST_TMPDIR/cfg.json")
	n=$(jq '.writes | length' <<<"$plan")
	[ "$n" -ge 5 ]
	for ((k = 0; k < n; k++)); do
		attr=$(jq -r ".writes[$k].attribute" <<<"$plan")
		# the Nth write to that attribute: the creates share one
		apctl --root "$SBX" sandbox fault "$attr" EIO \
			"$(jq "[.writes[:$((k + 1))][] | select(.attribute == \"$attr\")] | length" <<<"$plan")"
		run -1 apctl --root "$SBX" apply "$BATS_TEST_TMPDIR/cfg.json"
		assert_equal "$(host_digest "$SBX")" "$before"
		apctl --root "$SBX" sandbox fault --clear
	done
	run -0 apctl --root "$SBX" apply "$BATS_TEST_TMPDIR/cfg.json"
}

@test "the JSON Schema names the keys apctl reads, and no other" {
	local schema=$BATS_TEST_DIRNAME/../../schema/config.schema.json f=$BATS_TEST_TMPDIR/all.json
	make_sandbox
	# a file with every key the schema has is read
	jq '{version: 1, adapters: [5], domains: ["0x47"], persistent: true,
		mdevs: [(.properties.mdevs.items.properties | keys | map({(.): null}) | add) |
			.uuid = "'$U1'" | .adapters = [5] | .domains = [71] | .control_domains = [] |
			.running = true | .persistent = true | .autostart = false | .name = "g"],
		cards: [{adapter: 5, type: "CEX5C", mode: "CCA-Coproc"}]}' \
		"$schema" >"$f"
	assert_equal "$(jq -c '.properties | keys - ["apmask", "aqmask"]' "$schema")" \
		"$(jq -c 'keys' "$f")"
	run -0 apctl --root "$SBX" plan "$f"
	# and a key it has not is refused, by both
	assert_equal "$(jq -r '.additionalProperties, .properties.mdevs.items.additionalProperties' \
		"$schema" | xargs)" "false false"
	jq '.mdevs[0].guest = "g"' "$f" >"$f.2"
	run -2 apctl --root "$SBX" plan "$f.2"
	assert_output --partial "mdevs[0].guest: no such key"
}

U4=5e32a7d4-4f06-4a0a-9a1f-7a0c1d2b3c4e

# A host whose two scopes part: masks reserved for what runs and for the boot
# apart, an mdev that runs and persists, one that runs only, one that is only
# defined, and a definition kept as mdevctl keeps one written by hand (hex
# values, ap_config); a name.
two_scopes() {
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5,6 --persistent >/dev/null 2>&1
	apctl --root "$SBX" reserve --domains 0x47 >/dev/null 2>&1
	apctl --root "$SBX" mdev create $U1 --adapters 5 --domains 4,0xab --persistent --autostart >/dev/null
	apctl --root "$SBX" mdev create $U2 --adapters 6 --domains 0x47 >/dev/null
	apctl --root "$SBX" mdev create $U3 --adapters 6 --domains 0xff --persistent-only >/dev/null
	printf '{\n  "mdev_type": "vfio_ap-passthrough",\n  "start": "manual",\n  "attrs": [\n    {\n      "assign_adapter": "0x05"\n    },\n    {\n      "ap_config": "0x04,0x01,0x0"\n    }\n  ]\n}' \
		>"$SBX/$DEFS/$U4"
	echo '{"version": 1, "mdevs": [{"uuid": "'$U1'", "name": "guest1"}]}' >"$BATS_TEST_TMPDIR/name.json"
	apctl --root "$SBX" apply "$BATS_TEST_TMPDIR/name.json" >/dev/null
}

@test "export writes both scopes and every mdev, running or defined, with its name" {
	two_scopes
	run -0 --separate-stderr apctl --root "$SBX" export
	echo "$output" >"$BATS_TEST_TMPDIR/e.json"
	assert_equal "$(json -c '[.adapters, .domains, .persistent]')" \
		'[[5,6],[71],{"adapters":[5,6],"domains":null}]'
	assert_equal "$(json -c '[.mdevs[] | [.uuid, .running, (.persistent | type), .autostart, .name]]')" \
		"[[\"$U3\",false,\"boolean\",false,null],[\"$U4\",false,\"object\",false,null],[\"$U1\",true,\"boolean\",true,\"guest1\"],[\"$U2\",true,\"boolean\",null,null]]"
	assert_equal "$(json -c ".mdevs[] | select(.uuid == \"$U4\") | .persistent")" \
		'{"attrs":[{"assign_adapter":"0x05"},{"ap_config":"0x04,0x01,0x0"}]}'
	assert_equal "$(json -c ".mdevs[] | select(.uuid == \"$U4\") | [.adapters, .domains]")" '[[5],[7]]'
	# of the host it came from, nothing changes, and --prune removes nothing
	run -0 apctl --root "$SBX" apply "$BATS_TEST_TMPDIR/e.json"
	assert_output "Nothing to change: the configuration is as the file says."
	run -0 apctl --root "$SBX" plan "$BATS_TEST_TMPDIR/e.json" --prune
	assert_output "Nothing to change: the configuration is as the file says."
	# mdev list --json has the definitions that do not run, as its text does
	run -0 apctl --root "$SBX" --json mdev list
	assert_equal "$(json -c '[.[] | [.uuid, .running, .definition.start]] | sort')" \
		"$(jq -cn "[[\"$U1\",true,\"auto\"],[\"$U2\",true,null],[\"$U3\",false,\"manual\"],[\"$U4\",false,\"manual\"]] | sort")"
}

@test "export applied to a fresh host makes both scopes again, every file byte for byte" {
	two_scopes
	local first=$SBX f
	apctl --root "$first" export >"$BATS_TEST_TMPDIR/e.json"
	make_sandbox
	run -0 apctl --root "$SBX" apply "$BATS_TEST_TMPDIR/e.json"
	for f in $RULE $DEFS/$U1 $DEFS/$U3 $DEFS/$U4 etc/apctl/mdev-names; do
		cmp "$first/$f" "$SBX/$f" || fail "$f differs"
	done
	[ ! -e "$SBX/$DEFS/$U2" ]
	# (the definitions in directory order, which is the file system's: tmpfs and
	# ext4 list the same files in other orders)
	local same='del(.root) | .persistent.definitions |= sort_by(.uuid)'
	assert_equal "$(apctl --root "$SBX" show --json | jq -c "$same")" \
		"$(apctl --root "$first" show --json | jq -c "$same")"
	run -0 apctl --root "$SBX" export
	assert_equal "$output" "$(cat "$BATS_TEST_TMPDIR/e.json")"
}

@test "a key left out leaves that part of the host as it is" {
	two_scopes
	local before
	before=$(tree_digest "$SBX")
	# no persistent anywhere: the rule and the definitions stay; IDs not named stay
	echo '{"version": 1, "mdevs": [{"uuid": "'$U1'", "adapters": [5]},
		{"uuid": "'$U2'"}]}' >"$BATS_TEST_TMPDIR/f.json"
	run -0 apctl --root "$SBX" apply "$BATS_TEST_TMPDIR/f.json"
	assert_output "Nothing to change: the configuration is as the file says."
	assert_equal "$(tree_digest "$SBX")" "$before"
	# --prune of a file that speaks of what runs only: the definitions stay
	run -0 --separate-stderr apctl --root "$SBX" --json plan "$BATS_TEST_TMPDIR/f.json" --prune
	assert_equal "$(json -c '[.files, [.writes[] | .attribute | sub(".*/"; "")]]')" '[[],[]]'
	# a removal is said: false takes the rule away, and plan warns
	echo '{"version": 1, "persistent": false, "mdevs": [{"uuid": "'$U1'", "persistent": false}]}' \
		>"$BATS_TEST_TMPDIR/g.json"
	run -0 --separate-stderr apctl --root "$SBX" plan "$BATS_TEST_TMPDIR/g.json"
	assert_output --partial "It removes:
  $RULE
  $DEFS/$U1"
	use_stderr
	assert_output --partial "warning: the file removes $RULE: at boot both masks are all ones again"
	assert_output --partial "warning: the file removes the definition of $U1: mdevctl no longer knows it nor starts it at boot"
}

@test "a definition apctl cannot read is never overwritten or removed, and export says so" {
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5 >/dev/null 2>&1
	apctl --root "$SBX" mdev create $U1 --adapters 5 --domains 4 >/dev/null
	mkdir -p "$SBX/$DEFS"
	local bad
	for bad in 'not json' '{"mdev_type":"vfio_ap-passthrough"}' '{"start":"auto"}' \
		'{"mdev_type":5,"start":"auto"}' '{"mdev_type":"vfio_ap-passthrough","start":"auto","attrs":5}' \
		'{"mdev_type":"vfio_ap-passthrough","start":"auto","attrs":[5]}' \
		'{"mdev_type":"vfio_ap-passthrough","start":"auto","attrs":[{"a":"1","b":"2"}]}' \
		'{"mdev_type":"vfio_ap-passthrough","start":"auto","attrs":[{"assign_adapter":5}]}' \
		'{"mdev_type":"vfio_ap-passthrough","start":"auto"} x' '[]' ''; do
		printf '%s' "$bad" >"$SBX/$DEFS/$U1"
		run -1 apctl --root "$SBX" mdev define $U1
		assert_output --partial "$SBX/$DEFS/$U1 cannot be read"
		run -1 apctl --root "$SBX" mdev assign $U1 --domains 0x47 --persistent
		run -1 apctl --root "$SBX" mdev remove $U1 --persistent
		echo '{"version": 1, "mdevs": [{"uuid": "'$U1'", "persistent": true}]}' >"$BATS_TEST_TMPDIR/c.json"
		run -1 apctl --root "$SBX" apply "$BATS_TEST_TMPDIR/c.json"
		assert_equal "$(cat "$SBX/$DEFS/$U1")" "$bad"
		run -0 --separate-stderr apctl --root "$SBX" export
		[ "$(json ".mdevs[] | select(.uuid == \"$U1\") | has(\"persistent\")")" = false ] ||
			fail "$bad: exported"
		grep -q "warning: the definition of $U1 cannot be read" <<<"$stderr" || fail "not said: $stderr"
		# --prune leaves it, and says so
		cp "$SBX/$DEFS/$U1" "$SBX/$DEFS/$U2"
		echo '{"version": 1, "persistent": false, "mdevs": [{"uuid": "'$U1'"}]}' \
			>"$BATS_TEST_TMPDIR/p.json"
		run -0 --separate-stderr apctl --root "$SBX" --json plan "$BATS_TEST_TMPDIR/p.json" --prune
		assert_equal "$(json -c '[.files[] | .path]')" '[]'
		assert_equal "$(json -r '.notes[]')" \
			"--prune leaves the definition of $U2, which apctl cannot read ($(apctl \
				--root "$SBX" --json show | jq -r ".persistent.definitions[] |
				select(.uuid == \"$U2\") | .error"))"
		rm "$SBX/$DEFS/$U2"
	done
}
