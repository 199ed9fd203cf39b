#!/usr/bin/env bats
# apctl watch in the background while a script changes a sandbox through apctl
# and through programs that sandbox run serves (echo, mdevctl): every change
# appears once, in order, with the guests it affects; SIGINT and SIGTERM end
# it cleanly. The expected lines are written here from what each step does to
# the kernel document's host, not from apctl's output.

load helpers

U1=62177883-f1bb-47f0-914d-32a22e3a8804
U2=cef03c3c-903d-4ecc-9a83-40694cb8aee4

inside() {
	"$APCTL" sandbox run "$SBX" -- sh -c "$1"
}

# Starts watch on $SBX in the background (its output in $OUT), with options.
start_watch() {
	OUT=$BATS_TEST_TMPDIR/watch.out
	"$APCTL" --root "$SBX" watch "$@" >"$OUT" 2>"$OUT.err" &
	WATCH=$!
	# watch follows what comes after it starts: wait until it does, that is
	# until it has the sandbox's events file open (or, before there is one,
	# its inotify watch), or a plain root open
	local i want=/apctl-sandbox.d/events
	[ -e "$SBX/apctl-sandbox.d/events" ] || want=inotify
	[ -e "$SBX/apctl-sandbox.d" ] || want=
	for ((i = 0; i < 200; i++)); do
		if [ -n "$want" ]; then
			ls -l "/proc/$WATCH/fd" 2>/dev/null | grep -q -- "$want\$" && break
		else
			[ -e "/proc/$WATCH/fd/3" ] && break
		fi
		sleep 0.05
	done
}

# Ends watch with a signal; it must exit 0.
stop_watch() {
	sleep 0.3
	kill "-${1:-INT}" "$WATCH"
	wait "$WATCH" || fail "watch exited $? on SIG${1:-INT}: $(cat "$OUT.err")"
}

teardown() {
	[ -z "${WATCH:-}" ] || kill -9 "$WATCH" 2>/dev/null || true
}

# watch's lines without their times
changes() {
	cut -d' ' -f2- "$OUT"
}

