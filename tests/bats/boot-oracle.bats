#!/usr/bin/env bats
# The next boot, held against evidence from outside apctl: an oracle written
# apart from src/boot.c (tests/boot-oracle.jq, over tests/kernel-rules.jq)
# and the real boot's tools, mdevctl 1.2.0 (start-parent-mdevs matrix, as
# udev runs it) inside apctl sandbox run after the rule's masks are written
# as udev writes them, with and without ap-check's rules as its callout
# (tests/ap-check-rules). On random configurations: rules with relative
# edits one after another, definitions with assign_* values in decimal and
# hex, ap_config, another mdev_type, manual ones, one mdevctl cannot load.
# Seeded, so that a failure can be replayed. This needs root and /dev/fuse.

load helpers

BOOT_ORACLE=$BATS_TEST_DIRNAME/../boot-oracle.jq
CALLOUTS=etc/mdevctl.d/scripts.d/callouts
UUIDS=(62177883-f1bb-47f0-914d-32a22e3a8804 cef03c3c-903d-4ecc-9a83-40694cb8aee4
	1b5a14fa-cc3e-4b3a-a1d5-8e6b8c9e5d5b 11111111-1111-4111-8111-111111111111)
PICK_STATE='[.apmask // .bus.apmask, .aqmask // .bus.aqmask,
	([.mdevs[] | [.uuid, .matrix, .control_domains]] | sort)]'

setup() {
	command -v mdevctl >/dev/null || fail "mdevctl is not installed (Debian: mdevctl)"
}

# A random ID from FIRST, mostly of the host's COUNT, in decimal or hex, in RID.
# (Not printed: a subshell would draw from a RANDOM seeded anew.)
rid() {
	local n=$(($1 + RANDOM % ($2 + 2)))
	((RANDOM % 3)) && RID=$n || printf -v RID '0x%x' "$n"
}

# A random rule, into RULE_WRITES (mask=value lines) and the file.
random_rule() {
	local n k mask value
	RULE_WRITES=()
	for ((n = RANDOM % 4; n > 0; n--)); do
		((RANDOM % 2)) && mask=apmask || mask=aqmask
		case $((RANDOM % 4)) in
		0) value=0x$(printf '%02x' $((RANDOM % 256)))ff ;;
		1) value=+$((RANDOM % 8)) ;;
		*) [ $mask = apmask ] && value=-$((4 + RANDOM % 4)) || value=-$((1 + RANDOM % 4))
			((RANDOM % 2)) && value+=,-$((1 + RANDOM % 7)) ;;
		esac
		RULE_WRITES+=("$mask=$value")
	done
	mkdir -p "$SBX/etc/udev/rules.d"
	rm -f "$SBX/$RULE"
	[ ${#RULE_WRITES[@]} = 0 ] && return
	{
		echo 'ACTION=="add", DEVPATH=="/bus/ap", ATTR{bindings_complete_count}!="0", GOTO="cfg_ap"'
		echo 'GOTO="end_ap"'
		echo 'LABEL="cfg_ap"'
		for k in "${RULE_WRITES[@]}"; do echo "ATTR{../../bus/ap/${k%%=*}}=\"${k#*=}\""; done
		echo 'RUN{builtin}+="kmod load vfio_ap"'
		echo 'LABEL="end_ap"'
	} >"$SBX/$RULE"
}

# A random definition's text.
random_def() {
	local attrs= k a type=vfio_ap-passthrough start=auto
	((RANDOM % 4)) || start=manual
	((RANDOM % 12)) || type=vfio_ap-other
	if ((RANDOM % 25 == 0)); then
		echo '{"mdev_type":"vfio_ap-passthrough","attrs":[]}'
		return
	fi
	for ((k = RANDOM % 5; k > 0; k--)); do
		case $((RANDOM % 7)) in
		0 | 1) rid 4 4 && a="{\"assign_adapter\":\"$RID\"}" ;;
		2 | 3) rid 1 4 && a="{\"assign_domain\":\"$RID\"}" ;;
		4) rid 1 4 && a="{\"assign_control_domain\":\"$RID\"}" ;;
		5) rid 1 4 && a="{\"unassign_domain\":\"$RID\"}" ;;
		6) a="{\"ap_config\":\"0x0$((RANDOM % 2 ? 8 : 6)),0x$((RANDOM % 2 ? 4 : 6))0,0x0\"}" ;;
		esac
		attrs+=${attrs:+,}$a
	done
	echo "{\"mdev_type\":\"$type\",\"start\":\"$start\",\"attrs\":[$attrs]}"
}

