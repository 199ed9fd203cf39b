#!/usr/bin/env bats
# Writers at once, and a store cut short: writers are served one store at a
# time, as the kernel's locks serialise them; an emulated kernel killed half
# way (apctl with --root, or the file system process of a mount) leaves a tree
# that the next store or reader finishes, so that it reads as if the store had
# run to its end. The mount tests need root and /dev/fuse, which CI has.

load helpers

# $SBX and $REF: two sandboxes of N x N (16 unless given); $REF made the
# write VALUE to apmask. VALUE [N].
twins() {
	local n=$((${2:-16} - 1))
	make_sandbox --adapters 0-$n --domains 0-$n
	REF=$BATS_TEST_TMPDIR/ref
	run -0 apctl sandbox create "$REF" --adapters 0-$n --domains 0-$n
	run -0 apctl --root "$REF" sandbox write sys/bus/ap/apmask "$1"
}

teardown() {
	umount -l "$BATS_TEST_TMPDIR/mnt" 2>/dev/null || true
}

# How many queues vfio_ap has in $SBX.
vfio_queues() {
	find "$SBX/sys/bus/ap/drivers/vfio_ap" -name '??.????' | wc -l
}

@test "a store killed half way is finished by the next reader" {
	twins -0-7
	APCTL_TEST_KILL_IN_SYNC=50 run -137 apctl --root "$SBX" sandbox write sys/bus/ap/apmask -0-7
	# torn: 50 of the 128 queues rebound, the state it makes kept beside the old
	assert_equal "$(vfio_queues)" 50
	[ -e "$SBX/apctl-sandbox.d/memory.next" ]
	run -0 apctl --root "$SBX" show
	assert_equal "$(tree_digest "$SBX/sys")" "$(tree_digest "$REF/sys")"
	[ ! -e "$SBX/apctl-sandbox.d/memory.next" ]
	assert_equal "$(vfio_queues)" 128
}

@test "finishing it may be cut short too; then the next one finishes it" {
	twins -0-7
	APCTL_TEST_KILL_IN_SYNC=100 run -137 apctl --root "$SBX" sandbox write sys/bus/ap/apmask -0-7
	APCTL_TEST_KILL_IN_SYNC=20 run -137 apctl --root "$SBX" show
	# the next store finishes the first before it does its own
	run -0 apctl --root "$SBX" sandbox write sys/bus/ap/apmask +0-7
	run -0 apctl --root "$REF" sandbox write sys/bus/ap/apmask +0-7
	assert_equal "$(tree_digest "$SBX/sys")" "$(tree_digest "$REF/sys")"
	assert_equal "$(vfio_queues)" 0
}

@test "an mdev create killed after the memory's new state: the next store finishes it" {
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5 >/dev/null 2>&1
	REF=$BATS_TEST_TMPDIR/ref
	cp -a "$SBX" "$REF"
	run -0 apctl --root "$REF" sandbox write "$TYPE_DIR/create" 11111111-1111-4111-8111-111111111111
	# the tree as a kill just after the new state was kept leaves it
	cp "$REF/apctl-sandbox.d/memory" "$SBX/apctl-sandbox.d/memory.next"
	run -0 apctl --root "$SBX" sandbox write sys/bus/ap/ap_domain 0x47
	run -0 apctl --root "$REF" sandbox write sys/bus/ap/ap_domain 0x47
	assert_equal "$(tree_digest "$SBX/sys")" "$(tree_digest "$REF/sys")"
	[ -d "$SBX/$MATRIX/11111111-1111-4111-8111-111111111111" ]
}

@test "the file system process killed during a write: the next mount finishes it" {
	local mp=$BATS_TEST_TMPDIR/mnt
	twins -0-7
	mkdir -p "$mp"
	APCTL_TEST_KILL_IN_SYNC=30 run -0 apctl sandbox mount "$SBX" "$mp"
	run -1 bash -c "echo -0-7 > '$mp/sys/bus/ap/apmask'"
	assert_output --partial "write error: Software caused connection abort"
	run -0 apctl sandbox umount "$mp"
	assert_equal "$(vfio_queues)" 30
	run -0 apctl sandbox mount "$SBX" "$mp"
	assert_equal "$(find "$mp/sys/bus/ap/drivers/vfio_ap" -name '??.????' | wc -l)" 128
	run -0 apctl sandbox umount "$mp"
	assert_equal "$(tree_digest "$SBX/sys")" "$(tree_digest "$REF/sys")"
}

