#!/usr/bin/env bats
# The command line: global options, help, version, errors and their exit codes.

load helpers

@test "--help lists the commands and options" {
	run -0 apctl --help
	assert_line --partial "show [UUID]"
	assert_line --partial "sandbox create DIR"
	assert_line --partial -- "--root DIR"
	assert_line --partial -- "--json"
	assert_line --partial -- "--version"
}

@test "--version prints the version" {
	run -0 apctl --version
	assert_output --regexp '^apctl [0-9]+\.[0-9]+\.[0-9]+$'
	run -0 apctl -V
}

@test "no command is a usage error" {
	run -2 apctl
	assert_output --partial "no command given"
	assert_output --partial "Try 'apctl --help'"
}

@test "an unknown command exits 2 with a hint" {
	run -2 apctl frobnicate
	assert_output --partial "unknown command 'frobnicate'"
	assert_output --partial "Try 'apctl --help'"
}

@test "a misspelt command gets a suggestion" {
	run -2 apctl shwo
	assert_output --partial "did you mean 'apctl show'?"
}

@test "an unknown global option exits 2" {
	run -2 apctl --frob show
	assert_output --partial "unknown option '--frob'"
	run -2 apctl -x show
	assert_output --partial "unknown option '-x'"
}

@test "an unknown command option exits 2 with the command's hint" {
	make_sandbox
	run -2 apctl --root "$SBX" show --frob
	assert_output --partial "unknown option '--frob'"
	assert_output --partial "Try 'apctl show --help'"
}

@test "an option without its argument exits 2" {
	run -2 apctl --root
	assert_output --partial "option '--root' needs an argument"
	run -2 apctl show -r
	assert_output --partial "option '-r' needs an argument"
}

@test "a missing root exits 3" {
	run -3 apctl --root "$BATS_TEST_TMPDIR/nowhere" show
	assert_output --partial "nowhere: no such directory"
}

@test "a root that is a file exits 3" {
	touch "$BATS_TEST_TMPDIR/file"
	run -3 apctl --root "$BATS_TEST_TMPDIR/file" show
	assert_output --partial "not a directory"
}

@test "a root without an AP bus exits 3 and says what is missing" {
	mkdir -p "$BATS_TEST_TMPDIR/empty/sys"
	run -3 apctl --root "$BATS_TEST_TMPDIR/empty" show
	assert_output --partial "no AP bus"
	assert_output --partial "empty/sys/bus/ap does not exist"
}

@test "global options work after the command too" {
	make_sandbox
	run -0 apctl show --root "$SBX" --json
	assert_equal "$(json .sandbox)" true
	run -0 apctl show -r "$SBX" -j
	assert_equal "$(json .sandbox)" true
}

@test "every command has --help" {
	run -0 apctl show --help
	assert_line --partial "Usage: apctl show [UUID] [OPTIONS]"
	run -0 apctl sandbox --help
	assert_line --partial "create DIR"
	run -0 apctl sandbox create --help
	assert_line --partial -- "--max-adapter-id N"
}

@test "errors print nothing on stdout, but with --json their document" {
	run -3 --separate-stderr apctl --root "$BATS_TEST_TMPDIR/nowhere" show
	assert_equal "$output" ""
	assert_equal "$stderr" "apctl: root $BATS_TEST_TMPDIR/nowhere: no such directory"
	run -3 --separate-stderr apctl --root "$BATS_TEST_TMPDIR/nowhere" show --json
	assert_equal "$(json -c '[.status, .error, .message]')" \
		"[3,\"not-found\",\"root $BATS_TEST_TMPDIR/nowhere: no such directory\"]"
	assert_equal "$stderr" "apctl: root $BATS_TEST_TMPDIR/nowhere: no such directory"
}

@test "a misspelt or misplaced word gets a hint" {
	run -2 apctl mdev crate
	assert_output --partial "unknown mdev command 'crate'; did you mean 'apctl mdev create'?"
	assert_output --partial "Try 'apctl mdev --help'."
	run -2 apctl create
	assert_output --partial "did you mean 'apctl mdev create' or 'apctl sandbox create'?"
	run -2 apctl sandbox host grow
	assert_output --partial "unknown sandbox host command 'grow'"
	run -2 apctl show --adapterz 5
	assert_output --partial "unknown option '--adapterz'; did you mean '--adapters'?"
	# other tools' words for apctl's
	run -2 apctl mdev delete
	assert_output --partial "unknown mdev command 'delete'; did you mean 'apctl mdev remove'?"
	run -2 apctl mdev ls
	assert_output --partial "did you mean 'apctl mdev list'?"
}

