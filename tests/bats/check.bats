#!/usr/bin/env bats
# apctl check: each finding made on a sandbox and found, with its severity and
# the monitoring plugins' exit status, and its printed fix run to make the
# host clean again; a clean host is OK. --prometheus is read by the Prometheus
# project's own parser of the text format (python3-prometheus-client), which
# is evidence from outside apctl.

load helpers

U1=62177883-f1bb-47f0-914d-32a22e3a8804
U2=cef03c3c-903d-4ecc-9a83-40694cb8aee4

# The demo host with guests' crypto set up to last: domains 0x47 and 0xab
# reserved (not the default domain 4), an autostart mdev of them on adapters 5
# and 6 in use by guest "web".
clean_host() {
	make_sandbox
	apctl --root "$SBX" reserve --domains 0x47,0xab --persistent >/dev/null
	apctl --root "$SBX" mdev create "$U1" --adapters 5,6 --domains 0x47,0xab \
		--persistent --autostart >/dev/null
	apctl --root "$SBX" sandbox attach "$U1" --guest web
}

# check's exit status and the code of each finding, "SEVERITY kind object code"
findings() {
	run apctl --root "$SBX" check --json
	CODES=$(jq -r '.findings[] | "\(.severity) \(.kind) \(.object) \(.code)"' <<<"$output")
}

# Runs every fix check prints, then expects the host clean.
run_fixes() {
	local fix
	while IFS= read -r fix; do
		# each fix is a command line to paste: apctl, chzcrypt, modprobe
		run bash -c "PATH=$(dirname "$APCTL"):\$PATH; $fix"
		[ "$status" = 0 ] || fail "fix '$fix' failed ($status): $output"
	done < <(apctl --root "$SBX" check --json | jq -r '.findings[].fix // empty')
	run -0 apctl --root "$SBX" check
	assert_line --index 0 --regexp '^APCTL OK - '
}

@test "a clean host: OK, exit 0, the plugin's status line and no findings" {
	clean_host
	run -0 apctl --root "$SBX" check
	assert_output "APCTL OK - 2 adapters, 1 mdev, 1 in use: no findings | critical=0;;;0 warning=0;;;0 unknown=0;;;0"
	run -0 apctl --root "$SBX" check --json
	assert_equal "$(jq -c '[.status, .exit_status, .counts, .findings]' <<<"$output")" \
		'["ok",0,{"warning":0,"critical":0,"unknown":0},[]]'
}

@test "a card configured off or checkstopped under a guest is CRITICAL, with its guest's loss; the fix clears it" {
	clean_host
	apctl --root "$SBX" sandbox host deconfigure --adapters 6 >/dev/null
	findings
	assert_equal "$status" 2
	assert_equal "$CODES" "critical card 06 card_configured_off
critical mdev $U1 guest_lacks_apqns"
	run -2 apctl --root "$SBX" check
	assert_line --index 0 "APCTL CRITICAL - 2 critical: card 06 configured off, mdev $U1 guest lacks APQNs | critical=2;;;0 warning=0;;;0 unknown=0;;;0"
	assert_line "CRITICAL mdev $U1: guest web lacks 2 of the 4 APQNs of its matrix: 06.0047,06.00ab: adapter 6 is configured off (its card's config reads 0); it joins the guest when it is configured on"
	assert_line "  fix: apctl --root $SBX sandbox host configure --adapters 6"
	run_fixes

	apctl --root "$SBX" sandbox host checkstop --adapters 5 >/dev/null
	findings
	assert_equal "$status" 2
	assert_equal "$CODES" "critical card 05 card_checkstopped"
	run_fixes
}

