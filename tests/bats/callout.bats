#!/usr/bin/env bats
# apctl's mdevctl callout (ap-apctl), with the real mdevctl 1.2.0 of Debian
# inside `apctl sandbox run`: what mdevctl is about to define, modify or start
# is checked by apctl first. The verdicts of the rules table are written from
# the kernel's rules (../shared/reference/kernel-ap-sysfs.md), apart from
# apctl's code: they are the evidence. The runs of mdevctl without the callout
# on copies, whose writes the emulated kernel answers, are a consistency check.

load helpers

U1=62177883-f1bb-47f0-914d-32a22e3a8804
U2=cef03c3c-903d-4ecc-9a83-40694cb8aee4
U3=1b5a14fa-cc3e-4b3a-a1d5-8e6b8c9e5d5b
CALLOUTS=etc/mdevctl.d/scripts.d/callouts
LOCK=run/lock/s390apconfig.lock

setup() {
	command -v mdevctl >/dev/null || fail "mdevctl is not installed (Debian: mdevctl)"
}

# The callout installed in sandbox $1 (default $SBX): apctl under the link's
# name (a copy, as sandbox run refuses links that lead out of the sandbox).
install_callout() {
	local sbx=${1:-$SBX}
	mkdir -p "$sbx/$CALLOUTS"
	cp "$APCTL" "$sbx/$CALLOUTS/ap-apctl"
}

# COMMAND run by bash inside sandbox $SBX.
inside() {
	"$APCTL" sandbox run "$SBX" -- bash -c "$1"
}

# A definition's JSON file: START (auto or manual), then NAME=VALUE attributes.
def_file() {
	local f=$BATS_TEST_TMPDIR/def-$RANDOM.json start=$1 attrs= a
	shift
	for a in "$@"; do
		attrs+="${attrs:+,}{\"${a%%=*}\":\"${a#*=}\"}"
	done
	echo "{\"mdev_type\":\"vfio_ap-passthrough\",\"start\":\"$start\",\"attrs\":[$attrs]}" >"$f"
	echo "$f"
}

@test "a conflicting start is refused with apctl's words, and nothing is written" {
	make_sandbox
	install_callout
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null 2>&1
	apctl --root "$SBX" mdev create $U1 --adapters 5 --domains 4 >/dev/null
	f=$(def_file manual assign_adapter=5 assign_adapter=6 assign_domain=4)
	run inside "mdevctl start -u $U2 -p matrix --jsonfile $f"
	assert_failure
	# mdevctl names the callout; the APQN, its holder and the fix are apctl's
	assert_output --partial "ap-apctl: "
	assert_output --partial "05.0004"
	assert_output --partial "$U1"
	refute_output --partial "Address already in use"
	[ ! -e "$SBX/$MATRIX/$U2" ]
	# the lock that the callout held for mdevctl is gone with the refusal
	[ ! -e "$SBX/$LOCK" ]
	# what does not conflict starts, and the post call lets the lock go
	f=$(def_file manual assign_adapter=6 assign_domain=4)
	run -0 inside "mdevctl start -u $U2 -p matrix --jsonfile $f"
	assert_equal "$(mattr $U2 matrix)" "06.0004"
	[ ! -e "$SBX/$LOCK" ]
}

@test "define and modify of an autostart definition that would fail at the next boot are refused" {
	make_sandbox
	install_callout
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null 2>&1
	f=$(def_file auto assign_adapter=5 assign_domain=4)
	# no 41-ap.rules: at the next boot the host's drivers keep every APQN
	run inside "mdevctl define -u $U1 -p matrix --jsonfile $f"
	assert_failure
	assert_output --partial "ap-apctl: "
	assert_output --partial "05.0004"
	[ ! -e "$SBX/etc/mdevctl.d/matrix/$U1" ]
	# with the masks persistent it is defined
	apctl --root "$SBX" reserve --adapters 5,6 --persistent-only >/dev/null 2>&1
	run -0 inside "mdevctl define -u $U1 -p matrix --jsonfile $f"
	assert_equal "$(jq -c .attrs "$SBX/etc/mdevctl.d/matrix/$U1")" \
		'[{"assign_adapter":"5"},{"assign_domain":"4"}]'
	# a second autostart definition may not take its APQN at boot; a manual one may
	f=$(def_file auto assign_adapter=6 assign_domain=5)
	run -0 inside "mdevctl define -u $U2 -p matrix --jsonfile $f"
	run inside "mdevctl modify -u $U2 --addattr=assign_adapter --value=5 &&
		mdevctl modify -u $U2 --addattr=assign_domain --value=4"
	assert_failure
	assert_output --partial "$U1"
	assert_equal "$(jq -c .attrs "$SBX/etc/mdevctl.d/matrix/$U2")" \
		'[{"assign_adapter":"6"},{"assign_domain":"5"},{"assign_adapter":"5"}]'
	f=$(def_file manual assign_adapter=5 assign_domain=4)
	run -0 inside "mdevctl define -u $U3 -p matrix --jsonfile $f"
	[ ! -e "$SBX/$LOCK" ]
}

