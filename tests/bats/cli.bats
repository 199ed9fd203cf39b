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
	assert_output --partial "did you mean 'show'?"
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
	assert_line --partial "Usage: apctl [--root DIR] show"
	run -0 apctl sandbox --help
	assert_line --partial "create DIR"
	run -0 apctl sandbox create --help
	assert_line --partial -- "--max-adapter-id N"
}

@test "errors print nothing on stdout" {
	run -3 --separate-stderr apctl --root "$BATS_TEST_TMPDIR/nowhere" show --json
	assert_equal "$output" ""
	assert_equal "$stderr" "apctl: root $BATS_TEST_TMPDIR/nowhere: no such directory"
}
