# Shared set-up of the bats tests: the apctl under test, sandboxes in the test's
# temporary directory, and a few checks.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

# the apctl under test: the one built beside the tests unless $APCTL says
: "${APCTL:=$BATS_TEST_DIRNAME/../../apctl}"

apctl() {
	"$APCTL" "$@"
}

# The rounds a randomized test plays (or a test of kills or faults at every
# point, its cases): all of them, or APCTL_TEST_ROUNDS percent
# where a stage runs the suite again for what it adds (tests/run-all's stage
# under AddressSanitizer and UndefinedBehaviorSanitizer). Every round is still
# checked; the mix a test demands of its rounds (so many refusals of each
# kind) is asked of all of them only.
rounds() {
	echo $((($1 * ${APCTL_TEST_ROUNDS:-100} + 99) / 100))
}

all_rounds() {
	[ "${APCTL_TEST_ROUNDS:-100}" -ge 100 ]
}

# The demo sandbox (the kernel document's host), or one made with the given
# options, at a new $SBX.
make_sandbox() {
	SBX=$(mktemp -u "$BATS_TEST_TMPDIR/sbx.XXXXXX")
	run -0 apctl sandbox create "$SBX" "$@"
}

# find(1) tests that leave out the numbers of the mdevs' VFIO groups and device
# files, which follow the order the mdevs were made in (as the kernel's do).
VFIO_NUMBERED=(! -path '*sys/kernel/iommu_groups/*' ! -name iommu_group ! -path '*/vfio-dev*')

# A digest of a whole tree: names, types, modes, link targets and contents,
# but the record of what the emulated kernel's stores changed (for apctl
# watch: a history, not a state). Two trees with the same digest are
# byte-identical but for that.
tree_digest() {
	(
		cd "$1" || exit 1
		find . \( -path ./apctl-sandbox.d/events -o -path ./apctl-sandbox.d/events.old \) \
			-prune -o -printf '%p %y %m %l\n' | LC_ALL=C sort
		find . \( -path ./apctl-sandbox.d/events -o -path ./apctl-sandbox.d/events.old \) \
			-prune -o -type f -exec sha256sum {} + | LC_ALL=C sort
	) | sha256sum | cut -d' ' -f1
}

# JSON from the last `run`, through jq.
json() {
	jq -r "$@" <<<"$output"
}

# The tree of $SBX was edited by hand: the emulated kernel, which otherwise
# works from its memory, is to read it again.
hand_edited() {
	rm -f "$SBX/apctl-sandbox.d/memory"
}

