# The kernel's rules for apmask/aqmask and vfio_ap mdevs, written from the
# behaviour reference (kernel-ap-sysfs.md, sections 3.1 to 3.6) for the tests
# alone, without anything of apctl's lib/: the oracle that apctl's predictions
# and its sandbox's answers are held against.
#
# Input: {"state": STATE, "op": OP}, where STATE is read from a sandbox's files
# (see oracle.bats) and OP is the apctl command: {"kind": "create" | "assign" |
# "unassign" | "remove" | "reserve" | "release", "uuid", "a", "d", "c"}.
# Output: "ok", the errno name of the first write the kernel refuses, or
# "exit 2" (apctl refuses the IDs) and "exit 3" (no such mdev). For a change of
# an mdev, the writes are the ones apctl makes: create, then one ap_config
# write where the kernel has it (6.10) and more than one ID changes (or the
# mdev is new), else one assign_* or unassign_* per ID, adapters first,
# control domains, domains last.

include "kernel-rules";

.op as $op
| .state | state | . as $s
| if ($op.kind == "assign" or $op.kind == "unassign" or $op.kind == "remove")
     and index_of($op.uuid) == null then "exit 3"
  elif ($op.kind == "reserve" or $op.kind == "release")
     and (any($op.a[]; . > $s.max_a) or any($op.d[]; . > $s.max_d)) then "exit 2"
  elif $op.kind == "reserve" or $op.kind == "remove" then "ok"
  elif $op.kind == "release" then
	# apmask is written first; the aqmask check sees the new apmask (6.0 to 6.18)
	(if ($op.a | length) > 0 then release(true; $op.a) else "ok" end) as $ra
	| if $ra != "ok" then $ra
	  elif ($op.d | length) > 0 then (.apmask = (.apmask + $op.a | unique)) | release(false; $op.d)
	  else "ok" end
  elif $op.kind == "create" then
	if index_of($op.uuid) != null then "EEXIST"
	else (.mdevs += [{ uuid: $op.uuid, apm: [], aqm: [], adm: [] }])
	| matrix_change($op.uuid; $op; true; true) end
  else matrix_change($op.uuid; $op; $op.kind == "assign"; false)
  end
