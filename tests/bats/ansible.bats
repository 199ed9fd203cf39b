#!/usr/bin/env bats
# The Ansible collection apctl.ap with Debian's ansible-core: built and
# installed with ansible-galaxy, its documentation rendered by ansible-doc and
# held against the modules' argument specs, and the example playbook run
# against an inventory of three hosts (local connection, each with a sandbox
# of its own as apctl's root), as the README's rehearsal has it.

load helpers

U1=62177883-f1bb-47f0-914d-32a22e3a8804
ANSIBLE_DIR=$BATS_TEST_DIRNAME/../../ansible
COLLECTION=$ANSIBLE_DIR/collection

setup_file() {
	command -v ansible-galaxy >/dev/null || {
		echo "ansible-core is not installed (Debian: ansible-core)" >&2
		return 1
	}
	export ANSIBLE_HOME=$BATS_FILE_TMPDIR/ansible ANSIBLE_COLLECTIONS_PATH=$BATS_FILE_TMPDIR/collections
	ansible-galaxy collection build "$COLLECTION" --output-path "$BATS_FILE_TMPDIR" >/dev/null
	ansible-galaxy collection install "$BATS_FILE_TMPDIR"/apctl-ap-*.tar.gz \
		-p "$ANSIBLE_COLLECTIONS_PATH" >/dev/null
}

setup() {
	export ANSIBLE_HOME=$BATS_FILE_TMPDIR/ansible ANSIBLE_COLLECTIONS_PATH=$BATS_FILE_TMPDIR/collections
	export ANSIBLE_LOCAL_TEMP=$BATS_TEST_TMPDIR/ansible ANSIBLE_REMOTE_TEMP=$BATS_TEST_TMPDIR/ansible
	# the recap on stdout; each host's last result as JSON in $TREE (the tree callback)
	TREE=$BATS_TEST_TMPDIR/tree
	export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_CALLBACKS_ENABLED=tree
	export ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_LOCALHOST_WARNING=0
	export ANSIBLE_CALLBACK_TREE_DIR=$TREE
	# the apctl under test, for the modules on the "managed" hosts
	PATH=$(cd "$(dirname "$APCTL")" && pwd):$PATH
	local h
	for h in zhost1 zhost2 zhost3; do
		apctl sandbox create "$BATS_TEST_TMPDIR/rehearsal/$h" >/dev/null
	done
	# the rehearsal inventory, its sandboxes under this test's directory
	SANDBOXES=$BATS_TEST_TMPDIR/inventory-sandboxes.yml
	sed "s|/tmp/rehearsal|$BATS_TEST_TMPDIR/rehearsal|" "$ANSIBLE_DIR/examples/inventory-sandboxes.yml" \
		>"$SANDBOXES"
}

# Runs the example playbook on the rehearsal inventory; its output in $output.
playbook() {
	rm -rf "$TREE"
	run ansible-playbook -i "$ANSIBLE_DIR/examples/inventory.yml" -i "$SANDBOXES" \
		"$ANSIBLE_DIR/examples/playbook.yml" "$@"
}

# Each host with changed= and failed= of the recap: "zhost1 1 0 zhost2 ...".
stats() {
	sed -n 's/^\(zhost[0-9]\) *: .*changed=\([0-9]*\) .*failed=\([0-9]*\) .*/\1 \2 \3/p' <<<"$output" | xargs
}

# What the last module returned on host $1, through jq filter $2.
result() {
	jq -c "$2" "$TREE/$1"
}

@test "the collection builds and installs; ansible-doc renders both modules, their options as their argument specs" {
	local m
	for m in apctl_config apctl_info; do
		run -0 ansible-doc apctl.ap.$m
		assert_output --partial "APCTL.AP.${m^^}"
		assert_output --partial "EXAMPLES:"
	done
	# each module's documented options, types and defaults against its ARGUMENT_SPEC
	# (with Debian's python3, which has ansible)
	run -0 /usr/bin/python3 - "$ANSIBLE_COLLECTIONS_PATH" <<-'EOF'
	import importlib, sys, yaml
	sys.path.insert(0, sys.argv[1])
	for name in ("apctl_config", "apctl_info"):
	    m = importlib.import_module("ansible_collections.apctl.ap.plugins.modules." + name)
	    doc = yaml.safe_load(m.DOCUMENTATION)["options"]
	    spec = m.ARGUMENT_SPEC
	    assert set(doc) == set(spec), (name, sorted(doc), sorted(spec))
	    for o, d in doc.items():
	        assert d["type"] == spec[o]["type"], (name, o)
	        assert d.get("default") == spec[o].get("default"), (name, o)
	    for part in ("EXAMPLES", "RETURN"):
	        yaml.safe_load(getattr(m, part))
	    print(name, "ok")
	EOF
	assert_output "apctl_config ok
apctl_info ok"
}

@test "yamllint and pycodestyle find nothing in the collection and the examples" {
	run -0 yamllint -d '{extends: default, rules: {line-length: {max: 100}}}' \
		"$COLLECTION" "$ANSIBLE_DIR/examples"
	run -0 pycodestyle --max-line-length=100 "$COLLECTION/plugins"
}

