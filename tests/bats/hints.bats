#!/usr/bin/env bats
# Every command line and option that apctl prints as a hint or a fix names
# what exists and applies: each command printed parses and runs (a change as
# a dry run), and each option it points to ("add --persistent", "--force
# makes the writes anyway") is one that the command which printed it takes.
# The commands come from many states and refusals on three generations. (That
# the fixes mend what they are printed for, fixes.bats shows.)

load helpers

U1=62177883-f1bb-47f0-914d-32a22e3a8804
U2=cef03c3c-903d-4ecc-9a83-40694cb8aee4
U3=1b5a14fa-cc3e-4b3a-a1d5-8e6b8c9e5d5b

CHANGES=" reserve release create assign unassign remove define start stop apply "
COMMANDS=0
OPTIONS=0

# Whether the words of a command line (without apctl) make a change.
is_change() {
	local w
	for w in "$@"; do
		[ "${w#-}" = "$w" ] || continue
		[[ $w != */* ]] || continue
		[ "$w" != sandbox ] || return 1
		case $CHANGES in *" $w "*) return 0 ;; esac
	done
	return 1
}

# Runs apctl ARGS as a user would, then checks every hint its words hold.
hinted() {
	local out c opt words
	out=$("$APCTL" "$@" 2>&1) || true
	# the commands a misspelt word may have meant: each is one, with its help
	while read -r c; do
		[ -n "$c" ] || continue
		read -ra words <<<"$c"
		run "$APCTL" "${words[@]:1}" --help
		[ "$status" = 0 ] || fail "'$c', printed by 'apctl $*', is no command: $output"
		COMMANDS=$((COMMANDS + 1))
	done < <(grep -oE "did you mean '[^?]*\?" <<<"$out" | grep -oE "'apctl [^']*'" | tr -d "'")
	out=$(sed -E "s/did you mean '[^?]*\?//" <<<"$out")
	# the command lines: 'apctl ...' quoted, and "run: apctl ..." of the boot's conflicts
	while read -r c; do
		[ -n "$c" ] || continue
		read -ra words <<<"$c"
		[ "${words[0]}" = apctl ] || fail "not an apctl command: $c"
		is_change "${words[@]:1}" && [[ " ${words[*]} " != *" --dry-run "* ]] && words+=(--dry-run)
		run "$APCTL" "${words[@]:1}"
		[ "$status" != 2 ] || fail "'$c', printed by 'apctl $*', does not parse: $output"
		COMMANDS=$((COMMANDS + 1))
		echo "$c" >>"$BATS_TEST_TMPDIR/hints"
	done < <(grep -oE "'apctl [^']*'" <<<"$out" | tr -d "'"
		grep -oE "run: apctl [^(;]*" <<<"$out" | sed 's/^run: //; s/ *$//')
	# the options it points to, on the command that printed them
	while read -r opt; do
		[ -n "$opt" ] || continue
		words=("$@" "$opt")
		[ "$opt" = --force ] || [ "$opt" = --dry-run ] || ! is_change "$@" || words+=(--dry-run)
		[[ " $* " != *" --dry-run "* ]] || [ "$opt" != --dry-run ] || continue
		run "$APCTL" "${words[@]}"
		[ "$status" != 2 ] || fail "'$opt', pointed to by 'apctl $*', is not its option: $output"
		OPTIONS=$((OPTIONS + 1))
		echo "$opt of $*" >>"$BATS_TEST_TMPDIR/hints"
	done < <(grep -oE "(add|with|wait longer with|give one with) --[a-z-]+|--[a-z-]+ (makes|writes|removes) " <<<"$out" |
		grep -oE -- "--[a-z-]+" | sort -u)
}

# Refusals and states that print hints, on the sandbox $SBX.
scenarios() {
	hinted mdev crate
	hinted create
	hinted mdev delete $U1
	hinted --root "$SBX" mdev remove 62177883-f1bb-47f0-914d-32a22e3a8805
	hinted --root "$SBX" show 11111111-f1bb-47f0-914d-32a22e3a8805
	hinted --root "$SBX" mdev create $U1 --adapters 5,6 --domains 4,0xab
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null 2>&1
	apctl --root "$SBX" mdev create $U1 --adapters 5,6 --domains 4,0xab --control-domains 4 >/dev/null
	hinted --root "$SBX" mdev create $U2 --adapters 5 --domains 4,0x47
	hinted --root "$SBX" mdev create $U2 --adapters 5,7 --domains 0x47 --dry-run
	hinted --root "$SBX" release --adapters 6
	hinted --root "$SBX" release --domains 0xab --dry-run
	hinted --root "$SBX" reserve --domains 0x47
	hinted --root "$SBX" mdev assign $U1 --adapters 7
	hinted --root "$SBX" show
	hinted --root "$SBX" show $U1
	# the persistent side: a definition the next boot could not start, the rule left behind
	hinted --root "$SBX" mdev define $U1 --autostart
	hinted --root "$SBX" mdev create $U3 --adapters 6 --domains 0x47 --persistent-only --autostart
	hinted --root "$SBX" reserve --domains 0xff
	hinted --root "$SBX" show --boot
	# a guest
	apctl --root "$SBX" sandbox attach $U1 --guest g1 >/dev/null
	hinted --root "$SBX" mdev remove $U1
	hinted --root "$SBX" mdev unassign $U1 --domains 0xab --dry-run
	hinted --root "$SBX" release --adapters 5
	apctl --root "$SBX" sandbox detach $U1 >/dev/null
	# a configuration file that conflicts
	printf '{"version":1,"mdevs":[{"uuid":"%s","adapters":[5],"domains":[4]}]}\n' $U2 \
		>"$BATS_TEST_TMPDIR/cfg.json"
	hinted --root "$SBX" plan "$BATS_TEST_TMPDIR/cfg.json"
	hinted --root "$SBX" apply "$BATS_TEST_TMPDIR/cfg.json"
	# the lock held by another tool
	mkdir "$SBX/run/lock/s390apconfig.lock"
	hinted --root "$SBX" reserve --adapters 7 --lock-timeout 1
	rmdir "$SBX/run/lock/s390apconfig.lock"
}

@test "6.19: every command and option that a hint names exists and applies" {
	make_sandbox
	scenarios
	echo "# $COMMANDS commands and $OPTIONS options checked" >&3
	sed "s|$SBX|SBX|g; s/^/# /" "$BATS_TEST_TMPDIR/hints" | sort -u >&3
	[ "$COMMANDS" -ge 15 ] && [ "$OPTIONS" -ge 3 ]
}

@test "6.0 and 5.15: every command and option that a hint names exists and applies" {
	make_sandbox --kernel 6.0
	scenarios
	make_sandbox --kernel 5.15
	scenarios
	echo "# $COMMANDS commands and $OPTIONS options checked" >&3
	[ "$COMMANDS" -ge 30 ] && [ "$OPTIONS" -ge 6 ]
}
