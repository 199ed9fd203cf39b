#!/usr/bin/env bats
# The guest's side of an mdev: apctl mdev guest prints what gives it to a
# guest, and libvirt's own tools accept it (virt-xml-validate from Debian's
# libvirt-clients, and virsh on libvirt's test driver).

load helpers

U1=62177883-f1bb-47f0-914d-32a22e3a8804
U2=cef03c3c-903d-4ecc-9a83-40694cb8aee4

setup() {
	command -v virt-xml-validate >/dev/null || fail "virt-xml-validate is not installed (Debian: libvirt-clients)"
	command -v xmllint >/dev/null || fail "xmllint is not installed (Debian: libxml2-utils)"
	make_sandbox
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null 2>&1
	apctl --root "$SBX" mdev create $U1 --adapters 5,6 --domains 4,0xab --control-domains 4 \
		>/dev/null
}

# A minimal s390x domain around a hostdev element.
domain() {
	printf "<domain type='kvm'>\n  <name>%s</name>\n  <memory unit='MiB'>512</memory>\n" "$1"
	printf "  <os><type arch='s390x' machine='s390-ccw-virtio'>hvm</type></os>\n  <devices>\n"
	cat
	printf "  </devices>\n</domain>\n"
}

@test "the libvirt hostdev: valid in a domain, and a domain that has it is defined" {
	run -0 apctl --root "$SBX" mdev guest $U1
	assert_output "<hostdev mode='subsystem' type='mdev' managed='no' model='vfio-ap'>
  <source>
    <address uuid='$U1'/>
  </source>
</hostdev>"
	domain guest1 <<<"$output" >"$BATS_TEST_TMPDIR/domain.xml"
	run -0 virt-xml-validate "$BATS_TEST_TMPDIR/domain.xml" domain
	run -0 virsh -c test:///default define "$BATS_TEST_TMPDIR/domain.xml"
	assert_output --partial "Domain 'guest1' defined"
}

@test "the libvirt node device: valid, its attributes in the order they are written" {
	run -0 apctl --root "$SBX" mdev guest $U1 --format nodedev
	echo "$output" >"$BATS_TEST_TMPDIR/nodedev.xml"
	run -0 virt-xml-validate "$BATS_TEST_TMPDIR/nodedev.xml" nodedev
	assert_equal "$(xmllint --xpath '//attr/@name' "$BATS_TEST_TMPDIR/nodedev.xml" | xargs)" \
		"name=assign_adapter name=assign_adapter name=assign_domain name=assign_domain name=assign_control_domain"
	assert_equal "$(xmllint --xpath 'string(/device/capability/uuid)' "$BATS_TEST_TMPDIR/nodedev.xml")" $U1
	assert_equal "$(xmllint --xpath '//attr/@value' "$BATS_TEST_TMPDIR/nodedev.xml" | xargs)" \
		"value=0x05 value=0x06 value=0x0004 value=0x00ab value=0x0004"
}

@test "the QEMU argument, JSON of all three, and an mdev that is only defined" {
	run -0 apctl --root "$SBX" mdev guest $U1 --format qemu
	assert_output "-device vfio-ap,sysfsdev=/sys/devices/vfio_ap/matrix/$U1,id=ap-$U1"
	# a manual definition of an mdev that does not run
	run -0 apctl --root "$SBX" mdev create $U2 --adapters 5 --domains 0x47 --persistent-only
	run -0 apctl --root "$SBX" --json mdev guest $U1 $U2
	assert_equal "$(json -c '[.[] | [.uuid, (keys | join(","))]]')" \
		"[[\"$U1\",\"hmp,id,libvirt,nodedev,qemu,qmp,uuid\"],[\"$U2\",\"hmp,id,libvirt,nodedev,qemu,qmp,uuid\"]]"
	assert_equal "$(json -r '.[1].nodedev' | xmllint --xpath '//attr/@value' - | xargs)" \
		"value=0x05 value=0x0047"
	# two mdevs for one QEMU: two arguments, one line
	run -0 apctl --root "$SBX" mdev guest $U1 $U2 --format qemu
	assert_output "-device vfio-ap,sysfsdev=/sys/devices/vfio_ap/matrix/$U1,id=ap-$U1 -device vfio-ap,sysfsdev=/sys/devices/vfio_ap/matrix/$U2,id=ap-$U2"
}

