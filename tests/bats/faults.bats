#!/usr/bin/env bats
# Every write of every kind of change fails in turn, with several errnos:
# the sandbox is as it was before or as the change makes it, never between,
# and a command that fails prints nothing on stdout. Then apctl is killed
# after each write in turn: the next changing command finds the journal and
# leaves the sandbox as it was before or as the change makes it.

load helpers

U1=11111111-1111-4111-8111-111111111111
U2=22222222-2222-4222-8222-222222222222
U3=33333333-3333-4333-8333-333333333333
ERRNOS=(EIO EBUSY EINVAL ENOMEM)

# The errnos write $1 of a change fails with: each of them, or where a stage
# plays a share of the rounds (helpers.bash), one of them in turn.
errnos_of() {
	if all_rounds; then
		echo "${ERRNOS[@]}"
	else
		echo "${ERRNOS[$(($1 % ${#ERRNOS[@]}))]}"
	fi
}

# What the kernel has, as the tree and the emulated kernel's memory show it:
# the kernel's log, the faults and the locks left out, and the mdevs' order
# (a removal undone makes the mdev again, as the newest) not counted, nor the
# numbers of their VFIO groups and device files, which follow that order.
state_digest() {
	(
		cd "$1" || exit 1
		find . -path ./apctl-sandbox.d -prune -o -path ./run/lock -prune -o \
			"${VFIO_NUMBERED[@]}" -printf '%p %y %m %l\n' | LC_ALL=C sort
		find . -path ./apctl-sandbox.d -prune -o -path ./run/lock -prune -o -type f \
			"${VFIO_NUMBERED[@]}" -exec sha256sum {} + | LC_ALL=C sort
		sed -E 's/ group=[0-9]+ vfio=-?[0-9]+//' apctl-sandbox.d/mdevs |
			LC_ALL=C sort - apctl-sandbox.d/overrides
	) | sha256sum | cut -d' ' -f1
}

# A sandbox for each kind of change: the base, then the change on a copy.
# setup_NAME makes the base in $SBX; CHANGE is the command.
setup_reserve() { make_sandbox; }
setup_release() {
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5 --domains 0x47 >/dev/null 2>&1
}
setup_create() {
	make_sandbox "$@"
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null 2>&1
}
setup_change() {
	setup_create "$@"
	apctl --root "$SBX" mdev create $U1 --adapters 5 --domains 4,0x47,0xab >/dev/null
	apctl --root "$SBX" mdev create $U2 --adapters 6 --domains 4 --control-domains 4 >/dev/null
	apctl --root "$SBX" mdev create $U3 >/dev/null
}

KINDS=(
	"reserve|setup_reserve|reserve --adapters 5 --domains 0x47"
	"release|setup_release|release --adapters 5 --domains 0x47"
	"create (ap_config)|setup_create|mdev create $U1 --adapters 5,6 --domains 4,0x47 --control-domains 4"
	"create (assign_*)|setup_create --kernel 6.9|mdev create $U1 --adapters 5,6 --domains 4,0x47 --control-domains 4"
	"assign (assign_*)|setup_change --kernel 6.9|mdev assign $U3 --adapters 6 --domains 0x47,0xab"
	"unassign (assign_*)|setup_change --kernel 6.9|mdev unassign $U1 --domains 0x47,0xab"
	"assign (ap_config)|setup_change|mdev assign $U3 --adapters 6 --domains 0x47,0xab --control-domains 1"
	"remove (ap_config)|setup_change|mdev remove $U1 $U2 $U3"
	"remove (assign_*)|setup_change --kernel 6.9|mdev remove $U2 $U1"
)

# BASE, TARGET (digests), N (writes) and BASEDIR for kind $1.
prepare() {
	local setup cmd
	IFS='|' read -r _ setup cmd <<<"$1"
	$setup
	BASEDIR=$SBX
	CHANGE=($cmd)
	N=$(apctl --root "$BASEDIR" --json "${CHANGE[@]}" --dry-run 2>/dev/null | jq '.writes | length')
	[ "$N" -ge 1 ] || fail "$1: no writes"
	BASE=$(state_digest "$BASEDIR")
	cp -a "$BASEDIR" "$BATS_TEST_TMPDIR/target"
	apctl --root "$BATS_TEST_TMPDIR/target" "${CHANGE[@]}" >/dev/null 2>&1 ||
		fail "$1: the change itself fails"
	TARGET=$(state_digest "$BATS_TEST_TMPDIR/target")
	rm -rf "$BATS_TEST_TMPDIR/target"
	[ "$BASE" != "$TARGET" ] || fail "$1: the change changes nothing"
}