@test "without a guest, a card's trouble is a WARNING; zcrypt's offline never touches guests" {
	clean_host
	apctl --root "$SBX" sandbox detach "$U1"
	apctl --root "$SBX" sandbox host checkstop --adapters 5 >/dev/null
	findings
	assert_equal "$status" 1
	assert_equal "$CODES" "warning card 05 card_checkstopped"
	run_fixes
	apctl --root "$SBX" sandbox attach "$U1"
	apctl --root "$SBX" sandbox host offline --adapters 6 >/dev/null
	apctl --root "$SBX" sandbox host offline --apqns 05.0004 >/dev/null
	findings
	assert_equal "$status" 1
	assert_equal "$CODES" "warning card 06 card_offline
warning apqn 05.0004 queue_offline"
	run_fixes
}

@test "what runs and what persists apart: masks, mdevs, definitions, autostart; each fix makes them one" {
	clean_host
	apctl --root "$SBX" reserve --domains 0xff >/dev/null 2>&1
	apctl --root "$SBX" mdev create "$U2" --adapters 5 --domains 0xff >/dev/null
	apctl --root "$SBX" mdev assign "$U1" --control-domains 0x47 >/dev/null
	findings
	assert_equal "$status" 1
	assert_equal "$CODES" "warning mask aqmask mask_not_persistent
warning mdev $U1 definition_differs
warning mdev $U2 mdev_not_defined"
	run_fixes
	apctl --root "$SBX" mdev stop "$U2" >/dev/null
	findings
	assert_equal "$CODES" "warning definition $U2 autostart_not_running"
	run_fixes
	# back to what the file says: released at once, reserved at the next boot
	apctl --root "$SBX" mdev remove "$U2" --persistent >/dev/null
	apctl --root "$SBX" release --domains 0xff >/dev/null
	findings
	assert_equal "$CODES" "warning mask aqmask mask_not_persistent"
	run_fixes
}

@test "the next boot that would not start an autostart definition, and files apctl cannot read" {
	clean_host
	# the rule no longer reserves domain 0xab: the boot gives it to the host first
	run -4 apctl --root "$SBX" release --domains 0xab --persistent-only
	apctl --root "$SBX" release --domains 0xab --persistent-only --force >/dev/null 2>&1
	findings
	assert_equal "$status" 1
	assert_equal "$CODES" "warning mask aqmask mask_not_persistent
warning definition $U1 boot_start_fails"
	jq -e '.findings[1].reason | test("^the next boot would not start it: writing 171 to assign_domain: EADDRNOTAVAIL: APQN 05.00ab belongs to the host")' <<<"$output"
	run_fixes

	echo '{ "mdev_type": "vfio_ap-passthrough", "start": "auto", "attrs": [ {' >"$SBX/$DEFS/$U2"
	findings
	assert_equal "$status" 1
	grep -q "^warning definition $U2 definition_unreadable$" <<<"$CODES"
	rm "$SBX/$DEFS/$U2"
	echo 'ATTR{../../bus/ap/apmask}="0xZZ"' >"$SBX/$RULE"
	findings
	assert_equal "$status" 1
	assert_equal "$(head -1 <<<"$CODES")" "warning file 41-ap.rules file_unreadable"
}

@test "a change killed midway is CRITICAL until 'apctl recover'; a stale lock is a WARNING" {
	clean_host
	APCTL_TEST_KILL_AFTER_WRITE=1 run apctl --root "$SBX" reserve --adapters 7 --domains 0x10
	assert_equal "$status" 137
	findings
	assert_equal "$status" 2
	assert_equal "$CODES" "critical file run/apctl/journal change_interrupted
warning mask apmask mask_not_persistent"
	jq -e '.findings[0].fix == "apctl --root '"$SBX"' recover"' <<<"$output"
	run -0 apctl --root "$SBX" recover
	findings
	assert_equal "$status" 0
	# a lock whose process is gone
	mkdir -p "$SBX/run/lock"
	sleep 0.01 &
	wait $!
	echo $! >"$SBX/run/lock/s390apconfig.lock"
	findings
	assert_equal "$status" 1
	assert_equal "$CODES" "warning file run/lock/s390apconfig.lock lock_stale"
	run_fixes
	[ ! -e "$SBX/run/lock/s390apconfig.lock" ]
	# a live holder is no finding
	hold_lock
	run -0 apctl --root "$SBX" check
	let_go_lock
}