@test "mdevctl define of a running mdev records its attributes" {
	make_sandbox
	install_callout
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null 2>&1
	apctl --root "$SBX" mdev create $U1 --adapters 5,6 --domains 4,0x47 \
		--control-domains 4 >/dev/null
	run -0 inside "mdevctl define -u $U1"
	assert_equal "$(jq -c .attrs "$SBX/etc/mdevctl.d/matrix/$U1")" \
		'[{"assign_adapter":"5"},{"assign_adapter":"6"},{"assign_domain":"4"},{"assign_domain":"71"},{"assign_control_domain":"4"}]'
	# the callout alone, as mdevctl calls it
	run -0 inside "'$APCTL' callout -t vfio_ap-passthrough -e get -a attributes -s none -u $U1 -p matrix </dev/null"
	assert_output '[{"assign_adapter":"5"},{"assign_adapter":"6"},{"assign_domain":"4"},{"assign_domain":"71"},{"assign_control_domain":"4"}]'
	# without the callout mdevctl records none
	rm "$SBX/$CALLOUTS/ap-apctl" "$SBX/etc/mdevctl.d/matrix/$U1"
	run -0 inside "mdevctl define -u $U1"
	assert_equal "$(jq -c .attrs "$SBX/etc/mdevctl.d/matrix/$U1")" '[]'
}

@test "another type is not the callout's (exit 2); through its link a bad call is exit 1, never 2" {
	make_sandbox
	local link=$BATS_TEST_TMPDIR/ap-apctl
	ln -s "$APCTL" "$link"
	run -2 inside "'$link' -t vfio_ccw-io -e pre -a start -s none -u $U1 -p 0.0.0100 </dev/null"
	assert_output ""
	run -1 inside "'$link' -t vfio_ap-passthrough -e pre -a start -s none -u nope -p matrix </dev/null"
	assert_output --partial "'nope' is not a UUID"
	run -1 inside "'$link' -t vfio_ap-passthrough -e pre -a start -s none -u $U1 </dev/null"
	assert_output --partial "callout needs -p"
	run -1 inside "'$link' --bogus -t vfio_ap-passthrough </dev/null"
	assert_output --partial "unknown option '--bogus'"
	# typed by a person, a bad call is a usage error as everywhere
	run -2 inside "'$APCTL' callout -t vfio_ap-passthrough -e pre -a start -s none -u nope -p matrix </dev/null"
	# a definition that cannot be read is refused, naming why
	run -4 inside "echo '{\"mdev_type\": \"vfio_ap-passthrough\", \"start\": \"manual\", \"attrs\": 5}' |
		'$link' -t vfio_ap-passthrough -e pre -a start -s none -u $U1 -p matrix"
	assert_output --partial "attrs is not a list"
	[ ! -e "$SBX/$LOCK" ]
	# a parent that is not matrix
	run -1 inside "'$link' -t vfio_ap-passthrough -e pre -a start -s none -u $U1 -p css </dev/null"
	assert_output --partial "not 'css'"
}

