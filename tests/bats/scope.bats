#!/usr/bin/env bats
# A change reads only what it reaches (the masks, the mdevs' matrices, the
# queues, cards and guests of what it touches); APCTL_READ_ALL=1 makes it read
# the whole state as show does. On random changes of random sandboxes, both
# must print the same, exit the same and leave the same tree. This is a
# consistency check of apctl against itself (the two reads share the rest of
# the code), not evidence that either is right: oracle.bats and random.bats
# hold the answers against the kernel's rules.

load helpers

UUIDS=(11111111-1111-4111-8111-111111111111 22222222-2222-4222-8222-222222222222
	33333333-3333-4333-8333-333333333333)

# A comma list of 1 to 3 IDs of 0..7, in PICKED (no subshell: RANDOM must replay).
pick() {
	local n=$((1 + RANDOM % 3)) out= i
	for ((i = 0; i < n; i++)); do
		out+=${out:+,}$((RANDOM % 8))
	done
	PICKED=$out
}

# A random change, as apctl's arguments, in OP; or an event of the host, in EVENT.
random_step() {
	local u=${UUIDS[RANDOM % 3]} a d
	pick && a=$PICKED
	pick && d=$PICKED
	OP=() EVENT=()
	case $((RANDOM % 20)) in
	0 | 1) OP=(mdev create "$u" --adapters "$a" --domains "$d") ;;
	2) OP=(mdev create "$u" --adapters "$a") ;;
	3) OP=(mdev create "$u") ;;
	4) OP=(mdev assign "$u" --adapters "$a") ;;
	5) OP=(mdev assign "$u" --domains "$d" --control-domains "$d") ;;
	6) OP=(mdev unassign "$u" --adapters "$a" --domains "$d") ;;
	7) OP=(mdev remove "$u") ;;
	8) OP=(mdev remove "$u" "${UUIDS[RANDOM % 3]}" --force --wait 0) ;;
	9) OP=(reserve --adapters "$a") ;;
	10) OP=(reserve --domains "$d") ;;
	11) OP=(release --adapters "$a") ;;
	12) OP=(release --domains "$d") ;;
	13) EVENT=(sandbox attach "$u" --guest "g$((RANDOM % 3))") ;;
	14) EVENT=(sandbox detach "$u") ;;
	*) case $((RANDOM % 6)) in
		0) EVENT=(sandbox host deconfigure --adapters "$a") ;;
		1) EVENT=(sandbox host configure --adapters "$a") ;;
		2) EVENT=(sandbox host checkstop --adapters "$a") ;;
		3) EVENT=(sandbox host uncheckstop --adapters "$a") ;;
		4) EVENT=(sandbox host offline --adapters "$a") ;;
		5) EVENT=(sandbox host online --adapters "$a") ;;
		esac ;;
	esac
	if [ ${#OP[@]} -gt 0 ]; then
		case $((RANDOM % 5)) in
		0) OP+=(--dry-run) ;;
		1) OP=(--json "${OP[@]}") ;;
		2) OP+=(--force) ;;
		esac
		case " ${OP[*]} " in
		*" reserve "* | *" release "*) OP+=(--no-wait) ;;
		esac
	fi
}

# ROUNDS random steps on $SBX (read as far as a change reaches) and on its
# copy $FULL (read whole); the exit codes seen add up in SEEN.
declare -gA SEEN=()
play() {
	local rounds=$1 i lazy full lazy_tree full_tree
	FULL=$BATS_TEST_TMPDIR/full
	rm -rf "$FULL"
	cp -a "$SBX" "$FULL"
	for ((i = 0; i < rounds; i++)); do
		random_step
		if [ ${#EVENT[@]} -gt 0 ]; then
			apctl --root "$SBX" "${EVENT[@]}" >/dev/null 2>&1 || true
			apctl --root "$FULL" "${EVENT[@]}" >/dev/null 2>&1 || true
			continue
		fi
		run apctl --root "$SBX" "${OP[@]}"
		lazy="exit $status: $output"
		SEEN[$status]=$((${SEEN[$status]:-0} + 1))
		APCTL_READ_ALL=1 run apctl --root "$FULL" "${OP[@]}"
		full="exit $status: ${output//$FULL/$SBX}"
		if [ "$lazy" != "$full" ]; then
			diff <(echo "$lazy") <(echo "$full") >&2 || true
			fail "step $i, apctl ${OP[*]}: read as far as it reaches, it printed the above (<), read whole (>)"
		fi
		# the trees, which change only alike, are compared every tenth step and at the end
		if [ $((i % 10)) = 9 ] || [ $((i + 1)) = "$rounds" ]; then
			lazy_tree=$(sysfs_digest)
			full_tree=$(SBX=$FULL sysfs_digest)
			[ "$lazy_tree" = "$full_tree" ] ||
				fail "the trees differ after one of the steps up to $i, apctl ${OP[*]}"
		fi
	done
}

# The mix must hold changes made, refused and dry runs to mean something.
enough_seen() {
	local k kinds=
	for k in "${!SEEN[@]}"; do
		kinds+=" exit $k:${SEEN[$k]}"
	done
	echo "# exits:$kinds" >&3
	! all_rounds || { [ "${SEEN[0]:-0}" -ge 30 ] && [ "${SEEN[4]:-0}" -ge 10 ]; }
}

@test "a change read as far as it reaches answers as one read whole: 6.19, 6.9, 6.0, 5.15 on random changes" {
	local g
	for g in 6.19 6.9 6.0 5.15; do
		make_sandbox --kernel "$g" --adapters 0-7 --domains 0-7
		apctl --root "$SBX" reserve --adapters 0-3 --no-wait >/dev/null
		RANDOM=${g/./}
		play "$(rounds 45)"
	done
	enough_seen
}
