# The next boot, written for the tests alone from the references (kernel
# 6.0 and later, kernel-ap-sysfs.md; udev, mdevctl and ap-check, peers.md),
# without anything of apctl's src/boot.c: what apctl show --boot and apctl
# sandbox reboot are held against, beside the real mdevctl.
#
# Input: {"gen": [6, 19], "max_a", "max_d",
#   "rule": [[MASK, VALUE], ...]      the rule's assignments in order ("apmask"),
#   "defs": [{"uuid", "text"}, ...]   the definitions' files, in directory order,
#   "callout": "ap-check" or null}    the callout mdevctl runs for vfio_ap.
# Output: [apmask, aqmask (0x and 64 hex digits), [[uuid, ["AA.DDDD"...],
# [control domains]], ...] sorted]: what runs after the boot.

include "kernel-rules";

# ---- the masks: the rule's writes in turn, on all ones ----

def all_ids: [range(0; 256)];

# a number as simple_strtoul(, 0) reads it: 0x hex, 0 octal, else decimal
def strtoul:
	if test("^0[xX]") then .[2:] | ascii_downcase | explode
		| reduce .[] as $c (0; . * 16 + (if $c <= 57 then $c - 48 else $c - 87 end))
	elif test("^0") then explode | reduce .[] as $c (0; . * 8 + $c - 48)
	else tonumber end;

# one store into a mask: "+N,-N-M" edits of cur, or up to 64 hex digits (section 3.1)
def mask_store($cur):
	if test("^[+-]") then
		reduce (split(",") | .[] | select(length > 0)) as $t ($cur;
			($t[0:1]) as $sign | ($t[1:] | split("-") | map(strtoul)) as $r
			| [range($r[0]; ($r[1] // $r[0]) + 1)] as $ids
			| if $sign == "+" then (. + $ids | unique) else . - $ids end)
	else ltrimstr("0x") | mask_ids end;

def hex256:
	. as $ids | [range(0; 64) | (. * 4) as $b
		| [range(0; 4)] | map(. as $i | if ($ids | index([$b + $i])) then pow(2; 3 - $i) else 0 end)
		| add
		| if . < 10 then . + 48 else . + 87 end] | implode | "0x" + .;

# ---- mdevctl: what it loads of a definition ----

def loads: .mdev_type != null and .start != null and
	(.mdev_type | type == "string") and
	((.attrs // []) | type == "array" and all(.[]; type == "object" and length == 1 and
		(to_entries[0].value | type == "string")));

# ap-check's reading: assign_* comma lists that add up, ap_config replaces (peers.md)
def apcheck_ids:
	reduce ((.attrs // [])[] | to_entries[0]) as $e ({ apm: [], aqm: [], adm: [], d: false, c: false };
		($e.value | split(",") | map(select(length > 0) | strtoul)) as $v
		| if $e.key == "assign_adapter" then .apm += $v
		  elif $e.key == "assign_domain" then .aqm += $v | .d = .d or ($v | length > 0)
		  elif $e.key == "assign_control_domain" then .adm += $v | .c = .c or ($v | length > 0)
		  elif $e.key == "ap_config" then
			($e.value | split(",") | map(ltrimstr("0x") | mask_ids)) as $m
			| { apm: $m[0], aqm: $m[1], adm: $m[2], d: ($m[1] | length > 0),
			    c: ($m[2] | length > 0) }
		  else . end);

# ap-check refuses control domains without usage domains, and APQNs of the
# active mdevs or of the host by the masks
def apcheck($uuid; $ids):
	if ($ids.d | not) and $ids.c then false
	elif any(.mdevs[] | select(.uuid != $uuid);
		(.apm | meets($ids.apm)) and (.aqm | meets($ids.aqm))) then false
	elif (.apmask | meets($ids.apm)) and (.aqmask | meets($ids.aqm)) then false
	else true end;

# ---- the kernel's answer to each write of a start ----

def one_write($uuid; $k; $v):
	if $k == "ap_config" then
		if since([6, 10]) | not then { rc: "ENOENT" }
		else ($v | split(",") | map(ltrimstr("0x") | mask_ids)) as $m
		| ap_config($uuid; { apm: $m[0], aqm: $m[1], adm: ($m[2] // []) }) end
	elif ($k | test("^(un)?assign_(adapter|domain|control_domain)$")) then
		(if ($k | test("adapter")) then "a" elif ($k | test("control")) then "c" else "d" end) as $kind
		| ($v | strtoul) as $id
		| if ($k | startswith("assign")) then assign($uuid; $kind; $id)
		  else unassign($uuid; $kind; $id) end
	else { rc: "ENOENT" } end;

# mdevctl start: create, each attribute in turn, remove after the first refusal
def start($dfn; $callout):
	. as $s
	| ($dfn.attrs // [] | map(to_entries[0])) as $attrs
	| if $callout == "ap-check" and $dfn.mdev_type == "vfio_ap-passthrough" and
	     (apcheck($dfn.uuid; $dfn | apcheck_ids) | not) then .
	  elif $dfn.mdev_type != "vfio_ap-passthrough" then .
	  else
		(.mdevs += [{ uuid: $dfn.uuid, apm: [], aqm: [], adm: [] }])
		| reduce $attrs[] as $a ({ ok: true, s: . };
			if .ok | not then . else
				(.s | one_write($dfn.uuid; $a.key; $a.value)) as $r
				| if $r.rc == "ok" then .s = ($r.state // .s) else .ok = false end
			end)
		| if .ok then .s else $s end
	  end;

def hexpad($w): . as $n | [range($w - 1; -1; -1) as $i | ($n / pow(16; $i) | floor) % 16]
	| map("0123456789abcdef"[.:. + 1]) | add;
def apqn($a; $d): ($a | hexpad(2)) + "." + ($d | hexpad(4));

# the masks at boot: all ones, then the rule's stores in turn
def masks($rule):
	reduce $rule[] as $w ({ apmask: all_ids, aqmask: all_ids };
		.[$w[0]] as $c | .[$w[0]] = ($w[1] | mask_store($c)));

. as $in
| { gen: .gen, max_a: .max_a, max_d: .max_d, mdevs: [] } + masks(.rule)
| ([$in.defs[] | .text | try fromjson catch null]) as $defs
| if any($defs[]; type != "object" or (loads | not)) then .
  else reduce ($defs | to_entries[] | select(.value.start == "auto")) as $d (.;
	start($d.value + { uuid: $in.defs[$d.key].uuid }; $in.callout))
  end
| [(.apmask | hex256), (.aqmask | hex256),
   ([.mdevs[] | (.apm | sort) as $a | (.aqm | sort) as $q
	| [.uuid, [$a[] as $x | $q[] as $y | apqn($x; $y)], (.adm | sort)]] | sort)]
