#!/usr/bin/env bats
# apctl sandbox create: the demo host, host options, generations, copies, refusals.

load helpers

@test "without options it makes the kernel document's host" {
	make_sandbox
	assert_output --partial "adapters 5,6, usage domains 4,0x47,0xab,0xff, 8 queues"
	run -0 apctl --root "$SBX" show --json
	assert_equal "$(json '.bus.host.adapters | join(",")')" "5,6"
	assert_equal "$(json '.bus.host.usage_domains | join(",")')" "4,71,171,255"
	assert_equal "$(json '.bus.host.control_domains | join(",")')" "4,71,171,255"
	assert_equal "$(json '.bus.max_adapter_id, .bus.max_domain_id' | xargs)" "255 255"
	assert_equal "$(json '[.adapters[] | "\(.id):\(.type):\(.mode)"] | join(" ")')" \
		"5:CEX5C:CCA-Coproc 6:CEX5A:Accelerator"
	assert_equal "$(json '.bus.apmask')" "0x$(printf 'f%.0s' {1..64})"
	assert_equal "$(json '.bus.aqmask')" "0x$(printf 'f%.0s' {1..64})"
	assert_equal "$(json '.kernel')" "6.19"
	assert_equal "$(json '.queues | length')" 8
	assert_equal "$(json '[.queues[] | select(.owner == "host" and .driver == "cex4queue")] | length')" 8
	assert_equal "$(json '.mdevs | length')" 0
}

@test "--json reports what was made" {
	run -0 apctl --json sandbox create "$BATS_TEST_TMPDIR/s" --adapters 1-3 --domains 0x10
	assert_equal "$(json '.adapters | join(",")')" "1,2,3"
	assert_equal "$(json '.usage_domains | join(",")')" "16"
	assert_equal "$(json '.queues')" 3
	assert_equal "$(json '.kernel')" "6.19"
}

@test "host options shape the host" {
	make_sandbox --adapters 0x0a-0x0c,2 --domains 0-3 --control-domains 0-5 \
		--type CEX8P --type cex7a --max-adapter-id 0x3f --max-domain-id 15
	run -0 apctl --root "$SBX" show --json
	assert_equal "$(json '.bus.host.adapters | join(",")')" "2,10,11,12"
	assert_equal "$(json '.bus.host.usage_domains | join(",")')" "0,1,2,3"
	assert_equal "$(json '.bus.host.control_domains | join(",")')" "0,1,2,3,4,5"
	assert_equal "$(json '.bus.max_adapter_id, .bus.max_domain_id' | xargs)" "63 15"
	# types go to the adapters in turn
	assert_equal "$(json '[.adapters[] | .type] | join(",")')" "CEX8P,CEX7A,CEX8P,CEX7A"
	assert_equal "$(json '[.adapters[] | .hwtype] | join(",")')" "14,13,14,13"
	assert_equal "$(json '.adapters[0].mode')" "EP11-Coproc"
	assert_equal "$(json '.queues | length')" 16
}

@test "the control domains default to the usage domains" {
	make_sandbox --domains 1,2
	run -0 apctl --root "$SBX" show --json
	assert_equal "$(json '.bus.host.control_domains | join(",")')" "1,2"
}

@test "a comma list of types" {
	make_sandbox --adapters 1-3 --type CEX6A,CEX6C,CEX6P
	run -0 apctl --root "$SBX" show --json
	assert_equal "$(json '[.adapters[] | .mode] | join(",")')" "Accelerator,CCA-Coproc,EP11-Coproc"
}

@test "IDs at the maximum are accepted" {
	make_sandbox --adapters 0,255 --domains 0,255
	run -0 apctl --root "$SBX" show --json
	assert_equal "$(json '[.queues[].apqn] | join(" ")')" "00.0000 00.00ff ff.0000 ff.00ff"
}

@test "parent directories are made" {
	run -0 apctl sandbox create "$BATS_TEST_TMPDIR/a/b/c"
	[ -f "$BATS_TEST_TMPDIR/a/b/c/apctl-sandbox" ]
}

@test "an existing empty directory is used" {
	mkdir "$BATS_TEST_TMPDIR/empty"
	run -0 apctl sandbox create "$BATS_TEST_TMPDIR/empty"
	[ -f "$BATS_TEST_TMPDIR/empty/apctl-sandbox" ]
}

@test "a non-empty directory is refused with exit 2 and left alone" {
	mkdir "$BATS_TEST_TMPDIR/full"
	echo keep >"$BATS_TEST_TMPDIR/full/file"
	run -2 apctl sandbox create "$BATS_TEST_TMPDIR/full"
	assert_output --partial "exists and is not empty"
	assert_equal "$(ls -A "$BATS_TEST_TMPDIR/full")" "file"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/full/file")" "keep"
}

