#!/usr/bin/env bats
# The Ansible module apctl_config with ansible-core: the example playbook run
# against an inventory of three hosts (local connection, each with a sandbox
# of its own as apctl's root).

load helpers

ANSIBLE_DIR=$BATS_TEST_DIRNAME/../../ansible

setup() {
	command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (Debian: ansible-core)"
	export ANSIBLE_LIBRARY=$ANSIBLE_DIR/library ANSIBLE_LOCAL_TEMP=$BATS_TEST_TMPDIR/ansible
	export ANSIBLE_REMOTE_TEMP=$BATS_TEST_TMPDIR/ansible ANSIBLE_HOME=$BATS_TEST_TMPDIR/ansible
	# the recap on stdout; each host's result as JSON in $TREE (the tree callback)
	TREE=$BATS_TEST_TMPDIR/tree
	export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_CALLBACKS_ENABLED=tree
	export ANSIBLE_CALLBACK_TREE_DIR=$TREE
	export ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
	# the apctl under test, for the module on the "managed" hosts
	PATH=$(cd "$(dirname "$APCTL")" && pwd):$PATH
	INV=$BATS_TEST_TMPDIR/inventory.yml
	local h
	for h in zhost1 zhost2 zhost3; do
		apctl sandbox create "$BATS_TEST_TMPDIR/$h" >/dev/null
	done
	# the example inventory, each host on the local connection with its own sandbox
	/usr/bin/python3 - "$ANSIBLE_DIR/examples/inventory.yml" "$INV" "$BATS_TEST_TMPDIR" <<'EOF'
import sys, yaml
inv = yaml.safe_load(open(sys.argv[1]))
for name, h in inv["all"]["hosts"].items():
    h["ansible_connection"] = "local"
    h["apctl_root"] = sys.argv[3] + "/" + name
yaml.safe_dump(inv, open(sys.argv[2], "w"))
EOF
}

# Runs the example playbook; its output (and recap) in $output.
playbook() {
	rm -rf "$TREE"
	run ansible-playbook -i "$INV" "$ANSIBLE_DIR/examples/playbook.yml" "$@"
}

# Each host with changed= and failed= of the recap: "zhost1 1 0 zhost2 ...".
stats() {
	sed -n 's/^\(zhost[0-9]\) *: .*changed=\([0-9]*\) .*failed=\([0-9]*\) .*/\1 \2 \3/p' <<<"$output" | xargs
}

# What the module returned on host $1, through jq filter $2.
result() {
	jq -c "$2" "$TREE/$1"
}

@test "the first run changes every host, a second none; the hosts have their configuration" {
	playbook
	assert_success
	assert_equal "$(stats)" "zhost1 1 0 zhost2 1 0 zhost3 1 0"
	assert_equal "$(result zhost1 '.written')" true
	playbook
	assert_success
	assert_equal "$(stats)" "zhost1 0 0 zhost2 0 0 zhost3 0 0"
	run -0 apctl --root "$BATS_TEST_TMPDIR/zhost2" show --json
	assert_equal "$(json -c '[.mdevs[] | [.uuid, (.matrix | join(","))]]')" \
		'[["cef03c3c-903d-4ecc-9a83-40694cb8aee4","05.0047,05.00ff"]]'
	[ -e "$BATS_TEST_TMPDIR/zhost2/etc/mdevctl.d/matrix/cef03c3c-903d-4ecc-9a83-40694cb8aee4" ]
	[ -e "$BATS_TEST_TMPDIR/zhost2/etc/udev/rules.d/41-ap.rules" ]
}

@test "check mode writes nothing and says what would change; diff mode shows before and after" {
	local before
	before=$(tree_digest "$BATS_TEST_TMPDIR/zhost1")
	playbook --check --diff
	assert_success
	assert_equal "$(stats)" "zhost1 1 0 zhost2 1 0 zhost3 1 0"
	assert_equal "$(tree_digest "$BATS_TEST_TMPDIR/zhost1")" "$before"
	assert_equal "$(result zhost1 '[.written, (.plan.writes | length > 0)]')" '[false,true]'
	# the diff: apctl export before, the configuration after
	assert_line -- "--- before"
	assert_line -- '-    "mdevs": [],'
	assert_line --regexp '^\+ +"uuid": "62177883-f1bb-47f0-914d-32a22e3a8804"$'
}

@test "a configuration refused on one host fails that host and no other" {
	# on zhost3, 06.0047 is taken by an mdev the configuration does not name
	apctl --root "$BATS_TEST_TMPDIR/zhost3" reserve --adapters 6 >/dev/null 2>&1
	apctl --root "$BATS_TEST_TMPDIR/zhost3" mdev create --adapters 6 --domains 0x47 >/dev/null
	playbook
	assert_failure
	assert_equal "$(stats)" "zhost1 1 0 zhost2 1 0 zhost3 0 1"
	assert_equal "$(result zhost3 '.msg' | grep -c 'apctl plan refused')" 1
	assert_equal "$(result zhost3 '.conflicts[0].apqn')" '"06.0047"'
	run -0 apctl --root "$BATS_TEST_TMPDIR/zhost3" show --json
	assert_equal "$(json '.mdevs | length')" 1
}