@test "the first run changes every host, a second none; the hosts have their configuration" {
	playbook
	assert_success
	assert_equal "$(stats)" "zhost1 1 0 zhost2 1 0 zhost3 1 0"
	assert_equal "$(result zhost1 '.written')" true
	playbook
	assert_success
	assert_equal "$(stats)" "zhost1 0 0 zhost2 0 0 zhost3 0 0"
	run -0 apctl --root "$BATS_TEST_TMPDIR/rehearsal/zhost2" show --json
	assert_equal "$(json -c '[.mdevs[] | [.uuid, (.matrix | join(","))]]')" \
		'[["cef03c3c-903d-4ecc-9a83-40694cb8aee4","05.0047,05.00ff"]]'
	[ -e "$BATS_TEST_TMPDIR/rehearsal/zhost2/etc/mdevctl.d/matrix/cef03c3c-903d-4ecc-9a83-40694cb8aee4" ]
	[ -e "$BATS_TEST_TMPDIR/rehearsal/zhost2/etc/udev/rules.d/41-ap.rules" ]
}

@test "check mode writes nothing and shows the diff that the real run then shows and makes" {
	local before check
	before=$(tree_digest "$BATS_TEST_TMPDIR/rehearsal/zhost1")
	playbook --check --diff
	assert_success
	assert_equal "$(stats)" "zhost1 1 0 zhost2 1 0 zhost3 1 0"
	assert_equal "$(tree_digest "$BATS_TEST_TMPDIR/rehearsal/zhost1")" "$before"
	assert_equal "$(result zhost1 '[.written, (.verdict.writes | length > 0)]')" '[false,true]'
	assert_line -- "--- before"
	assert_line -- '-    "mdevs": [],'
	assert_line --regexp '^\+ +"uuid": "62177883-f1bb-47f0-914d-32a22e3a8804",?$'
	# the diff is the plan's configuration before and after
	check=$(result zhost1 '[.verdict.before, .verdict.after]')
	[ "$(jq '.[1].mdevs | length' <<<"$check")" = 1 ]
	# the real run: the same diff, and the host exports what it said after (a
	# consistency check of apctl's prediction against its own export)
	playbook --diff
	assert_success
	assert_line -- '-    "mdevs": [],'
	assert_equal "$(result zhost1 '[.verdict.before, .verdict.after]')" "$check"
	run -0 apctl --root "$BATS_TEST_TMPDIR/rehearsal/zhost1" export
	assert_equal "$(jq -cS . <<<"$output")" "$(jq -cS '.[1]' <<<"$check")"
}

@test "a host whose change the kernel would refuse fails with the conflicts and their fixes; the others go on" {
	local sbx=$BATS_TEST_TMPDIR/rehearsal/zhost3
	# on zhost3, 06.0047 is taken by an mdev the configuration does not name
	apctl --root "$sbx" reserve --adapters 6 >/dev/null 2>&1
	apctl --root "$sbx" mdev create $U1 --adapters 6 --domains 0x47 >/dev/null
	playbook
	assert_failure
	assert_equal "$(stats)" "zhost1 1 0 zhost2 1 0 zhost3 0 1"
	run -0 result zhost3 '.msg'
	assert_output --partial "the kernel would refuse the change with EADDRINUSE: 06.0047 assigned to mdev $U1"
	assert_output --partial "(run: apctl --root $sbx mdev unassign $U1 --domains 0x47)"
	refute_output --regexp "/tmp/[^ ]*\.json|ansible"
	assert_equal "$(result zhost3 '[.conflicts[0].apqn, .verdict.ok, .written]')" '["06.0047",false,false]'
	run -0 apctl --root "$sbx" show --json
	assert_equal "$(json '.mdevs | length')" 1
	# a configuration apctl cannot read: its words, naming the key, no file name
	run ansible localhost -m apctl.ap.apctl_config \
		-a '{"root": "'"$sbx"'", "config": {"version": 1, "mdevs": [{"uuid": "bad"}]}}'
	assert_failure
	assert_output --partial "config: mdevs[0].uuid: 'bad' is not a UUID"
}

@test "apctl_info's facts decide with when:, and change nothing" {
	# zhost2 has no adapter 5 or 6: its configuration is left out by the playbook's when
	rm -rf "$BATS_TEST_TMPDIR/rehearsal/zhost2"
	apctl sandbox create "$BATS_TEST_TMPDIR/rehearsal/zhost2" --adapters 0x0a --domains 4 >/dev/null
	playbook
	assert_success
	assert_equal "$(stats)" "zhost1 1 0 zhost2 0 0 zhost3 1 0"
	assert_line --partial "zhost2 has no adapter 5: left alone"
	# the facts as apctl gives them
	run -0 ansible localhost -m apctl.ap.apctl_info -a "root=$BATS_TEST_TMPDIR/rehearsal/zhost1 boot=true"
	assert_output --partial '"changed": false'
	assert_output --partial '"show": {'
	assert_output --partial '"config": {'
	assert_output --partial '"boot": {'
}