@test "a file in the way is refused with exit 2" {
	touch "$BATS_TEST_TMPDIR/file"
	run -2 apctl sandbox create "$BATS_TEST_TMPDIR/file"
	assert_output --partial "not a directory"
}

# Each refusal: exit 2, the bad value named, nothing written anywhere.
refused() {
	local msg=$1
	shift
	run -2 apctl sandbox create "$BATS_TEST_TMPDIR/new/sbx" "$@"
	assert_output --partial "$msg"
	[ ! -e "$BATS_TEST_TMPDIR/new" ]
	assert_equal "$(ls -A "$BATS_TEST_TMPDIR")" ""
}

@test "IDs above the maximum are refused" {
	refused "adapter '256' is above the maximum adapter ID 0xff (255)" --adapters 256
	refused "domain '16' is above the maximum domain ID 0x0f (15)" --domains 16 --max-domain-id 15
	refused "domain range '10-20' is above the maximum domain ID 0x0f" --domains 10-20 --max-domain-id 15
	refused "control domain '0x40' is above" --control-domains 0x40 --max-domain-id 0x3f
	refused "do not fit under maximum IDs" --max-domain-id 15
	refused "maximum adapter ID 256 is above 255" --max-adapter-id 256
}

@test "malformed lists are refused" {
	refused "'05' in '05' has a leading 0" --adapters 05
	refused "reversed" --domains 10-5
	refused "has an empty term" --adapters 1,,2
	refused "adapter list ',1' has an empty term" --adapters ,1
	refused "is not an ID" --adapters x
	refused "empty adapter list" --adapters ''
	refused "unexpected ' '" --domains '1 '
	refused "not a maximum adapter ID" --max-adapter-id abc
}

@test "bad types and generations are refused" {
	refused "'CEX9C' is not a card type" --type CEX9C
	refused "'CEX5' is not a card type" --type CEX5
	refused "'CEX3C' is not a card type" --type CEX3C
	refused "'6' is not a kernel generation" --kernel 6
	refused "older than the oldest generation apctl knows, 5.10" --kernel 4.20
}

@test "--from does not go with host options" {
	make_sandbox
	run -2 apctl sandbox create "$BATS_TEST_TMPDIR/copy" --from "$SBX" --adapters 1
	assert_output --partial "does not go with --adapters"
	[ ! -e "$BATS_TEST_TMPDIR/copy" ]
}

@test "--from a root without an AP bus exits 3 and writes nothing" {
	mkdir -p "$BATS_TEST_TMPDIR/plain/sys"
	run -3 apctl sandbox create "$BATS_TEST_TMPDIR/copy" --from "$BATS_TEST_TMPDIR/plain"
	assert_output --partial "no AP bus"
	[ ! -e "$BATS_TEST_TMPDIR/copy" ]
	run -3 apctl sandbox create "$BATS_TEST_TMPDIR/copy" --from "$BATS_TEST_TMPDIR/nowhere"
	[ ! -e "$BATS_TEST_TMPDIR/copy" ]
}

@test "--from / copies this system, or says it has no AP bus" {
	if [ -d /sys/bus/ap ]; then
		run -0 apctl sandbox create "$BATS_TEST_TMPDIR/copy" --from /
		run -0 apctl --root "$BATS_TEST_TMPDIR/copy" show
	else
		run -3 apctl sandbox create "$BATS_TEST_TMPDIR/copy" --from /
		assert_output --partial "/sys/bus/ap does not exist"
		[ ! -e "$BATS_TEST_TMPDIR/copy" ]
	fi
}

@test "--from copies the AP state, the mdevs and the other tools' files" {
	make_sandbox --adapters 3-4 --domains 7,9 --type CEX7P --kernel 6.12
	hand_adapter_to_vfio 4
	hand_mdev 11111111-2222-4333-8444-555555555555 '04.0007\n' '04.0007\n' '0007\n'
	echo 0xf7ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff >"$SBX/sys/bus/ap/apmask"
	mkdir -p "$SBX/etc/mdevctl.d/matrix"
	echo '{"mdev_type": "vfio_ap-passthrough", "start": "auto", "attrs": []}' \
		>"$SBX/etc/mdevctl.d/matrix/11111111-2222-4333-8444-555555555555"
	echo '# Generated by chzdev' >"$SBX/etc/udev/rules.d/41-ap.rules"
	run -0 apctl --root "$SBX" show --json
	local before=$output
	run -0 apctl sandbox create "$BATS_TEST_TMPDIR/copy" --from "$SBX"
	assert_output --partial "1 mdev"
	run -0 apctl --root "$BATS_TEST_TMPDIR/copy" show --json
	assert_equal "$(jq -S 'del(.root)' <<<"$output")" "$(jq -S 'del(.root)' <<<"$before")"
	assert_equal "$(json '.mdevs[0].matrix | join(",")')" "04.0007"
	assert_equal "$(json '.kernel')" "6.12"
	cmp "$SBX/etc/mdevctl.d/matrix/11111111-2222-4333-8444-555555555555" \
		"$BATS_TEST_TMPDIR/copy/etc/mdevctl.d/matrix/11111111-2222-4333-8444-555555555555"
	cmp "$SBX/etc/udev/rules.d/41-ap.rules" "$BATS_TEST_TMPDIR/copy/etc/udev/rules.d/41-ap.rules"
	# a copy of the copy is the same tree
	run -0 apctl sandbox create "$BATS_TEST_TMPDIR/copy2" --from "$BATS_TEST_TMPDIR/copy"
	assert_equal "$(tree_digest "$BATS_TEST_TMPDIR/copy2")" "$(tree_digest "$BATS_TEST_TMPDIR/copy")"
}