@test "hot plug and unplug through QEMU's monitor: HMP lines and QMP commands, for one mdev and two" {
	run -0 apctl --root "$SBX" mdev guest $U1 --format hmp
	assert_output "device_add vfio-ap,sysfsdev=/sys/devices/vfio_ap/matrix/$U1,id=ap-$U1
device_del ap-$U1"
	run -0 apctl --root "$SBX" mdev guest $U1 --format hmp --id hostdev0
	assert_output "device_add vfio-ap,sysfsdev=/sys/devices/vfio_ap/matrix/$U1,id=hostdev0
device_del hostdev0"
	run -0 apctl --root "$SBX" mdev create $U2 --adapters 5 --domains 0x47 --persistent-only
	run -0 apctl --root "$SBX" mdev guest $U1 $U2 --format hmp
	assert_equal "$(grep -c '^device_add vfio-ap,' <<<"$output")" 2
	assert_line --index 2 "device_add vfio-ap,sysfsdev=/sys/devices/vfio_ap/matrix/$U2,id=ap-$U2"
	# QMP: a command per line, as qmp-shell and socat take them
	run -0 apctl --root "$SBX" mdev guest $U1 $U2 --format qmp
	assert_equal "${#lines[@]}" 4
	assert_equal "$(jq -c '[.execute, .arguments.driver, .arguments.sysfsdev, .arguments.id]' <<<"${lines[0]}")" \
		"[\"device_add\",\"vfio-ap\",\"/sys/devices/vfio_ap/matrix/$U1\",\"ap-$U1\"]"
	assert_equal "$(jq -c . <<<"${lines[3]}")" "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"ap-$U2\"}}"
	# an id QEMU would refuse, or one id for two devices
	run -2 apctl --root "$SBX" mdev guest $U1 --format hmp --id 0dev
	assert_output --partial "'0dev' is not a QEMU device id"
	run -2 apctl --root "$SBX" mdev guest $U1 $U2 --format hmp --id hostdev0
	assert_output --partial "--id 'hostdev0' names one device, and 2 mdevs are given"
}

@test "what is not there or not a format is refused" {
	run -3 apctl --root "$SBX" mdev guest $U2
	assert_output "apctl: mdev guest: no mdev (running or defined) $U2 under $SBX; 'apctl --root $SBX mdev list' lists them"
	run -2 apctl --root "$SBX" mdev guest $U1 --format xml
	assert_output --partial "'xml' is not a format: libvirt, nodedev, qemu, hmp or qmp"
	run -2 apctl --root "$SBX" mdev guest nope
	assert_output --partial "'nope' is not a UUID"
}

@test "a guest named in a sandbox is shown, in JSON, and in refusals" {
	run -0 apctl --root "$SBX" sandbox attach $U1 --guest guest1
	run -0 apctl --root "$SBX" show $U1
	assert_line "  $U1  in use by guest guest1"
	run -0 apctl --root "$SBX" --json mdev list
	assert_equal "$(json -c '.[0] | [.in_use, .guest]')" \
		'[true,{"pid":null,"name":"guest1","device":"/dev/vfio/0","iommufd":false}]'
	run -0 apctl --root "$SBX" mdev list
	assert_line --regexp "^$U1 .* guest1 +-$"
	run -4 apctl --root "$SBX" mdev remove $U1
	assert_line --partial "removing mdev $U1: in use by guest guest1;"
	run -4 apctl --root "$SBX" release --adapters 5
	assert_line "  mdev $U1 (in use by guest guest1):"
	run -0 apctl --root "$SBX" sandbox detach $U1
	run -0 apctl --root "$SBX" show --json
	assert_equal "$(json -c '.mdevs[0] | [.in_use, .guest]')" '[false,null]'
	run -2 apctl --root "$SBX" sandbox attach $U1 --guest "a b"
}

