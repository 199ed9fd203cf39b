#!/usr/bin/env bats
# The man page, the help texts and the shell completions describe the same
# commands and options, and the completions complete them.

load helpers

MAN=$BATS_TEST_DIRNAME/../../man/apctl.8
BASH_COMPLETION=$BATS_TEST_DIRNAME/../../completions/apctl
ZSH_COMPLETION=$BATS_TEST_DIRNAME/../../completions/_apctl

# Every command apctl's help lists, one per line: "mdev create", "sandbox host add".
all_commands() {
	apctl --help | sed -n '/^Commands:/,/^$/p' | grep '^  [a-z]' |
		awk '{ split($0, p, "  +"); n = split(p[2], w, " "); c = ""
			for (i = 1; i <= n && w[i] ~ /^[a-z]+$/; i++) c = c (c ? " " : "") w[i]
			print c }'
}

# Every help text apctl has.
all_help() {
	local c
	apctl --help
	while read -r c; do
		# shellcheck disable=SC2086
		apctl $c --help
	done < <(all_commands)
}

@test "the man page is clean for mandoc -Tlint" {
	command -v mandoc >/dev/null || fail "mandoc is not installed (Debian: mandoc)"
	run -0 mandoc -Tlint "$MAN"
	assert_output ""
	# a quoted status of two words stays one
	run -0 bash -c "mandoc -Tascii '$MAN' | col -b"
	assert_output --partial '"in use"'
	refute_output --partial '"inuse"'
}

@test "every long option of every --help is in the man page and both completions" {
	local opts o missing=
	opts=$(all_help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u)
	[ "$(wc -l <<<"$opts")" -gt 20 ]
	for o in $opts; do
		grep -qF -- "$(sed 's/-/\\-/g' <<<"$o")" "$MAN" || missing+=" $o(man)"
		grep -qF -- "$o" "$BASH_COMPLETION" || missing+=" $o(bash)"
		grep -qF -- "$o" "$ZSH_COMPLETION" || missing+=" $o(zsh)"
	done
	assert_equal "$missing" ""
}

@test "every command of --help is in the man page and both completions" {
	local c
	[ "$(all_commands | wc -l)" -gt 30 ]
	for c in $(all_commands | tr ' ' '\n' | sort -u); do
		grep -qE "\\.SS \"?apctl.*[ |]$c" "$MAN" || grep -qE "^\\.B .*$c" "$MAN" ||
			fail "$c not in the man page"
		grep -qw -- "$c" "$BASH_COMPLETION" || fail "$c not in the bash completion"
		grep -qw -- "$c" "$ZSH_COMPLETION" || fail "$c not in the zsh completion"
	done
}

# Whether one of the lines on stdin has the words of command $1 in order, each
# a word of its own or one of a|b|c.
has_command() {
	awk -v cmd="$1" 'BEGIN { n = split(cmd, w, " ") }
		{ k = 1; m = split($0, t, /[ |]+/)
		  for (i = 1; i <= m && k <= n; i++) if (t[i] == w[k]) k++
		  if (k > n) { found = 1; exit } }
		END { exit !found }'
}

@test "every command of --help has its synopsis line and its section in the man page" {
	local c synopsis sections
	synopsis=$(mandoc -T ascii "$MAN" | sed 's/.\x08//g' | sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' |
		grep -E '^ +(apctl|ap-apctl) ')
	sections=$(grep '^\.SS "apctl' "$MAN" | sed 's/\\-/-/g; s/"//g')
	[ "$(all_commands | wc -l)" -gt 30 ]
	while read -r c; do
		has_command "apctl $c" <<<"$synopsis" || fail "no synopsis line of 'apctl $c'"
		has_command "$c" <<<"$sections" || fail "no section of 'apctl $c'"
	done < <(all_commands)
}