@test "kill -9 of the file system process at any time leaves the tree as before or after" {
	local mp=$BATS_TEST_TMPDIR/mnt before pid i
	# 2048 queues rebound: a write long enough to be killed in
	twins -0-31 64
	mkdir -p "$mp"
	before=$(tree_digest "$SBX/sys")
	for i in 1 2 3; do
		run -0 apctl sandbox mount "$SBX" "$mp"
		pid=$(pgrep -f "sandbox mount $SBX $mp")
		[ -n "$pid" ]
		bash -c "echo -0-31 > '$mp/sys/bus/ap/apmask'" 2>/dev/null &
		sleep "0.0$((i * 2))"
		kill -9 "$pid"
		wait $! || true
		apctl sandbox umount "$mp"
		run -0 apctl --root "$SBX" show
		case $(tree_digest "$SBX/sys") in
		"$before") ;;
		"$(tree_digest "$REF/sys")") break ;;
		*)
			diff -r --no-dereference "$SBX/sys" "$REF/sys" | head -20
			fail "round $i: the tree is neither as before nor as after the write"
			;;
		esac
	done
}

@test "writers at once through a mount are served one store at a time" {
	local mp=$BATS_TEST_TMPDIR/mnt i
	make_sandbox
	mkdir -p "$mp"
	run -0 apctl sandbox mount "$SBX" "$mp"
	# sixteen processes create sixteen mdevs, and eight race for one more
	for i in $(seq 10 25); do
		bash -c "echo 111111$i-1111-4111-8111-111111111111 > '$mp/$TYPE_DIR/create'" &
	done
	for i in $(seq 8); do
		bash -c "echo 22222222-1111-4111-8111-111111111111 > '$mp/$TYPE_DIR/create'" \
			2>>"$BATS_TEST_TMPDIR/errors" &
	done
	wait
	run -0 apctl sandbox umount "$mp"
	assert_equal "$(grep -c 'File exists' "$BATS_TEST_TMPDIR/errors")" 7
	assert_equal "$(cat "$SBX/$TYPE_DIR/available_instances")" $((65536 - 17))
	assert_equal "$(grep -c attached= "$SBX/apctl-sandbox.d/mdevs")" 17
	run -0 apctl --root "$SBX" --json mdev list
	assert_equal "$(json 'length')" 17
}

@test "kill -9 at random times during creations, removals and mask edits: every tree stays readable and the next change works" {
	local i pid op
	local -a ops
	# one sandbox through all rounds: each starts from what the last kill left
	make_sandbox --adapters 0-15 --domains 0-15
	apctl --root "$SBX" reserve --adapters 0-7 >/dev/null 2>&1
	ops=("mdev create 11111111-1111-4111-8111-111111111111 --adapters 0-3 --domains 0-7"
		"mdev create 22222222-2222-4222-8222-222222222222 --adapters 4-7 --domains 0-7"
		"mdev create 33333333-3333-4333-8333-333333333333 --adapters 0-7 --domains 8-14"
		"mdev remove 11111111-1111-4111-8111-111111111111"
		"mdev remove 22222222-2222-4222-8222-222222222222 --wait 1"
		"mdev remove 33333333-3333-4333-8333-333333333333"
		"sandbox attach 22222222-2222-4222-8222-222222222222"
		"sandbox detach 22222222-2222-4222-8222-222222222222"
		"reserve --adapters 8-14"
		"release --adapters 8-14"
		"release --domains 8-14"
		"reserve --apmask -8-11,-13 --aqmask -0-14"
		"mdev assign 11111111-1111-4111-8111-111111111111 --domains 8-14")
	RANDOM=99
	for ((i = 0; i < $(rounds 150); i++)); do
		op=${ops[RANDOM % ${#ops[@]}]}
		# shellcheck disable=SC2086
		"$APCTL" --root "$SBX" $op >/dev/null 2>&1 &
		pid=$!
		sleep "$(printf '0.%03d' $((RANDOM % 30)))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		run apctl --root "$SBX" show --json
		[ "$status" = 0 ] || fail "round $i ($op): show after the kill exits $status: $output"
		jq -e . >/dev/null <<<"$output" || fail "round $i ($op): show printed no JSON"
		run apctl --root "$SBX" reserve --adapters 15 --domains 15
		[ "$status" = 0 ] || fail "round $i ($op): the next change exits $status: $output"
		[ ! -e "$SBX/apctl-sandbox.d/memory.next" ] && [ ! -e "$SBX/run/apctl/journal" ] ||
			fail "round $i ($op): a store or a change stays unfinished"
	done
}