@test "a UUID that is not one is told why; one that is not there gets the near one or the list" {
	local U=62177883-f1bb-47f0-914d-32a22e3a8804
	make_sandbox
	run -2 apctl --root "$SBX" show 62177883-f1bb-47f0-914d-32a22e3a880
	assert_output --partial "'62177883-f1bb-47f0-914d-32a22e3a880' is not a UUID: it has 35 characters, a UUID 36 (8-4-4-4-12 hex digits)"
	run -2 apctl --root "$SBX" mdev remove 6217788-f1bb-47f0-914d-32a22e3a88044
	assert_output --partial "is not a UUID: character 8 is '-' where a UUID has a hex digit"
	run -2 apctl --root "$SBX" show 62177883-f1bb-47f0-914d-32a22e3a88zz
	assert_output --partial "is not a UUID: character 35 is 'z' where a UUID has a hex digit"
	run -2 apctl --root "$SBX" show 62177883_f1bb-47f0-914d-32a22e3a8804
	assert_output --partial "is not a UUID: character 9 is '_' where a UUID has a dash"
	apctl --root "$SBX" reserve --adapters 5 >/dev/null 2>&1
	apctl --root "$SBX" mdev create $U --adapters 5 --domains 4 >/dev/null
	run -3 apctl --root "$SBX" mdev remove 62177883-f1bb-47f0-914d-32a22e3a8805
	assert_output "apctl: mdev remove: no mdev 62177883-f1bb-47f0-914d-32a22e3a8805 under $SBX; did you mean $U?"
	run -3 apctl --root "$SBX" show 11111111-f1bb-47f0-914d-32a22e3a8805
	assert_output "apctl: show: no mdev 11111111-f1bb-47f0-914d-32a22e3a8805 under $SBX; 'apctl --root $SBX mdev list' lists them"
	# a root that needs quoting is quoted in the command to paste
	local spaced="$BATS_TEST_TMPDIR/a sandbox"
	apctl sandbox create "$spaced" >/dev/null
	run -3 apctl --root "$spaced" show 11111111-f1bb-47f0-914d-32a22e3a8805
	assert_output --partial "'apctl --root '$spaced' mdev list' lists them"
	run -0 bash -c "$APCTL --root '$spaced' mdev list"
}

@test "an option of another command is named as an option" {
	run -2 apctl release --apqns 05.0047
	assert_output --partial "release takes no --apqns; it is an option of reserve"
	assert_output --partial "Try 'apctl release --help'."
	run -2 apctl mdev list --adapters 5
	assert_output --partial "mdev list takes no --adapters"
	run -2 apctl sandbox create "$BATS_TEST_TMPDIR/x" --root /
	assert_output --partial "sandbox create takes no --root"
	[ ! -e "$BATS_TEST_TMPDIR/x" ]
}

@test "arguments are counted, and the word too many is named" {
	make_sandbox
	run -2 apctl --root "$SBX" mdev create 11111111-1111-4111-8111-111111111111 extra
	assert_output --partial "unexpected argument 'extra': mdev create takes [UUID]"
	run -2 apctl --root "$SBX" mdev assign
	assert_output --partial "mdev assign needs UUID"
	run -2 apctl --root "$SBX" ids
	run -2 apctl --root "$SBX" sandbox write "" x
	assert_output --partial "'' is not an attribute path"
	run -2 apctl --root "$SBX" sandbox write sys/bus/ap/apmask
	assert_output --partial "sandbox write needs ATTRIBUTE VALUE"
	run -2 apctl mdev
	assert_output --partial "no mdev command given"
}

@test "--json works on every command or is refused" {
	make_sandbox
	run -0 apctl --json --version
	assert_equal "$(json .version)" "$(apctl --version | cut -d' ' -f2)"
	run -0 apctl --root "$SBX" --json ids adapters
	assert_equal "$(json -c .)" "[5,6]"
	run -0 apctl --root "$SBX" ids mdevs --json
	assert_equal "$(json -c .)" "[]"
	run -0 apctl --root "$SBX" --json sandbox fault
	assert_equal "$(json -c .)" "[]"
	local c
	for c in "sandbox write sys/bus/ap/apmask -5" "sandbox attach 11111111-1111-4111-8111-111111111111" \
		"sandbox host add --adapters 7"; do
		run -2 apctl --root "$SBX" --json $c
		assert_output --partial "takes no --json"
	done
}

@test "help texts come from the tables: every verb lists its options" {
	run -0 apctl mdev create --help
	assert_line "Usage: apctl mdev create [UUID] [OPTIONS]"
	assert_line --regexp '^      --adapters LIST +adapters'
	assert_line --regexp '^      --dry-run +show what would be done'
	run -0 apctl sandbox host --help
	assert_line --partial "add"
	assert_line --partial "remove"
	run -0 apctl sandbox host add --help
	assert_line --regexp '^      --type TYPE +card type of the adapters added'
}

@test "a kernel generation is read strictly; a newer one is taken as the newest" {
	make_sandbox
	local v
	for v in 5.-2 06.19 6.019 5.4294967294 6 6.19.1; do
		run -2 apctl --root "$SBX" --kernel "$v" show
		assert_output --partial "'$v' is not a kernel generation"
	done
	run -0 --separate-stderr apctl --root "$SBX" --kernel 7.1 show --json
	assert_equal "$(json .kernel)" 6.19
	use_stderr
	assert_output --partial "note: kernel 7.1 is newer than the newest generation apctl knows; it is taken as 6.19"
	APCTL_KERNEL=6.0 run -0 apctl --root "$SBX" show --json
	assert_equal "$(json .kernel)" 6.0
}

@test "on a terminal, notes and refusals are filled to its width; a command to paste stays whole" {
	local U=62177883-f1bb-47f0-914d-32a22e3a8804 long tty
	command -v script >/dev/null || fail "script is not installed (Debian: bsdutils)"
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null 2>&1
	run -4 script -qec "stty cols 60; '$APCTL' --root '$SBX' mdev create $U --adapters 5,7 --domains 4" /dev/null
	tty=$(tr -d '\r' <<<"$output")
	long=$(awk "length >= 60 && !/^ *'apctl /" <<<"$tty")
	[ -z "$long" ] || fail "lines of 60 columns or more: $long"
	grep -qx "  *'apctl --root $SBX reserve --adapters 7'" <<<"$tty" || fail "the fix is not whole: $tty"
	# not a terminal: each line whole, for scripts and logs; the words are the same
	run -4 apctl --root "$SBX" mdev create $U --adapters 5,7 --domains 4
	assert_line "apctl: note: adapter 7 is not in the host's AP configuration: it reaches the guest only when it appears"
	assert_equal "$(tr -s ' \n' ' ' <<<"$tty")" "$(tr -s ' \n' ' ' <<<"$output")"
}
