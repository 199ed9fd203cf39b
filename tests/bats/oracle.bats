#!/usr/bin/env bats
# Random changes, each answered three times: by an oracle written from the
# spec in jq (tests/oracle.jq, which knows nothing of apctl's lib/ and reads
# the sandbox's files itself), by apctl's prediction (--dry-run), and by the
# sandbox's emulated kernel (--force). All three must agree. Seeded, so a
# failure can be replayed.

load helpers

ORACLE=$BATS_TEST_DIRNAME/../oracle.jq
UUIDS=(11111111-1111-4111-8111-111111111111 22222222-2222-4222-8222-222222222222
	33333333-3333-4333-8333-333333333333 44444444-4444-4444-8444-444444444444)
ADAPTERS=(4 5 6 7 16 64)
DOMAINS=(1 2 3 16 32 64)

# MIN to 3 IDs from the arguments, as a JSON array, in PICKED. (Not printed:
# a subshell would draw from a RANDOM seeded anew, and the run would not replay.)
pick() {
	local ids=("$@") n=$((${MIN:-0} + RANDOM % (4 - ${MIN:-0}))) out= i
	for ((i = 0; i < n; i++)); do out+=${out:+,}${ids[RANDOM % $#]}; done
	PICKED="[$out]"
}

# A random change: OP (JSON for the oracle) and ARGS (for apctl).
random_op() {
	local u=${UUIDS[RANDOM % 4]} a d c kind
	case $((RANDOM % 10)) in
	0 | 1 | 2 | 3) kind=create ;;
	4 | 5) kind=assign ;;
	6) kind=unassign ;;
	7) kind=remove ;;
	8) kind=reserve ;;
	*) kind=release ;;
	esac
	# mdevs mostly with adapters and domains, so that they meet
	MIN=0
	[ $kind = create ] && MIN=1
	pick "${ADAPTERS[@]}"
	a=$PICKED
	pick "${DOMAINS[@]}"
	d=$PICKED
	MIN=0
	pick "${DOMAINS[@]}"
	c=$PICKED
	case $kind in reserve | release) c='[]' ;; esac
	case $kind in
	reserve | release) [ "$a$d" = "[][]" ] && a='[5]'; ARGS=($kind) ;;
	remove) a='[]' d='[]' c='[]'; ARGS=(mdev remove "$u") ;;
	*) ARGS=(mdev "$kind" "$u") ;;
	esac
	[ "$kind" = assign ] || [ "$kind" = unassign ] && [ "$a$d$c" = "[][][]" ] && a='[5]'
	[ "$a" = '[]' ] || ARGS+=(--adapters "$(tr -d '[]' <<<"$a")")
	[ "$d" = '[]' ] || ARGS+=(--domains "$(tr -d '[]' <<<"$d")")
	[ "$c" = '[]' ] || ARGS+=(--control-domains "$(tr -d '[]' <<<"$c")")
	OP="{\"kind\":\"$kind\",\"uuid\":\"$u\",\"a\":$a,\"d\":$d,\"c\":$c}"
}

# What the oracle says of OP, from the sandbox's files.
oracle() {
	local bus=$SBX/sys/bus/ap args=() mdevs= n=0 dir u
	for dir in "$SBX"/sys/devices/vfio_ap/matrix/*-*-*-*-*; do
		[ -d "$dir" ] || continue
		n=$((n + 1))
		u=${dir##*/}
		if [ -f "$dir/ap_config" ]; then
			args+=(--rawfile "c$n" "$dir/ap_config")
			mdevs+="{\"uuid\":\"$u\",\"ap_config\":\$c$n},"
		else
			args+=(--rawfile "m$n" "$dir/matrix" --rawfile "k$n" "$dir/control_domains")
			mdevs+="{\"uuid\":\"$u\",\"matrix\":\$m$n,\"control_domains\":\$k$n},"
		fi
	done
	jq -n "${args[@]}" --rawfile apmask "$bus/apmask" --rawfile aqmask "$bus/aqmask" \
		"{state: {gen: [${GEN/./,}], max_a: $(cat "$bus/ap_max_adapter_id"),
		  max_d: $(cat "$bus/ap_max_domain_id"), apmask: \$apmask, aqmask: \$aqmask,
		  mdevs: [${mdevs%,}]}, op: $OP}" | jq -r -L "${ORACLE%/*}" -f "$ORACLE"
}

play() {
	local rounds=$1 round said predicted actual
	declare -A seen=()
	for ((round = 0; round < rounds; round++)); do
		random_op
		said=$(oracle)
		run apctl --root "$SBX" --json "${ARGS[@]}" --dry-run
		case $status in
		0 | 4) predicted=$(jq -r '.errno // "ok"' <<<"$output") ;;
		*) predicted="exit $status" ;;
		esac
		run apctl --root "$SBX" "${ARGS[@]}" --force --no-wait
		case $status in
		0) actual=ok ;;
		1) actual=$(grep -o 'failed: E[A-Z]*' <<<"$output" | head -1 | cut -d' ' -f2) ;;
		*) actual="exit $status" ;;
		esac
		[ "$said" = "$predicted" ] && [ "$said" = "$actual" ] ||
			fail "round $round, apctl ${ARGS[*]}: the oracle says $said, apctl predicts $predicted, the kernel answers $actual"
		seen[$said]=$((${seen[$said]:-0} + 1))
	done
	local kinds=
	for said in "${!seen[@]}"; do kinds+=" $said:${seen[$said]}"; done
	echo "# $rounds changes, all three agreeing:$kinds" >&3
	# the mix must hold acceptances and several kinds of refusal to mean something
	! all_rounds || { [ "${seen[ok]:-0}" -ge 20 ] && [ "${seen[EADDRINUSE]:-0}" -ge 3 ] &&
		[ "${seen[EADDRNOTAVAIL]:-0}" -ge 3 ] && [ "${#seen[@]}" -ge 6 ]; }
}

sandbox_for() {
	GEN=$1
	make_sandbox --kernel "$GEN" --adapters 4-7 --domains 1-3,0x10 --max-adapter-id 0x3f \
		--max-domain-id 0x3f
	# most APQNs for vfio_ap, so that mdevs get them and meet each other
	apctl --root "$SBX" reserve --adapters 4-7,0x10 >/dev/null 2>&1
}

@test "6.19 (ap_config, in-use check on all IDs): oracle, prediction and kernel agree" {
	sandbox_for 6.19
	RANDOM=19
	play "$(rounds 150)"
}

@test "6.12 (ap_config, in-use check on the other mask): oracle, prediction and kernel agree" {
	sandbox_for 6.12
	RANDOM=612
	play "$(rounds 150)"
}

@test "6.9 (assign_* writes in turn): oracle, prediction and kernel agree" {
	sandbox_for 6.9
	RANDOM=69
	play "$(rounds 200)"
}