@test "on a host, the process that holds the mdev's vfio device is named, and its guest" {
	local host=$BATS_TEST_TMPDIR/host
	apctl --root "$SBX" sandbox attach $U1 >/dev/null
	# a root that is a system, not a sandbox: its sys with an IOMMU group 7, a QEMU in its proc
	mkdir -p "$host/proc/4242/fd" "$host/proc/77/fd" "$host/proc/self"
	cp -a "$SBX/sys" "$host/"
	ln -sfn ../../../../kernel/iommu_groups/7 "$host/$MATRIX/$U1/iommu_group"
	rm -r "$host/$MATRIX/$U1/vfio-dev"
	ln -s /dev/null "$host/proc/77/fd/0"
	ln -s /dev/vfio/vfio "$host/proc/4242/fd/8"
	ln -s /dev/vfio/7 "$host/proc/4242/fd/9"
	printf '%s\0' /usr/bin/qemu-system-s390x -name guest=vm1,debug-threads=on -m 512 \
		>"$host/proc/4242/cmdline"
	run -0 apctl --root "$host" show --json
	assert_equal "$(json -c '.sandbox, (.mdevs[0] | [.in_use, .guest])' | xargs)" \
		'false [true,{pid:4242,name:vm1,device:/dev/vfio/7,iommufd:false}]'
	run -0 apctl --root "$host" show $U1
	assert_line "  $U1  in use by guest vm1 (pid 4242)"
	assert_line "     held through     /dev/vfio/7 (VFIO group)"
	# a process that is not QEMU is named by its pid
	printf '%s\0' /usr/bin/sleep 100 >"$host/proc/4242/cmdline"
	run -0 apctl --root "$host" show $U1
	assert_line "  $U1  in use by process 4242"
	run -0 apctl --root "$host" mdev list
	assert_line --regexp "^$U1 .* pid 4242 +-$"
	# iommufd: QEMU holds the mdev's own device file (vfio-dev/vfioN), not its group's
	rm "$host/proc/4242/fd/9"
	mkdir -p "$host/$MATRIX/$U1/vfio-dev/vfio3"
	ln -s /dev/iommu "$host/proc/4242/fd/9"
	ln -s /dev/vfio/devices/vfio3 "$host/proc/4242/fd/10"
	printf '%s\0' /usr/bin/qemu-system-s390x -name guest=vm2 >"$host/proc/4242/cmdline"
	run -0 apctl --root "$host" show $U1
	assert_line "  $U1  in use by guest vm2 (pid 4242)"
	assert_line "     held through     /dev/vfio/devices/vfio3 (iommufd)"
	run -0 apctl --root "$host" mdev list
	assert_line --regexp "^$U1 .* vm2 +-$"
	# another device's file is not this mdev's
	rm "$host/proc/4242/fd/10"
	ln -s /dev/vfio/devices/vfio4 "$host/proc/4242/fd/10"
	run -0 apctl --root "$host" show $U1
	refute_line --partial "vm2"
}

