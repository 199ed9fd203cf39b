#!/usr/bin/env bats
# Every fix that apctl prints works, as a property: random changes in both
# scopes (what runs and what persists) on every kernel generation; each
# refused one has its fixes run as printed, then is tried again. It must go
# through, or be refused for another, named reason; never for the same one
# again. A refusal without a fix must be one that no command mends. Seeded,
# so that a failure can be replayed. (The fixes are checked by what the
# emulated kernel and apctl's next plan make of them: a consistency check of
# apctl's advice against its own validation, whose agreement with the kernel
# oracle.bats and boot-oracle.bats hold as evidence.)

load helpers

UUIDS=(11111111-1111-4111-8111-111111111111 22222222-2222-4222-8222-222222222222
	33333333-3333-4333-8333-333333333333)
ADAPTERS=(4 5 6 7)
DOMAINS=(1 2 3 0x10)

pick() {
	local ids=("$@") n=$((1 + RANDOM % 2)) out= i
	for ((i = 0; i < n; i++)); do out+=${out:+,}${ids[RANDOM % $#]}; done
	PICKED=$out
}

# A random change, in OP.
random_change() {
	local u=${UUIDS[RANDOM % 3]} a d scope=()
	pick "${ADAPTERS[@]}"
	a=$PICKED
	pick "${DOMAINS[@]}"
	d=$PICKED
	case $((RANDOM % 4)) in
	0) scope=(--persistent) ;;
	1) scope=(--persistent-only) ;;
	esac
	case $((RANDOM % 9)) in
	0 | 1) OP=(mdev create "$u" --adapters "$a" --domains "$d") ;;
	2) OP=(mdev assign "$u" --adapters "$a") ;;
	3) OP=(mdev assign "$u" --domains "$d") ;;
	4) OP=(mdev unassign "$u" --domains "$d") ;;
	5) OP=(reserve --adapters "$a") ;;
	6) OP=(release --adapters "$a") ;;
	7) OP=(release --domains "$d") ;;
	8) OP=(mdev remove "$u") ;;
	esac
	OP+=("${scope[@]}")
	case ${OP[1]} in
	create | assign) [ "${#scope[@]}" = 0 ] || [ $((RANDOM % 2)) = 0 ] || OP+=(--autostart) ;;
	esac
}

# What a refusal is, to tell one from another: its conflicts and boot conflicts.
signature() {
	jq -c '[(.conflicts // [] | map([.apqn, .mdev, .errno, .reason]) | sort),
		(.boot_conflicts // [] | map(sub("; run: .*"; "")) | sort)]' <<<"$1"
}

# The commands to run from a refusal's JSON: each fix once.
fixes_of() {
	jq -r '[(.conflicts // [])[] | .fix // empty] +
		[(.boot_conflicts // [])[] | capture("run: (?<c>apctl [^(;]*)") | .c | sub(" +$"; "")] |
		unique[]' <<<"$1"
}

# Refusals that no command can mend: IDs above the maximum, a UUID taken (by an
# mdev or a definition), a queue that does not exist (before 6.0), a guest.
unmendable() {
	jq -e '[(.conflicts // [])[] | select(.errno == "ENODEV" or .errno == "EEXIST" or
			(.reason | test("no queue device|above the maximum|by a guest|driver_override")))] +
		[(.boot_conflicts // [])[] | select(test("already defines|no queue device|above the"))] |
		length > 0' <<<"$1" >/dev/null
}

# Runs "apctl ARGS..." as printed, against the binary under test.
run_fix() {
	local words
	read -ra words <<<"$1"
	[ "${words[0]}" = apctl ] || fail "not an apctl command: $1"
	run "$APCTL" "${words[@]:1}"
}

play() {
	# not i: bats' run uses it
	local rounds=$1 round tries sig json fix mended=0 refused=0 none=0
	for ((round = 0; round < rounds; round++)); do
		random_change
		run --separate-stderr apctl --root "$SBX" --json "${OP[@]}"
		[ "$status" = 4 ] || continue
		refused=$((refused + 1))
		declare -A seen=()
		for ((tries = 0; tries < 6 && status == 4; tries++)); do
			json=$output
			sig=$(signature "$json")
			[ -z "${seen[$sig]:-}" ] || fail "round $round, apctl ${OP[*]}: the fixes loop: $json"
			seen[$sig]=1
			mapfile -t fixes < <(fixes_of "$json")
			if [ "${#fixes[@]}" = 0 ]; then
				unmendable "$json" || fail "round $round, apctl ${OP[*]}: refused without a fix: $json"
				none=$((none + 1))
				break
			fi
			for fix in "${fixes[@]}"; do
				run_fix "$fix"
				[ "$status" = 0 ] || [ "$status" = 4 ] ||
					fail "round $round, fix '$fix' of apctl ${OP[*]}: exit $status: $output"
			done
			run --separate-stderr apctl --root "$SBX" --json "${OP[@]}"
		done
		[ "$status" != 4 ] || [ "${#fixes[@]}" = 0 ] ||
			fail "round $round, apctl ${OP[*]}: still refused after $tries rounds of fixes: $output"
		[ "$status" = 0 ] && mended=$((mended + 1))
		unset seen
	done
	echo "# $refused refused, $mended went through after their fixes, $none unmendable" >&3
	# each ended as one or the other, and the mix means something
	[ $((mended + none)) = "$refused" ] &&
		{ ! all_rounds || { [ "$refused" -ge 10 ] && [ "$mended" -ge 3 ]; }; }
}

@test "6.19: every printed fix works, in both scopes" {
	make_sandbox --adapters 4-7 --domains 1-3,0x10 --max-adapter-id 0x3f --max-domain-id 0x3f
	RANDOM=619
	play "$(rounds 80)"
}

@test "6.9 (assign_* writes): every printed fix works, in both scopes" {
	make_sandbox --kernel 6.9 --adapters 4-7 --domains 1-3,0x10 --max-adapter-id 0x3f \
		--max-domain-id 0x3f
	RANDOM=609
	play "$(rounds 80)"
}

@test "6.0: every printed fix works, in both scopes" {
	make_sandbox --kernel 6.0 --adapters 4-7 --domains 1-3,0x10 --max-adapter-id 0x3f \
		--max-domain-id 0x3f
	RANDOM=600
	play "$(rounds 100)"
}

@test "5.15 (queues bound to vfio_ap): every printed fix works, in both scopes" {
	make_sandbox --kernel 5.15 --adapters 4-6 --domains 1-3 --max-adapter-id 0x3f \
		--max-domain-id 0x3f
	RANDOM=515
	play "$(rounds 120)"
}
