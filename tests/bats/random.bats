#!/usr/bin/env bats
# What apctl predicts (--dry-run) and what the emulated kernel answers (--force)
# agree on random changes of a kernel before 6.0, whose rules (queues bound to
# vfio_ap, a guest freezing its mdev) oracle.bats does not model. Seeded, so a
# failure can be replayed.

load helpers

UUIDS=(11111111-1111-4111-8111-111111111111 22222222-2222-4222-8222-222222222222
	33333333-3333-4333-8333-333333333333 44444444-4444-4444-8444-444444444444)
ADAPTERS=(4 5 6 7 0x10 0x40)
DOMAINS=(1 2 3 0x10 0x20 0x40)

# A comma list of 1 to 3 IDs from the arguments, in PICKED. (Not printed: a
# subshell would draw from a RANDOM seeded anew, and the run would not replay.)
pick() {
	local ids=("$@") n=$((1 + RANDOM % 3)) out= i
	for ((i = 0; i < n; i++)); do
		out+=${out:+,}${ids[RANDOM % $#]}
	done
	PICKED=$out
}

# A relative edit of a mask in the kernel's syntax (+N, -N, +N-M, -N-M,
# comma separated), in PICKED.
random_edit() {
	local -n ids=$1
	local n=$((1 + RANDOM % 3)) out= i lo hi
	for ((i = 0; i < n; i++)); do
		lo=$((ids[RANDOM % ${#ids[@]}]))
		hi=$((lo + RANDOM % 3))
		case $((RANDOM % 4)) in
		0) out+=${out:+,}+$lo ;;
		1) out+=${out:+,}-$lo ;;
		2) out+=${out:+,}+$lo-$hi ;;
		3) out+=${out:+,}-$lo-$hi ;;
		esac
	done
	PICKED=$out
}

# An mdev, an adapter and a domain to change, picked at random, in the
# caller's u, a and d.
random_targets() {
	u=${UUIDS[RANDOM % 4]}
	pick "${ADAPTERS[@]}"
	a=$PICKED
	pick "${DOMAINS[@]}"
	d=$PICKED
}

# A random change of the masks by relative edits, or an mdev made whole at once
# (ap_config where the kernel has it), as apctl's arguments, in OP.
random_edit_change() {
	local u a d
	random_targets
	case $((RANDOM % 8)) in
	0 | 1) random_edit ADAPTERS && OP=(reserve --apmask "$PICKED") ;;
	2) random_edit DOMAINS && OP=(reserve --aqmask "$PICKED") ;;
	3) random_edit DOMAINS && OP=(reserve --apmask "+4" --aqmask "$PICKED") ;;
	4 | 5) OP=(mdev create "$u" --adapters "$a" --domains "$d") ;;
	6) OP=(mdev assign "$u" --adapters "$a" --domains "$d") ;;
	7) OP=(mdev remove "$u") ;;
	esac
}

# A random change, as apctl's arguments, in OP.
random_change() {
	local u a d
	random_targets
	case $((RANDOM % 10)) in
	0 | 1) OP=(mdev create "$u" --adapters "$a" --domains "$d") ;;
	2) OP=(mdev create "$u" --adapters "$a") ;;
	3) OP=(mdev assign "$u" --adapters "$a") ;;
	4) OP=(mdev assign "$u" --domains "$d" --control-domains "$d") ;;
	5) OP=(mdev unassign "$u" --adapters "$a" --domains "$d") ;;
	6) OP=(reserve --adapters "$a") ;;
	7) OP=(release --adapters "$a") ;;
	8) OP=(release --domains "$d") ;;
	9) OP=(mdev remove "$u") ;;
	esac
}

# The kernel's answer to the last run: ok, an errno name, or exit N.
answer() {
	case $status in
	0) echo ok ;;
	1) grep -o 'failed: E[A-Z]*' <<<"$output" | head -1 | cut -d' ' -f2 ;;
	*) echo "exit $status" ;;
	esac
}

# The prediction of the last dry run.
prediction() {
	case $status in
	0 | 4) jq -r '.errno // "ok"' <<<"$output" 2>/dev/null || echo "no JSON" ;;
	*) echo "exit $status" ;;
	esac
}

# Plays ROUNDS random changes made by GENERATOR (random_change by default);
# the kinds of answer seen add up in SEEN.
declare -gA SEEN=()
play() {
	local rounds=$1 gen=${2:-random_change} i predicted actual
	for ((i = 0; i < rounds; i++)); do
		$gen
		run apctl --root "$SBX" --json "${OP[@]}" --dry-run
		predicted=$(prediction)
		[ "${OP[1]}" = remove ] && [ "$predicted" = "no JSON" ] && predicted=ok
		run apctl --root "$SBX" "${OP[@]}" --force --no-wait
		actual=$(answer)
		if [ "$predicted" != "$actual" ]; then
			fail "change $i, apctl ${OP[*]}: predicted $predicted, the kernel answered $actual"
		fi
		SEEN[$actual]=$((${SEEN[$actual]:-0} + 1))
	done
}

# The mix must hold acceptances and KINDS kinds of answer to mean something.
enough_seen() {
	local kinds= n=0 k
	for k in "${!SEEN[@]}"; do
		kinds+=" $k:${SEEN[$k]}"
		n=$((n + SEEN[$k]))
	done
	echo "# $n changes agreed:$kinds" >&3
	! all_rounds || { [ "${SEEN[ok]:-0}" -ge 20 ] && [ "${#SEEN[@]}" -ge "$1" ]; }
}

@test "5.15 (bindings, no hot plug): predictions and the kernel agree on 150 random changes" {
	make_sandbox --kernel 5.15 --adapters 4-7 --domains 1-3,0x10 --max-adapter-id 0x3f --max-domain-id 0x3f
	RANDOM=515
	play "$(rounds 150)"
	enough_seen 4
}

# A consistency check (the prediction and the emulated kernel share kstore):
# it shows that what the engine predicts is the answer to the very bytes it
# writes, a relative edit or an ap_config string, on the state it read.
@test "every generation: relative mask edits and whole mdevs are predicted as the kernel answers the same bytes" {
	local g
	for g in 5.10 5.15 6.0 6.1 6.4 6.8 6.10 6.12 6.15 6.18 6.19; do
		make_sandbox --kernel "$g" --adapters 4-7 --domains 1-3,0x10 --max-adapter-id 0x3f \
			--max-domain-id 0x3f
		RANDOM=${g/./}
		play "$(rounds 30)" random_edit_change
	done
	enough_seen 3
}