@test "every change through apctl, echo and mdevctl appears once, in order, with the guests it affects" {
	command -v mdevctl >/dev/null || fail "mdevctl is not installed (Debian: mdevctl)"
	make_sandbox
	start_watch
	apctl --root "$SBX" sandbox host offline --apqns 05.0047 >/dev/null
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null 2>&1
	apctl --root "$SBX" mdev create "$U1" --adapters 5 --domains 4,0xab >/dev/null
	apctl --root "$SBX" sandbox attach "$U1" --guest web
	inside "echo 6 > /sys/devices/vfio_ap/matrix/$U1/assign_adapter"
	apctl --root "$SBX" sandbox host checkstop --adapters 6 >/dev/null
	apctl --root "$SBX" sandbox host deconfigure --adapters 6 >/dev/null
	inside "mdevctl define -u $U2 -p matrix -t vfio_ap-passthrough &&
		mdevctl modify -u $U2 --addattr=assign_adapter --value=5 &&
		mdevctl modify -u $U2 --addattr=assign_domain --value=0x47 &&
		mdevctl start -u $U2" >/dev/null
	apctl --root "$SBX" mdev unassign "$U1" --domains 0xab >/dev/null
	apctl --root "$SBX" sandbox detach "$U1"
	apctl --root "$SBX" mdev remove "$U1" "$U2" >/dev/null
	stop_watch
	run -0 changes
	assert_output "queues are set offline: adapter 5 x domain 0x47
apmask is 0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff: adapters 5,6 leave the host
queues are bound to vfio_ap (were cex4queue's): adapters 5,6 x domains 4,0x47,0xab,0xff
mdev $U1 is created: adapters none, domains none, control domains none
mdev $U1: adapters 5 assigned
mdev $U1: domains 4,0xab assigned
mdev $U1 is in use by guest web
guest web (mdev $U1) gains adapter 5 x domains 4,0xab
mdev $U1: adapters 6 assigned
guest web (mdev $U1) gains adapter 6 x domains 4,0xab
card 06 is checkstopped
the host's AP configuration loses adapters 6
card 06 is configured off
guest web (mdev $U1) loses adapter 6 x domains 4,0xab
mdev $U2 is created: adapters none, domains none, control domains none
mdev $U2: adapters 5 assigned
mdev $U2: domains 0x47 assigned
mdev $U1: domains 0xab unassigned
guest web (mdev $U1) loses adapter 5 x domain 0xab
mdev $U1 is no longer in use by guest web
guest web (mdev $U1) loses adapter 5 x domain 4
mdev $U1 is removed
mdev $U2 is removed"
}

@test "--json: a JSON line per change, the guests' APQNs listed; SIGTERM ends it" {
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null 2>&1
	apctl --root "$SBX" mdev create "$U1" --adapters 5,6 --domains 4 >/dev/null
	start_watch --json
	apctl --root "$SBX" sandbox attach "$U1" --guest db
	apctl --root "$SBX" mdev assign "$U1" --domains 0xab >/dev/null 2>&1
	stop_watch TERM
	run -0 jq -c '[.seq, .event, .kind, .object, .guest, .apqns]' "$OUT"
	local s1 s2
	s1=$(jq -s '.[0].seq' "$OUT")
	s2=$((s1 + 1))
	assert_output "[$s1,\"mdev_attached\",\"mdev\",\"$U1\",\"db\",null]
[$s1,\"guest_gains\",\"mdev\",\"$U1\",\"db\",[\"05.0004\",\"06.0004\"]]
[$s2,\"mdev_assigned\",\"mdev\",\"$U1\",null,null]
[$s2,\"guest_gains\",\"mdev\",\"$U1\",\"db\",[\"05.00ab\",\"06.00ab\"]]"
	# every line is one object with a time and a text
	run -0 jq -c 'select((.time_ms | type) != "number" or (.text | type) != "string")' "$OUT"
	assert_output ""
}

@test "the AP bus's delayed rebinding appears when the emulated bus makes it, not with the mask write" {
	make_sandbox --rebind-delay 700
	start_watch
	apctl --root "$SBX" reserve --adapters 5 --no-wait >/dev/null 2>&1
	sleep 0.2
	run -0 changes
	assert_output "apmask is 0xfbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff: adapters 5 leave the host"
	sleep 1
	stop_watch
	run -0 changes
	assert_line --index 1 "queues are bound to vfio_ap (were cex4queue's): adapter 5 x domains 4,0x47,0xab,0xff"
}

@test "a full events file is rotated, and watch follows it to the new one" {
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5 >/dev/null 2>&1
	# more than the file may hold, of lines watch has seen already
	local line
	line=$(head -1 "$SBX/apctl-sandbox.d/events")
	yes "$line" | head -c 1100000 >"$SBX/apctl-sandbox.d/events.big"
	printf '%s\n' "$line" >>"$SBX/apctl-sandbox.d/events.big"
	mv "$SBX/apctl-sandbox.d/events.big" "$SBX/apctl-sandbox.d/events"
	start_watch
	apctl --root "$SBX" release --adapters 5 >/dev/null 2>&1
	apctl --root "$SBX" sandbox host checkstop --adapters 6 >/dev/null
	stop_watch
	[ -s "$SBX/apctl-sandbox.d/events.old" ]
	[ "$(wc -c <"$SBX/apctl-sandbox.d/events")" -lt 4096 ]
	run -0 changes
	assert_output "apmask is 0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff: adapters 5 come back to the host
queues are bound to cex4queue (were vfio_ap's): adapter 5 x domains 4,0x47,0xab,0xff
card 06 is checkstopped"
}

@test "a root without an emulated kernel is read again every --interval and what differs is said" {
	make_sandbox
	local plain=$BATS_TEST_TMPDIR/plain
	mkdir "$plain"
	cp -a "$SBX/sys" "$plain/sys"
	SBX=$plain start_watch --interval 1
	sleep 0.3
	echo 0 >"$plain/sys/devices/ap/card06/config"
	echo 0 >"$plain/sys/devices/ap/card06/06.0004/config"
	sleep 1.5
	stop_watch
	run -0 changes
	assert_output "card 06 is configured off"
	run -2 apctl --root "$plain" watch --interval x
	assert_output --partial "x"
}