@test "mdevctl 1.3's calls: capabilities, and a live modify as one change" {
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null 2>&1
	apctl --root "$SBX" mdev create $U1 --adapters 5 --domains 4 >/dev/null
	apctl --root "$SBX" mdev create $U2 --adapters 6 --domains 4 >/dev/null
	caps='{"provides":{"version":2,"actions":["start","stop","define","undefine","modify","attributes","capabilities","list"],"events":["pre","post","notify","get","live"]}}'
	run -0 inside "echo '$caps' | '$APCTL' callout -t vfio_ap-passthrough -e get -a capabilities -s none -u $U1 -p matrix"
	assert_output '{"supports":{"version":2,"actions":["start","stop","define","undefine","modify","attributes","capabilities"],"events":["pre","post","get","live"]}}'
	call="'$APCTL' callout -t vfio_ap-passthrough -e live -a modify -s none -u $U1 -p matrix"
	# 6.0004 is U2's: refused, U1 as it was
	f=$(def_file manual assign_adapter=5 assign_adapter=6 assign_domain=4)
	run -4 inside "$call <$f"
	assert_output --partial "06.0004"
	assert_output --partial "$U2"
	assert_equal "$(mattr $U1 matrix)" "05.0004"
	# domain 0x47 in, adapter 5 kept
	f=$(def_file manual assign_adapter=5 assign_domain=4 assign_domain=0x47)
	run -0 inside "$call <$f"
	assert_equal "$(mattr $U1 matrix | xargs)" "05.0004 05.0047"
	# and out again
	f=$(def_file manual assign_adapter=5 assign_domain=0x47)
	run -0 inside "$call <$f"
	assert_equal "$(mattr $U1 matrix)" "05.0047"
}

@test "the lock is held for mdevctl from the pre call to the post call" {
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5 >/dev/null 2>&1
	f=$(def_file manual assign_adapter=5 assign_domain=4)
	# the shell stands for mdevctl: the lock names it after pre, and is gone after post
	run -0 inside "
		'$APCTL' callout -t vfio_ap-passthrough -e pre -a start -s none -u $U1 -p matrix <$f
		echo \"\$\$ \$(cat /run/lock/s390apconfig.lock)\"
		'$APCTL' callout -t vfio_ap-passthrough -e post -a start -s success -u $U1 -p matrix <$f
		ls /run/lock"
	read -r shell held <<<"${lines[0]}"
	assert_equal "$held" "$shell"
	assert_equal "${#lines[@]}" 1
	# while mdevctl holds it, apctl waits for it
	run inside "
		'$APCTL' callout -t vfio_ap-passthrough -e pre -a stop -s none -u $U1 -p matrix </dev/null
		'$APCTL' release --adapters 5 --lock-timeout 1
		exit \$?"
	assert_equal "$status" 1
	assert_output --partial "lock"
}

@test "with ap-check installed, it is asked first; a refusal of either stops mdevctl" {
	make_sandbox
	install_callout
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null 2>&1
	# ap-check as s390-tools installs it (a stand-in that records its call and
	# takes the lock for its parent, as libap does)
	mkdir -p "$SBX/usr/lib/mdevctl/scripts.d/callouts"
	cat >"$SBX/usr/lib/mdevctl/scripts.d/callouts/ap-check" <<-'EOF'
	#!/bin/sh
	echo "$@" >/run/apctl/ap-check.args
	cat >/run/apctl/ap-check.stdin
	[ -e /run/apctl/ap-check.refuses ] && { echo "APQN 5.4 is not free" >&2; exit 1; }
	echo $PPID >/run/lock/s390apconfig.lock.tmp && ln /run/lock/s390apconfig.lock.tmp /run/lock/s390apconfig.lock
	rm -f /run/lock/s390apconfig.lock.tmp
	EOF
	chmod 755 "$SBX/usr/lib/mdevctl/scripts.d/callouts/ap-check"
	f=$(def_file manual assign_adapter=5 assign_domain=4)
	run -0 inside "mdevctl start -u $U1 -p matrix --jsonfile $f"
	assert_equal "$(cat "$SBX/run/apctl/ap-check.args")" \
		"-t vfio_ap-passthrough -e pre -a start -s none -u $U1 -p matrix"
	assert_equal "$(jq -c .attrs "$SBX/run/apctl/ap-check.stdin")" \
		'[{"assign_adapter":"5"},{"assign_domain":"4"}]'
	assert_equal "$(mattr $U1 matrix)" "05.0004"
	[ ! -e "$SBX/$LOCK" ]
	# ap-check refuses: its words, and nothing is written
	touch "$SBX/run/apctl/ap-check.refuses"
	f=$(def_file manual assign_adapter=6 assign_domain=4)
	run inside "mdevctl start -u $U2 -p matrix --jsonfile $f"
	assert_failure
	assert_output --partial "APQN 5.4 is not free"
	[ ! -e "$SBX/$MATRIX/$U2" ]
	# ap-check agrees, apctl refuses: apctl's words, and the lock ap-check took is let go
	rm "$SBX/run/apctl/ap-check.refuses"
	f=$(def_file manual assign_adapter=5 assign_domain=4)
	run inside "mdevctl start -u $U2 -p matrix --jsonfile $f"
	assert_failure
	assert_output --partial "$U1"
	[ ! -e "$SBX/$MATRIX/$U2" ]
	[ ! -e "$SBX/$LOCK" ]
	# show --boot models it: ap-check's rules come first (control domains alone)
	f=$(def_file auto assign_control_domain=4)
	apctl --root "$SBX" reserve --adapters 5,6 --persistent-only >/dev/null 2>&1
	mkdir -p "$SBX/etc/mdevctl.d/matrix"
	cp "$f" "$SBX/etc/mdevctl.d/matrix/$U3"
	run -0 apctl --root "$SBX" show --boot
	assert_output --partial "callout ap-apctl refuses: ap-check: At least one usage domain must be specified"
}