# The oracle's boot of $SBX, from its files in the order they are read.
oracle() {
	local defs= u callout=null
	for u in $(ls -U "$SBX/$DEFS" 2>/dev/null); do
		defs+="{\"uuid\":\"$u\",\"text\":$(jq -Rs . "$SBX/$DEFS/$u")},"
	done
	[ -x "$SBX/$CALLOUTS/ap-check" ] && callout='"ap-check"'
	jq -n -c -L "${BOOT_ORACLE%/*}" \
		--argjson rule "$(printf '%s\n' "${RULE_WRITES[@]}" | jq -R 'select(length > 0) |
			split("=") | [.[0], (.[1:] | join("="))]' | jq -s .)" \
		"{gen: [${GEN/./,}], max_a: 15, max_d: 15, rule: \$rule, defs: [${defs%,}],
		  callout: $callout}" | jq -c -L "${BOOT_ORACLE%/*}" -f "$BOOT_ORACLE"
}

# The boot played by the real tools on a copy: the kernel reset, udev's
# writes of the rule, then mdevctl start-parent-mdevs matrix.
real_boot() {
	local ref=$BATS_TEST_TMPDIR/ref script= k
	rm -rf "$ref"
	cp -a "$SBX" "$ref"
	apctl --root "$ref" sandbox reboot --bare >/dev/null
	for k in "${RULE_WRITES[@]}"; do
		script+="printf '%s' '${k#*=}' > /sys/bus/ap/${k%%=*} 2>/dev/null; "
	done
	apctl sandbox run "$ref" -- sh -c "${script}mdevctl start-parent-mdevs matrix" \
		>/dev/null 2>&1 || true
	apctl --root "$ref" show --json | jq -c "$PICK_STATE"
}

play() {
	local rounds=$1 round n said predicted real started=0 refused=0 with_callout=0
	for ((round = 0; round < rounds; round++)); do
		random_rule
		rm -rf "${SBX:?}/$DEFS" "${SBX:?}/$CALLOUTS/ap-check"
		mkdir -p "$SBX/$DEFS"
		for ((n = RANDOM % 4; n > 0; n--)); do
			random_def >"$SBX/$DEFS/${UUIDS[RANDOM % 4]}"
		done
		if ((RANDOM % 2)); then
			install -m 755 "$BATS_TEST_DIRNAME/../ap-check-rules" "$SBX/$CALLOUTS/ap-check"
			with_callout=$((with_callout + 1))
		fi
		said=$(oracle)
		run -0 apctl --root "$SBX" show --boot --json
		predicted=$(json -c "$PICK_STATE")
		started=$((started + $(json '[.starts[] | select(.started)] | length')))
		refused=$((refused + $(json '[.starts[] | select(.refused != null)] | length')))
		real=$(real_boot)
		[ "$said" = "$predicted" ] && [ "$said" = "$real" ] ||
			fail "$GEN round $round: the oracle says $said, apctl predicts $predicted, mdevctl brings $real; rule ${RULE_WRITES[*]}; $(head -c 2000 "$SBX/$DEFS"/* 2>/dev/null)"
	done
	echo "# $GEN: $rounds boots ($with_callout with ap-check's rules): oracle, show --boot and mdevctl agree; $started starts, $refused refused before a write" >&3
	! all_rounds || [ "$started" -ge 5 ]
}

sandbox_for() {
	GEN=$1
	make_sandbox --kernel "$GEN" --adapters 4-7 --domains 1-4 --max-adapter-id 15 --max-domain-id 15
}

@test "6.19: the oracle, show --boot and mdevctl agree on random boots" {
	sandbox_for 6.19
	RANDOM=1619
	play "$(rounds 25)"
}

@test "6.12: the oracle, show --boot and mdevctl agree on random boots" {
	sandbox_for 6.12
	RANDOM=1612
	play "$(rounds 25)"
}

@test "6.9 (no ap_config): the oracle, show --boot and mdevctl agree on random boots" {
	sandbox_for 6.9
	RANDOM=1609
	play "$(rounds 25)"
}

@test "6.0: the oracle, show --boot and mdevctl agree on random boots" {
	sandbox_for 6.0
	RANDOM=1600
	play "$(rounds 25)"
}

@test "with ap-check's rules: control domains alone are refused at boot, and show --boot says why" {
	GEN=6.19
	sandbox_for 6.19
	RULE_WRITES=("apmask=-5")
	printf 'ATTR{../../bus/ap/apmask}="-5"\nRUN{builtin}+="kmod load vfio_ap"\n' >"$SBX/$RULE"
	mkdir -p "$SBX/$DEFS"
	echo '{"mdev_type":"vfio_ap-passthrough","start":"auto","attrs":[{"assign_adapter":"5"},{"assign_control_domain":"4"}]}' \
		>"$SBX/$DEFS/${UUIDS[0]}"
	run -0 apctl --root "$SBX" show --boot
	assert_line "  ${UUIDS[0]} starts: adapters 5, domains none, control domains 4"
	install -m 755 "$BATS_TEST_DIRNAME/../ap-check-rules" "$SBX/$CALLOUTS/ap-check"
	run -0 apctl --root "$SBX" show --boot
	assert_line "  ${UUIDS[0]} fails: callout ap-check refuses: At least one usage domain must be specified"
	assert_equal "$(real_boot)" "$(apctl --root "$SBX" show --boot --json | jq -c "$PICK_STATE")"
	# a persistent change is checked the same way
	run -4 apctl --root "$SBX" mdev create "${UUIDS[1]}" --adapters 5 --control-domains 4 \
		--persistent-only --autostart
	assert_output --partial "callout ap-check refuses: At least one usage domain must be specified"
	# s390-tools' wrapper for mdevctl 1.2 without the ap-check it calls fails every start
	mv "$SBX/$CALLOUTS/ap-check" "$SBX/$CALLOUTS/ap-check.sh"
	run -0 apctl --root "$SBX" show --boot
	assert_line "  ${UUIDS[0]} fails: callout ap-check.sh fails every start: the ap-check it calls is not installed"
}

@test "what the boot depends on beyond the files is said" {
	make_sandbox
	mkdir -p "$SBX/$DEFS"
	echo '{"mdev_type":"vfio_ap-passthrough","start":"auto","attrs":[]}' >"$SBX/$DEFS/${UUIDS[0]}"
	run -0 apctl --root "$SBX" show --boot
	assert_line "  nothing in 41-ap.rules or modules-load.d loads vfio_ap: mdevctl starts the definitions only if vfio_ap is loaded by other means (built into the kernel, the initramfs, a service)"
	mkdir -p "$SBX/etc/modules-load.d"
	printf '# crypto\nvfio-ap\n' >"$SBX/etc/modules-load.d/ap.conf"
	printf 'ATTR{../../bus/ap/apmask}="-5"\n' >"$SBX/$RULE"
	run -0 apctl --root "$SBX" show --boot
	assert_line --partial "  etc/modules-load.d/ap.conf loads vfio_ap early in the boot, not 41-ap.rules after its masks"
	# a callout apctl does not know
	printf '#!/bin/sh\nexit 2\n' >"$SBX/$CALLOUTS/other"
	chmod 755 "$SBX/$CALLOUTS/other"
	run -0 apctl --root "$SBX" --json show --boot
	assert_equal "$(json -r '.depends_on[-1]')" \
		"mdevctl also runs callout $CALLOUTS/other, which apctl does not know: if it handles vfio_ap-passthrough, its answer decides"
	# a rule in /run is cleared at boot
	rm "$SBX/$RULE"
	printf 'ATTR{../../bus/ap/apmask}="-5"\n' >"$SBX/run/udev/rules.d/41-ap.rules"
	run -0 apctl --root "$SBX" show --boot
	assert_line "  apmask     0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
	assert_line --partial "run/udev/rules.d/41-ap.rules is in /run, which the boot clears"
	# a definition mdevctl cannot load: it starts none
	echo 'not json' >"$SBX/$DEFS/${UUIDS[1]}"
	run -0 apctl --root "$SBX" show --boot
	assert_line --partial "mdevctl starts no mdev: it cannot load the definition ${UUIDS[1]}"
}