@test "each write of each kind of change fails with several errnos: before, stdout empty" {
	local kind nth e copy=$BATS_TEST_TMPDIR/copy tried=0 writes=0
	for kind in "${KINDS[@]}"; do
		prepare "$kind"
		for ((nth = 1; nth <= N; nth++)); do
			writes=$((writes + 1))
			for e in $(errnos_of $writes); do
				rm -rf "$copy"
				cp -a "$BASEDIR" "$copy"
				apctl --root "$copy" sandbox fault 'sys/*' "$e" "$nth"
				run --separate-stderr apctl --root "$copy" "${CHANGE[@]}"
				[ "$status" = 1 ] || fail "${kind%%|*}, write $nth fails with $e: exit $status"
				[ -z "$output" ] || fail "${kind%%|*}, write $nth, $e: stdout: $output"
				grep -q "failed: $e" <<<"$stderr" || fail "${kind%%|*}, write $nth, $e: $stderr"
				apctl --root "$copy" sandbox fault --clear
				[ "$(state_digest "$copy")" = "$BASE" ] ||
					fail "${kind%%|*}, write $nth of $N fails with $e: not as before"
				[ ! -e "$copy/run/apctl/journal" ] || fail "a journal is left"
				tried=$((tried + 1))
			done
		done
	done
	echo "# $tried failing writes, each undone" >&3
}

@test "apctl killed after each write: the next change finishes the undo, said on stderr" {
	local kind nth copy=$BATS_TEST_TMPDIR/copy tried=0 now
	for kind in "${KINDS[@]}"; do
		prepare "$kind"
		for ((nth = 1; nth <= N; nth++)); do
			rm -rf "$copy"
			cp -a "$BASEDIR" "$copy"
			APCTL_TEST_KILL_AFTER_WRITE=$nth run apctl --root "$copy" "${CHANGE[@]}"
			[ "$status" = 137 ] || fail "${kind%%|*}, killed after write $nth: exit $status"
			if [ "$N" = 1 ]; then
				# one write is atomic: there is nothing to journal
				[ ! -e "$copy/run/apctl/journal" ] || fail "a journal of one write"
				[ "$(state_digest "$copy")" = "$TARGET" ] || fail "one write, not made"
				continue
			fi
			[ -e "$copy/run/apctl/journal" ] || fail "${kind%%|*}, write $nth: no journal"
			# show reports it, and changes nothing
			run -0 apctl --root "$copy" show
			assert_line --partial "Interrupted change: process"
			run -0 apctl --root "$copy" show --json
			[ "$(json .interrupted_change.writes)" = "$N" ] || fail "show --json: $output"
			# the next changing command, itself a change of nothing, undoes it
			run -0 --separate-stderr apctl --root "$copy" release --adapters 0x30
			assert_equal "$output" \
				"Nothing to change: the host's default drivers have those IDs already (their mask bits are set)."
			grep -q "was stopped during" <<<"$stderr" || fail "not said: $stderr"
			now=$(state_digest "$copy")
			[ "$now" = "$BASE" ] || [ "$now" = "$TARGET" ] ||
				fail "${kind%%|*}, killed after write $nth of $N: neither before nor after"
			[ ! -e "$copy/run/apctl/journal" ] || fail "a journal is left"
			run -0 apctl --root "$copy" show
			refute_output --partial "Interrupted change"
			tried=$((tried + 1))
		done
	done
	echo "# $tried kills, each finished by the next command" >&3
}

@test "a change of one write keeps no journal; a dry run neither reads nor undoes one" {
	make_sandbox
	APCTL_TEST_KILL_AFTER_WRITE=1 run apctl --root "$SBX" reserve --adapters 5
	assert_equal "$status" 137
	[ ! -e "$SBX/run/apctl/journal" ]
	assert_equal "$(cat "$SBX/sys/bus/ap/apmask")" 0xfbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
	# a killed change of two writes; a dry run leaves its journal for a real change
	APCTL_TEST_KILL_AFTER_WRITE=1 run apctl --root "$SBX" reserve --adapters 6 --domains 0x47
	[ -e "$SBX/run/apctl/journal" ]
	run -0 apctl --root "$SBX" release --adapters 5 --dry-run
	[ -e "$SBX/run/apctl/journal" ]
	run -0 apctl --root "$SBX" release --adapters 5
	[ ! -e "$SBX/run/apctl/journal" ]
	assert_equal "$(cat "$SBX/sys/bus/ap/apmask")" "$ALL_ONES"
	assert_equal "$(cat "$SBX/sys/bus/ap/aqmask")" "$ALL_ONES"
}