# The sandbox's VFIO files as the kernel makes them: a group per mdev (vfio_ap's
# emulated IOMMU, iommu_group_alloc()) and, from 6.6, the device file of
# vfio-dev/vfioN; both numbered lowest free first, as the kernel's IDAs do.
@test "sandbox attach emulates a guest through the VFIO group or through iommufd" {
	apctl --root "$SBX" mdev create $U2 --adapters 5 --domains 0x47 >/dev/null
	assert_equal "$(readlink "$SBX/$MATRIX/$U2/iommu_group")" ../../../../kernel/iommu_groups/1
	assert_equal "$(readlink -f "$SBX/sys/kernel/iommu_groups/1/devices/$U2")" \
		"$(readlink -f "$SBX/$MATRIX/$U2")"
	assert_equal "$(cat "$SBX/$MATRIX/$U2/vfio-dev/vfio1/uevent")" \
		"$(printf 'MAJOR=240\nMINOR=1\nDEVNAME=vfio/devices/vfio1')"
	run -0 apctl --root "$SBX" sandbox attach $U2 --guest g2 --iommufd
	run -0 apctl --root "$SBX" sandbox attach $U1 --guest g1
	run -0 apctl --root "$SBX" show $U2
	assert_line "     held through     /dev/vfio/devices/vfio1 (iommufd)"
	run -0 apctl --root "$SBX" --json mdev list
	assert_equal "$(json -c '[.[] | .guest | [.name, .device, .iommufd]]')" \
		'[["g1","/dev/vfio/0",false],["g2","/dev/vfio/devices/vfio1",true]]'
	# a removed mdev's group and device file go; the next create gets the lowest free
	run -0 apctl --root "$SBX" sandbox detach $U1
	run -0 apctl --root "$SBX" mdev remove $U1
	assert [ ! -e "$SBX/sys/kernel/iommu_groups/0" ]
	run -0 apctl --root "$SBX" mdev create $U1 --adapters 6 --domains 4
	assert_equal "$(readlink "$SBX/$MATRIX/$U1/iommu_group")" ../../../../kernel/iommu_groups/0
	assert [ -d "$SBX/$MATRIX/$U1/vfio-dev/vfio0" ]
	run -1 apctl --root "$SBX" sandbox attach $U2
	assert_output --partial "already in use by a guest"
}

@test "before 6.6 an mdev has no device file for iommufd, and a guest uses its group" {
	make_sandbox --kernel 6.5
	apctl --root "$SBX" reserve --adapters 5,6 >/dev/null 2>&1
	apctl --root "$SBX" mdev create $U1 --adapters 5 --domains 4 >/dev/null
	assert [ -L "$SBX/$MATRIX/$U1/iommu_group" ]
	assert [ ! -e "$SBX/$MATRIX/$U1/vfio-dev" ]
	run -1 apctl --root "$SBX" sandbox attach $U1 --iommufd
	assert_output "apctl: sandbox attach: kernel 6.5 makes no device file of mdev $U1 for iommufd (/dev/vfio/devices/, since 6.6): a guest uses its VFIO group"
	run -0 apctl --root "$SBX" show --json
	assert_equal "$(json -c '.mdevs[0] | [.in_use, .guest]')" '[false,null]'
	run -0 apctl --root "$SBX" sandbox attach $U1
	run -0 apctl --root "$SBX" show --json
	assert_equal "$(json -c '.mdevs[0].guest')" '{"pid":null,"name":null,"device":"/dev/vfio/0","iommufd":false}'
}

@test "a change that takes queues from a running guest names it and them" {
	apctl --root "$SBX" sandbox attach $U1 --guest guest1
	run -0 --separate-stderr apctl --root "$SBX" mdev unassign $U1 --domains 0xab
	use_stderr
	assert_line "apctl: warning: guest guest1 of mdev $U1 now loses 2 APQNs: adapters 5,6 x domain 0xab"
	# the JSON verdict says it too, in a dry run as in a run
	run -0 --separate-stderr apctl --root "$SBX" --json mdev unassign $U1 --adapters 6 --dry-run
	assert_equal "$(json -c '.guest_losses')" "[{\"mdev\":\"$U1\",\"guest\":\"guest1\",\"apqns\":[\"06.0004\"]}]"
	# a mask edit that the kernel refuses, forced: the guest loses nothing
	run -1 --separate-stderr apctl --root "$SBX" --json release --adapters 6 --force
	assert_equal "$(json -c '.guest_losses')" '[]'
	# what leaves no guest short says nothing
	run -0 --separate-stderr apctl --root "$SBX" --json mdev assign $U1 --domains 0xab
	assert_equal "$(json -c '.guest_losses')" '[]'
}

