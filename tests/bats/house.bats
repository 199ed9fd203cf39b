#!/usr/bin/env bats
# The house checker (tests/check-house, run on the sources among the unit
# tests) is a test too: it must fail on what it is there to find. Each case
# is made on a copy of the sources.

load helpers

SRC=$BATS_TEST_DIRNAME/../..

copy_tree() {
	TREE=$BATS_TEST_TMPDIR/tree
	mkdir -p "$TREE"
	cp -r "$SRC/lib" "$SRC/src" "$TREE/"
}

@test "a product file that includes a sandbox header fails, named" {
	copy_tree
	sed -i 's/#include "engine.h"/#include "engine.h"\n#include "sandbox.h"/' "$TREE/src/engine.c"
	run -0 sh "$SRC/tests/check-house" "$TREE"
	assert_line --regexp "^not ok "
	assert_output --partial "# src/engine.c includes the sandbox's src/sandbox/sandbox.h: only the command floor may"
	# the command floor may
	copy_tree
	run -0 sh "$SRC/tests/check-house" "$TREE"
}

@test "modules that include each other fail, the sandbox's too" {
	copy_tree
	sed -i 's/#include "tree.h"/#include "sandbox.h"\n#include "tree.h"/' "$TREE/src/sandbox/tree.c"
	run -0 sh "$SRC/tests/check-house" "$TREE"
	assert_line --regexp "^not ok "
	assert_output --partial "input contains a loop"
}