@test "--from with --kernel rehearses on another generation" {
	make_sandbox
	run -0 apctl sandbox create "$BATS_TEST_TMPDIR/copy" --from "$SBX" --kernel 6.0
	run -0 apctl --root "$BATS_TEST_TMPDIR/copy" show --json
	assert_equal "$(json .kernel)" "6.0"
}

@test "each generation has the attributes of its kernel" {
	local k
	for k in 5.10 5.11 6.0 6.4 6.10 6.12 6.19; do
		run -0 apctl sandbox create "$BATS_TEST_TMPDIR/k$k" --kernel "$k"
		assert_equal "$(sed -n 's/^kernel=//p' "$BATS_TEST_TMPDIR/k$k/apctl-sandbox")" "$k"
	done
	local bus=sys/bus/ap q=sys/devices/ap/card05/05.0004 m=sys/devices/vfio_ap/matrix
	[ ! -e "$BATS_TEST_TMPDIR/k5.10/$bus/scans" ] && [ ! -e "$BATS_TEST_TMPDIR/k5.10/$bus/bindings" ]
	[ -e "$BATS_TEST_TMPDIR/k5.11/$bus/scans" ] && [ -e "$BATS_TEST_TMPDIR/k5.11/$bus/bindings" ]
	[ ! -e "$BATS_TEST_TMPDIR/k6.0/$bus/features" ] && [ -e "$BATS_TEST_TMPDIR/k6.4/$bus/features" ]
	[ ! -e "$BATS_TEST_TMPDIR/k6.10/$m/features" ] && [ -e "$BATS_TEST_TMPDIR/k6.12/$m/features" ]
	[ ! -e "$BATS_TEST_TMPDIR/k6.12/$bus/bindings_complete_count" ]
	[ ! -e "$BATS_TEST_TMPDIR/k6.12/$q/driver_override" ]
	[ -e "$BATS_TEST_TMPDIR/k6.19/$bus/bindings_complete_count" ]
	[ -e "$BATS_TEST_TMPDIR/k6.19/$q/driver_override" ]
	# what show reads back on a live system is what the generation offers
	for k in 5.10 5.11 6.4 6.12 6.19; do
		rm "$BATS_TEST_TMPDIR/k$k/apctl-sandbox"
		run -0 apctl --root "$BATS_TEST_TMPDIR/k$k" show --json
		assert_equal "$(json .sandbox)" false
		assert_equal "$(json .kernel)" "$k"
	done
}

@test "a directory left by an earlier create is passed over, not looped on" {
	local d=$BATS_TEST_TMPDIR/left
	mkdir -p "$d"
	# the same PID as the create that follows, by exec
	run -0 bash -c "mkdir -p '$d/.sbx.apctl-new-\$\$-0/junk' '$d/.sbx.apctl-new-\$\$-1' && exec '$APCTL' sandbox create '$d/sbx'"
	[ -f "$d/sbx/apctl-sandbox" ]
	# the leftovers are someone else's: left as they were
	assert_equal "$(ls -A "$d" | grep -c apctl-new)" 2
}

@test "create works from / as the working directory" {
	local rel=${BATS_TEST_TMPDIR#/}/from-root
	run -0 bash -c "cd / && exec '$APCTL' sandbox create '$rel'"
	[ -f "$BATS_TEST_TMPDIR/from-root/apctl-sandbox" ]
	run -0 bash -c "cd / && exec '$APCTL' sandbox create '$BATS_TEST_TMPDIR//abs//'"
	[ -f "$BATS_TEST_TMPDIR/abs/apctl-sandbox" ]
	run -2 bash -c "cd / && exec '$APCTL' sandbox create /"
	assert_output --partial "a sandbox cannot be made at /"
}