# A domain (valid for libvirt's schema, which virt-xml-validate checks) with
# the CPU element $1, and the hostdev of mdev $2 unless it is empty.
domain_with() {
	local f=$BATS_TEST_TMPDIR/dom.xml
	{
		[ -z "$2" ] || apctl --root "$SBX" mdev guest "$2"
	} | sed '1,$s/^/    /' | domain guest1 >"$f"
	[ -z "$1" ] || sed -i "s|  <devices>|  $1\n  <devices>|" "$f"
	virt-xml-validate "$f" domain >/dev/null || fail "not a valid domain: $(cat "$f")"
	echo "$f"
}

@test "--domain: host-model and host-passthrough give the AP features; a named model only those asked for" {
	local f feats="<feature policy='require' name='ap'/><feature policy='require' name='apqci'/><feature policy='require' name='apft'/><feature policy='require' name='apqi'/>"
	for cpu in "<cpu mode='host-model'/>" "<cpu mode='host-passthrough'/>" "" \
		"<cpu mode='custom' match='exact'><model fallback='forbid'>z13</model>$feats</cpu>"; do
		f=$(domain_with "$cpu" $U1)
		run -0 apctl --root "$SBX" mdev guest $U1 --domain "$f"
		assert_line --index 0 "Domain guest1 gives its guest the APQNs of mdev $U1"
		assert_line "  hostdev  present"
	done
	run -0 apctl --root "$SBX" --json mdev guest $U1 --domain "$f"
	assert_equal "$(json -c '.[0] | [.domain, .hostdev, .cpu_mode, .cpu_model, .features, .gets_apqns, .findings]')" \
		'["guest1",true,"custom","z13",{"ap":true,"apqci":true,"apft":true,"apqi":true},true,[]]'
	# z13 alone: the guest sees no AP devices
	f=$(domain_with "<cpu mode='custom' match='exact'><model fallback='forbid'>z13</model></cpu>" $U1)
	run -4 apctl --root "$SBX" mdev guest $U1 --domain "$f"
	assert_line "  CPU      custom, model z13: ap off, apqci off, apft off, apqi off"
	assert_line "  - its CPU model z13 (mode custom) lacks the AP features ap, apqci, apft, apqi: a named model has them only where the domain asks for them"
}

@test "--domain: a feature turned off is named, a missing hostdev has its fix; each fix mends the domain" {
	local f
	f=$(domain_with "<cpu mode='host-model'><feature policy='disable' name='apft'/></cpu>" "")
	run -4 apctl --root "$SBX" mdev guest $U1 --domain "$f"
	assert_line "  hostdev  missing"
	assert_line "  - its CPU turns AP features off: apft (policy 'disable')"
	assert_line "    fix: apctl --root $SBX mdev guest $U1 > hostdev.xml && virsh attach-device guest1 hostdev.xml --config"
	run -4 apctl --root "$SBX" --json mdev guest $U1 --domain - <"$f"
	assert_equal "$(json -c '[.[0].findings[].code]')" '["no_hostdev","cpu_feature_off"]'
	# the hostdev fix, with libvirt's own tools: define, add the hostdev as the fix says
	apctl --root "$SBX" mdev guest $U1 >"$BATS_TEST_TMPDIR/hostdev.xml"
	sed -i "s|name='apft'/>|name='apft'/>|; s|policy='disable'|policy='require'|" "$f"
	sed -i "s|  <devices>|  <devices>\n$(sed 's/$/\\n/' "$BATS_TEST_TMPDIR/hostdev.xml" | tr -d '\n')|" "$f"
	virt-xml-validate "$f" domain >/dev/null
	run -0 virsh -c test:///default "define $f; dumpxml guest1 --inactive"
	echo "$output" | sed -n '/^<domain/,$p' >"$BATS_TEST_TMPDIR/dumped.xml"
	run -0 apctl --root "$SBX" mdev guest $U1 --domain "$BATS_TEST_TMPDIR/dumped.xml"
	echo "not XML" >"$BATS_TEST_TMPDIR/text"
	run -2 apctl --root "$SBX" mdev guest $U1 --domain "$BATS_TEST_TMPDIR/text"
	assert_output --partial "is not a libvirt domain: it is not XML"
	run -2 apctl --root "$SBX" mdev guest $U1 --domain "$f" --format qemu
}