@test "zsh describes every command it offers" {
	local c last
	while read -r c; do
		last=${c##* }
		grep -qE "('|^[[:space:]]*|\(\()$last(\[|\\\\:)" "$ZSH_COMPLETION" ||
			fail "zsh offers '$c' without a description"
	done < <(all_commands)
}

@test "every help text fits a terminal of 80 columns" {
	local long
	long=$(all_help | awk 'length >= 80')
	[ -z "$long" ] || fail "help lines of 80 columns or more: $long"
}

@test "the man page names the version" {
	run -0 apctl --version
	grep -qF "\"${output}\"" "$MAN"
}

# Completes the words given (the last one is the one being completed) with the
# bash completion, as bash would, with apctl from the build on the PATH.
complete_bash() {
	COMP_WORDS=(apctl "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	PATH=$(dirname "$APCTL"):$PATH
	# shellcheck source=/dev/null
	source "$BASH_COMPLETION"
	_apctl
	echo "${COMPREPLY[*]}"
}

# The same with the cursor on word N (1 is the first after apctl).
complete_bash_at() {
	local at=$1
	shift
	COMP_WORDS=(apctl "$@")
	COMP_CWORD=$at
	COMPREPLY=()
	PATH=$(dirname "$APCTL"):$PATH
	# shellcheck source=/dev/null
	source "$BASH_COMPLETION"
	_apctl
	echo "${COMPREPLY[*]}"
}

@test "bash completes commands and options" {
	run -0 complete_bash ''
	assert_output "show check watch reserve release mdev export plan apply recover ids callout sandbox"
	run -0 complete_bash re
	assert_output "reserve release recover"
	run -0 complete_bash --r
	assert_output "--root"
	run -0 complete_bash reserve --a
	assert_output "--adapters --apqns --apmask --aqmask"
	run -0 complete_bash mdev ''
	assert_output "create assign unassign remove define start stop list guest --help"
	run -0 complete_bash sandbox create /tmp/x --k
	assert_output "--kernel"
	run -0 complete_bash sandbox create /tmp/x --kernel 6.1
	assert_output "6.1 6.10 6.12 6.15 6.18 6.19"
	run -0 complete_bash sandbox host ''
	assert_output "add remove configure deconfigure checkstop uncheckstop online offline --help"
}

@test "bash completes mdev UUIDs and host IDs of the root on the command line" {
	make_sandbox --adapters 1,2 --domains 3,0x10
	apctl --root "$SBX" reserve --adapters 1,2 >/dev/null
	apctl --root "$SBX" mdev create 11111111-1111-4111-8111-111111111111 >/dev/null
	apctl --root "$SBX" mdev create 22222222-2222-4222-8222-222222222222 >/dev/null
	run -0 complete_bash --root "$SBX" mdev assign ''
	assert_output "11111111-1111-4111-8111-111111111111 22222222-2222-4222-8222-222222222222"
	run -0 complete_bash -r "$SBX" mdev remove 2
	assert_output "22222222-2222-4222-8222-222222222222"
	run -0 complete_bash --root "$SBX" mdev assign 11111111-1111-4111-8111-111111111111 --domains ''
	assert_output "3 0x10"
	run -0 complete_bash --root="$SBX" reserve --adapters 1,
	assert_output "1,2"
	run -0 complete_bash --root "$SBX" show ''
	assert_output "11111111-1111-4111-8111-111111111111 22222222-2222-4222-8222-222222222222"
	# another root, other mdevs: none
	make_sandbox
	run -0 complete_bash --root "$SBX" show ''
	assert_output ""
}

@test "zsh loads and parses the zsh completion" {
	command -v zsh >/dev/null || fail "zsh is not installed (Debian: zsh)"
	run -0 zsh -n "$ZSH_COMPLETION"
	run -0 zsh -fc "fpath=('${ZSH_COMPLETION%/*}' \$fpath); autoload -Uz compinit; compinit -u -D; autoload -Uz +X _apctl && whence -w _apctl"
	assert_output "_apctl: function"
}

@test "bash: --root=DIR anywhere, no ID twice, IDs in numeric order" {
	make_sandbox --adapters 5,0x10,0x0a --domains 3,0x10
	apctl --root "$SBX" reserve --adapters 5 >/dev/null 2>&1
	apctl --root "$SBX" mdev create 11111111-1111-4111-8111-111111111111 >/dev/null
	run -0 complete_bash --root="$SBX" mdev assign 11111111-1111-4111-8111-111111111111 --adapters ''
	assert_output "5 0x0a 0x10"
	# the word completed before a --root given after it
	run -0 complete_bash_at 5 mdev assign 11111111-1111-4111-8111-111111111111 --adapters 0x10,5, --root "$SBX"
	assert_output "0x10,5,0x0a"
	run -0 complete_bash_at 3 mdev assign '' --root="$SBX"
	assert_output "11111111-1111-4111-8111-111111111111"
	run -0 complete_bash sandbox host a
	assert_output "add"
	run -0 complete_bash sandbox host add --t
	assert_output "--type"
	run -0 complete_bash show --k
	assert_output "--kernel"
}

@test "zsh finds --root DIR and --root=DIR anywhere on the line" {
	command -v zsh >/dev/null || fail "zsh is not installed (Debian: zsh)"
	local src
	src=$(sed '$d' "$ZSH_COMPLETION")
	run -0 zsh -fc "$src"'
		words=(apctl --root /a mdev assign ""); CURRENT=5; _apctl_find_root; _apctl_root; print -r -- "$reply"
		words=(apctl mdev assign "" --root=/b); CURRENT=4; _apctl_find_root; _apctl_root; print -r -- "$reply"
		words=(apctl mdev -r /c assign ""); CURRENT=5; _apctl_find_root; _apctl_root; print -r -- "$reply"
		words=(apctl mdev assign ""); CURRENT=4; _apctl_find_root; _apctl_root; print -r -- "[$reply]"'
	assert_line --index 0 -- "--root /a"
	assert_line --index 1 -- "--root /b"
	assert_line --index 2 -- "--root /c"
	assert_line --index 3 "[]"
}

# Every key of every JSON document apctl prints, one per line.
program_keys() {
	local u=11111111-1111-4111-8111-111111111111
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5,0x10 >/dev/null 2>&1
	apctl --root "$SBX" mdev create $u --adapters 5,0x10 --domains 4 >/dev/null 2>&1
	APCTL_TEST_KILL_AFTER_WRITE=1 apctl --root "$SBX" reserve --adapters 6 --domains 0x47 \
		>/dev/null 2>&1 || true
	mkdir -p "$SBX/etc/mdevctl.d/matrix" "$SBX/etc/udev/rules.d"
	printf '{"mdev_type":"vfio_ap-passthrough","start":"auto","attrs":[{"assign_adapter":"5"},%s]}' \
		'{"assign_domain":"4"},{"assign_control_domain":"4"}' \
		>"$SBX/etc/mdevctl.d/matrix/$u"
	echo 'ATTR{../../bus/ap/apmask}="-5"' >"$SBX/etc/udev/rules.d/41-ap.rules"
	{
		apctl --root "$SBX" show --json
		apctl --root "$SBX" mdev list --json
		apctl --root "$SBX" --json reserve --apqns 06.0004 --dry-run
		apctl --root "$SBX" --json release --adapters 5 --dry-run || true
		apctl --root "$SBX" --json mdev assign $u --domains 0xab --dry-run
		apctl --root "$SBX" --json mdev remove $u --dry-run
		apctl --root "$SBX" --json mdev define $u --dry-run
		apctl --root "$SBX" show --boot --json
		apctl --root "$SBX" check --json || true
		# what apctl watch --json prints, a line each, as the emulated kernel records it
		cat "$SBX/apctl-sandbox.d/events"
		# (before and after hold a configuration, whose keys CONFIGURATION FILE names)
		apctl --root "$SBX" export | apctl --root "$SBX" --json plan - |
			jq '.before = {} | .after = {}'
		apctl --root "$SBX" --json mdev guest $u
		printf "<domain type='kvm'><name>g</name><devices/></domain>" >"$SBX/domain.xml"
		apctl --root "$SBX" --json mdev guest $u --domain "$SBX/domain.xml" || true
		apctl --root "$SBX" --json sandbox reboot
		apctl --root "$SBX" sandbox fault sys/bus/ap/apmask EIO
		apctl --root "$SBX" --json sandbox fault
		apctl --json sandbox create "$BATS_TEST_TMPDIR/other"
		apctl --json --version
	} 2>/dev/null | jq -r '[paths | .[] | strings] | .[]' | sort -u
}

# The keys the man page names in its JSON section: bold words of key form.
man_keys() {
	sed -n '/^\.SH JSON OUTPUT/,/^\.SH EXIT STATUS/p' "$MAN" | grep -E '^\.(B|BR|BI|TP)' |
		sed 's/\\(dq.*\\(dq//g' | grep -oE '\b[a-z][a-z_]*[a-z]\b' | sort -u
}

@test "the man page names every JSON key apctl prints, and no key it does not" {
	local keys man missing= extra= k
	keys=$(program_keys)
	[ "$(wc -l <<<"$keys")" -gt 60 ]
	man=$(man_keys)
	for k in $keys; do grep -qx "$k" <<<"$man" || missing+=" $k"; done
	assert_equal "$missing" ""
	# what the man page names in bold is a key, or a word of its sentences
	for k in $man; do
		grep -qx "$k" <<<"$keys" && continue
		case $k in
		apctl | show | json | mdev | list | ids | uuid | sandbox | create | fault | version | boot | reboot | guest | \
			to | or | and | host | vfio_ap | null | apqns | dry | run | no | wait | \
			adapter_not_in_host | domain_not_in_host | no_queue | host_owned | not_bound | \
			adapter_filtered | history | plan | apply | export | check | watch | cards) ;;
		*) extra+=" $k" ;;
		esac
	done
	assert_equal "$extra" ""
}