# The rules a start meets, each with the kernel's verdict from the spec:
# GENERATION SETUP ATTRS... -> ok or refused.
@test "for every rule a start meets, the callout answers as the kernel does" {
	local cases=(
		# shared with another mdev: EADDRINUSE (ap-check sees it too)
		"6.19|mdev|assign_adapter=5 assign_domain=4|refused"
		# held by the host's drivers: EADDRINUSE
		"6.19|none|assign_adapter=7 assign_domain=4|refused"
		# control domains alone: the kernel takes them (ap-check refuses)
		"6.19|none|assign_control_domain=4|ok"
		"5.10|none|assign_control_domain=4|ok"
		# above the maximum ID: ENODEV (ap-check misses it)
		"6.19|none|assign_adapter=5 assign_domain=0x100|refused"
		# before 6.0, an APQN with no queue bound to vfio_ap: EADDRNOTAVAIL (ap-check misses it)
		"5.10|none|assign_adapter=5 assign_domain=9|refused"
		"5.10|none|assign_adapter=5 assign_domain=4|ok"
		# 6.0 and later take an APQN whose queue is not there (hot plug)
		"6.19|none|assign_adapter=5 assign_domain=9|ok"
		# an ap_config string of 6.10 and later, with the APQN of another mdev
		# (three masks, digits left-aligned: adapter 5, domain 4, no control domain)
		"6.19|mdev|ap_config=0x04,0x08,|refused"
		"6.19|none|ap_config=0x04,0x08,|ok"
	)
	local c gen setup attrs want got plain
	for c in "${cases[@]}"; do
		IFS='|' read -r gen setup attrs want <<<"$c"
		SBX=$BATS_TEST_TMPDIR/s-$RANDOM
		apctl sandbox create "$SBX" --kernel "$gen" >/dev/null
		apctl --root "$SBX" reserve --adapters 5,6 >/dev/null 2>&1
		[ "$setup" = mdev ] && apctl --root "$SBX" mdev create $U1 --adapters 5 --domains 4 >/dev/null
		# shellcheck disable=SC2086
		f=$(def_file manual $attrs)
		# without the callout: mdevctl's writes, answered by the emulated kernel
		cp -a "$SBX" "$SBX.plain"
		plain=ok
		"$APCTL" sandbox run "$SBX.plain" -- mdevctl start -u $U2 -p matrix --jsonfile "$f" \
			>/dev/null 2>&1 || plain=refused
		install_callout
		got=ok
		run "$APCTL" sandbox run "$SBX" -- mdevctl start -u $U2 -p matrix --jsonfile "$f"
		[ "$status" = 0 ] || got=refused
		[ "$got" = "$want" ] || fail "$gen $setup $attrs: the callout says $got, the kernel $want: $output"
		[ "$plain" = "$want" ] || fail "$gen $setup $attrs: the emulated kernel says $plain, the spec $want"
		if [ "$got" = refused ]; then
			assert_output --partial "ap-apctl: "
			[ ! -e "$SBX/$MATRIX/$U2" ]
		fi
	done
}