# Hands the APQNs of the given adapter to vfio_ap by editing the tree directly,
# the way the kernel leaves it after `echo -ID > apmask`; for tests of reading
# state that no apctl command has written.
hand_adapter_to_vfio() {
	local a=$1 hex q
	hex=$(printf '%02x' "$a")
	for q in "$SBX"/sys/devices/ap/card"$hex"/"$hex".*; do
		q=${q##*/}
		rm -f "$SBX/sys/bus/ap/drivers/cex4queue/$q" "$SBX/sys/devices/ap/card$hex/$q/driver" \
			"$SBX/sys/devices/ap/card$hex/$q/online" "$SBX/sys/devices/ap/card$hex/$q/load"
		ln -s "../../../../devices/ap/card$hex/$q" "$SBX/sys/bus/ap/drivers/vfio_ap/$q"
		ln -s ../../../../bus/ap/drivers/vfio_ap "$SBX/sys/devices/ap/card$hex/$q/driver"
		echo unassigned >"$SBX/sys/devices/ap/card$hex/$q/status"
	done
	hand_edited
}

# Writes an mdev into the tree by hand: UUID, matrix lines, guest_matrix lines,
# control domains lines, and whether a guest uses it (1) for the emulated
# kernel, which keeps its mdevs newest last; with "-" the emulated kernel does
# not know it, and apctl learns from the queues' status as on a live system.
hand_mdev() {
	local uuid=$1 matrix=$2 guest=$3 cdoms=$4 attached=${5:-0} d
	d=$SBX/sys/devices/vfio_ap/matrix/$uuid
	mkdir -p "$d"
	printf '%b' "$matrix" >"$d/matrix"
	printf '%b' "$guest" >"$d/guest_matrix"
	printf '%b' "$cdoms" >"$d/control_domains"
	ln -s "../../../devices/vfio_ap/matrix/$uuid" "$SBX/sys/bus/mdev/devices/$uuid"
	if [ "$attached" != - ]; then
		echo "$uuid attached=$attached" >>"$SBX/apctl-sandbox.d/mdevs"
	fi
	hand_edited
}

# Writes to the sandbox as a process would, through the emulated kernel.
kwrite() {
	apctl --root "$SBX" sandbox write "$@"
}

# A digest of the sandbox without the emulated kernel's log, faults, memory (which
# it makes on its first write) and the files it parks while another driver has
# a queue: what a refused or undone change must leave as it was.
sysfs_digest() {
	(
		cd "$SBX" || exit 1
		find . \( -path ./apctl-sandbox.d/kernel.log -o -path ./apctl-sandbox.d/faults -o \
			-path ./apctl-sandbox.d/memory -o -path ./apctl-sandbox.d/parked -o \
			-path ./apctl-sandbox.d/events -o -path ./apctl-sandbox.d/events.old \) -prune -o \
			-printf '%p %y %m %l\n' | LC_ALL=C sort
		find . -path ./apctl-sandbox.d/parked -prune -o -type f ! -name kernel.log \
			! -name faults ! -name memory ! -name events ! -name events.old \
			-exec sha256sum {} + | LC_ALL=C sort
	) | sha256sum | cut -d' ' -f1
}

ALL_ONES=0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff

# The driver of a queue, by its driver link.
driver_of() {
	local q=$1
	basename "$(readlink "$SBX/sys/bus/ap/devices/$q/driver")"
}

# After `run --separate-stderr`: assert on stderr as on output.
use_stderr() {
	output=$stderr
	lines=("${stderr_lines[@]}")
}

TYPE_DIR=sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough
MATRIX=sys/devices/vfio_ap/matrix
# the persistent configuration under a root: mdevctl's definitions, chzdev's rule
DEFS=etc/mdevctl.d/matrix
RULE=etc/udev/rules.d/41-ap.rules

# Creates an mdev by a direct write to the sandbox's create attribute:
# [-n] UUID.
kcreate() {
	if [ "$1" = -n ]; then
		kwrite -n "$TYPE_DIR/create" "$2"
	else
		kwrite "$TYPE_DIR/create" "$1"
	fi
}

# Writes an mdev attribute directly: UUID ATTRIBUTE [-n] VALUE.
kattr() {
	local uuid=$1 attr=$2
	shift 2
	if [ "$1" = -n ]; then
		kwrite -n "$MATRIX/$uuid/$attr" "$2"
	else
		kwrite "$MATRIX/$uuid/$attr" "$1"
	fi
}

# An mdev attribute's content on one line, words separated by spaces.
mattr() {
	xargs <"$SBX/$MATRIX/$1/$2"
}

# Removes a queue device by hand, as if the queue stopped answering.
drop_queue() {
	local q=$1 card=card${1%%.*} drv
	drv=$(driver_of "$q")
	rm -f "$SBX/sys/bus/ap/devices/$q" "$SBX/sys/bus/ap/drivers/$drv/$q"
	rm -rf "$SBX/sys/devices/ap/$card/$q"
	hand_edited
}

# A live process holds the sandbox's AP configuration lock, as chzdev would
# while it works; $HOLDER is its PID.
hold_lock() {
	mkdir -p "$SBX/run/lock"
	sleep 60 &
	HOLDER=$!
	disown "$HOLDER"
	echo "$HOLDER" >"$SBX/run/lock/s390apconfig.lock"
}

let_go_lock() {
	kill "$HOLDER" 2>/dev/null || true
	rm -f "$SBX/run/lock/s390apconfig.lock"
}

# A directory that every user can reach, outside the test's temporary
# directory (which bats makes for root alone, as it may be under /root too):
# for what the tests run as another user. others_cleanup removes it.
others_dir() {
	# named after the test's own directory: callers run in a subshell
	local d
	d=/tmp/apctl-others.$(printf '%s' "$BATS_TEST_TMPDIR" | md5sum | cut -c1-16)
	mkdir -p "$d" && chmod 755 "$d"
	echo "$d"
}

# The apctl under test, copied where another user can run it; its path.
apctl_for_others() {
	local d
	d=$(others_dir)
	install -m 755 "$APCTL" "$d/apctl"
	echo "$d/apctl"
}

others_cleanup() {
	local d
	d=$(others_dir)
	# a mount left by a failed test first
	! mountpoint -q "$d/mnt" 2>/dev/null || umount -l "$d/mnt"
	rm -rf "$d"
}

# The environment of a program run under strace: LeakSanitizer does not work
# under ptrace, so an ASan build checks no leaks there (the rest of the suite does).
untraced_leaks() {
	echo "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
}