@test "the default domain given away, and vfio_ap missing while definitions wait" {
	clean_host
	apctl --root "$SBX" reserve --domains 4 >/dev/null 2>&1
	findings
	assert_equal "$status" 1
	assert_equal "$CODES" "warning domain 4 default_domain_given_away
warning mask aqmask mask_not_persistent"
	run -1 apctl --root "$SBX" check
	assert_line "  fix: apctl --root $SBX release --domains 4"
	apctl --root "$SBX" release --domains 4 >/dev/null 2>&1
	# held by an mdev, it is no release away
	apctl --root "$SBX" reserve --domains 4 --persistent >/dev/null 2>&1
	apctl --root "$SBX" mdev assign "$U1" --domains 4 --persistent >/dev/null 2>&1
	findings
	assert_equal "$CODES" "warning domain 4 default_domain_given_away"
	[ "$(jq '.findings[0].fix' <<<"$output")" = null ]
	# vfio_ap unloaded: its driver and matrix device are gone (the guest let go first)
	apctl --root "$SBX" sandbox detach "$U1"
	apctl --root "$SBX" mdev stop "$U1" >/dev/null
	rm -rf "$SBX/sys/bus/ap/drivers/vfio_ap" "$SBX/sys/devices/vfio_ap" "$SBX/sys/bus/mdev" \
		"$SBX/sys/class/mdev_bus"
	findings
	assert_equal "$status" 2
	grep -q "^critical module vfio_ap vfio_ap_not_loaded$" <<<"$CODES"
}

@test "exit 3 UNKNOWN: a root that cannot be read, a bad command line" {
	run -3 --separate-stderr apctl --root "$BATS_TEST_TMPDIR/none" check
	assert_line --index 0 "APCTL UNKNOWN - root $BATS_TEST_TMPDIR/none: no such directory"
	run -3 apctl check --bogus
	run -3 --separate-stderr apctl check --bogus --json
	assert_equal "$(jq -r .error <<<"$output")" usage
	make_sandbox
	run -3 apctl --root "$SBX" check --json --prometheus
}

@test "--prometheus: the Prometheus project's parser reads every family, with the host's facts" {
	clean_host
	apctl --root "$SBX" sandbox host deconfigure --adapters 6 >/dev/null
	run -2 apctl --root "$SBX" check --prometheus
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/metrics.prom"
	# Debian's python3, with Debian's python3-prometheus-client
	run -0 /usr/bin/python3 -c '
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
seen = set()
for fam in text_string_to_metric_families(text):
    assert fam.type == "gauge", fam
    assert fam.name not in seen, fam.name
    seen.add(fam.name)
    for s in fam.samples:
        labels = ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
        print("%s{%s} %g" % (s.name, labels, s.value))
' "$BATS_TEST_TMPDIR/metrics.prom"
	assert_line "apctl_check_status{} 2"
	assert_line "apctl_findings{severity=critical} 2"
	assert_line "apctl_findings_by_code{code=card_configured_off,severity=critical} 1"
	assert_line "apctl_card_config{card=06,mode=Accelerator,type=CEX5A} 0"
	assert_line "apctl_card_online{card=05,mode=CCA-Coproc,type=CEX5C} 1"
	assert_line "apctl_queue_online{apqn=06.0047,driver=vfio_ap} 0"
	assert_line "apctl_queue_online{apqn=06.0004,driver=cex4queue} 0"
	assert_line "apctl_queue_online{apqn=05.0004,driver=cex4queue} 1"
	assert_line "apctl_mdev_matrix_apqns{guest=web,uuid=$U1} 4"
	assert_line "apctl_mdev_guest_apqns{guest=web,uuid=$U1} 2"
	assert_line "apctl_mdev_in_use{guest=web,uuid=$U1} 1"
}
