# The kernel's rules for apmask/aqmask and vfio_ap mdevs (6.0 and later),
# written from the behaviour reference (kernel-ap-sysfs.md, sections 3.1 to
# 3.6) for the tests alone, without anything of apctl's lib/: what the
# oracles (oracle.jq, boot-oracle.jq) hold apctl against. Definitions only.

# ---- reading the files ----

def hexval: if . <= 57 then . - 48 elif . >= 97 then . - 87 else . - 55 end;

# "0x" + up to 64 hex digits, ID 0 in the leftmost bit, as a sorted list of IDs
def mask_ids:
	ltrimstr("0x") | rtrimstr("\n") | explode | to_entries
	| [.[] | .key as $k | (.value | hexval) as $v | range(0; 4) as $b
	   | select(($v / pow(2; 3 - $b) | floor) % 2 == 1) | $k * 4 + $b];

def hexnum: explode | reduce .[] as $c (0; . * 16 + ($c | hexval));

# the matrix file: "AA.DDDD", "AA." or ".DDDD" lines
def matrix_ids:
	split("\n") | map(select(length > 0) | split("."))
	| { apm: (map(.[0] | select(length > 0) | hexnum) | unique),
	    aqm: (map(.[1] | select(length > 0) | hexnum) | unique) };

# one mdev: ap_config where there is one, else matrix and control_domains
def mdev:
	if .ap_config then
		(.ap_config | rtrimstr("\n") | split(",") | map(mask_ids)) as $m
		| { uuid, apm: $m[0], aqm: $m[1], adm: $m[2] }
	else
		(.matrix | matrix_ids) + { uuid,
			adm: (.control_domains | split("\n") | map(select(length > 0) | hexnum)) }
	end;

def state:
	{ gen: .gen, max_a: .max_a, max_d: .max_d,
	  apmask: (.apmask | mask_ids), aqmask: (.aqmask | mask_ids),
	  mdevs: [.mdevs[] | mdev] };

# ---- the rules ----

def has($x): any(.[]; . == $x);
def meets($b): any(.[]; . as $x | $b | has($x));
def since($g): . as $s | ($s.gen[0] > $g[0]) or ($s.gen[0] == $g[0] and $s.gen[1] >= $g[1]);

# 3: an APQN belongs to the host's default drivers iff both mask bits are set
def default_owned($a; $d): (.apmask | has($a)) and (.aqmask | has($d));

# the matrix apm x aqm of mdev uuid is allowed: ownership, then sharing (3.2, 3.6)
def validate($uuid; $apm; $aqm):
	. as $s
	| if any($apm[]; . as $a | any($aqm[]; . as $d | $s | default_owned($a; $d)))
	  then "EADDRNOTAVAIL"
	  elif any($s.mdevs[] | select(.uuid != $uuid); (.apm | meets($apm)) and (.aqm | meets($aqm)))
	  then "EADDRINUSE"
	  else "ok" end;

def index_of($uuid): [.mdevs[].uuid] | index($uuid);
def max_of($kind): if $kind == "a" then .max_a else .max_d end;
def field($kind): if $kind == "a" then "apm" elif $kind == "d" then "aqm" else "adm" end;

# assign_*: the maximum, "already assigned", then the product (3.2 to 3.4)
def assign($uuid; $kind; $id):
	index_of($uuid) as $i | .mdevs[$i] as $m | field($kind) as $f
	| if $id > max_of($kind) then { rc: "ENODEV" }
	  elif ($m[$f] | has($id)) then { rc: "ok" }
	  else ($m | .[$f] += [$id]) as $n
	  | (if $kind == "c" then "ok" else validate($uuid; $n.apm; $n.aqm) end) as $rc
	  | { rc: $rc, state: (if $rc == "ok" then .mdevs[$i] = $n else . end) }
	  end;

# unassign_*: the maximum, then it goes (3.5)
def unassign($uuid; $kind; $id):
	index_of($uuid) as $i | field($kind) as $f
	| if $id > max_of($kind) then { rc: "ENODEV" }
	  else { rc: "ok", state: (.mdevs[$i][$f] -= [$id]) } end;

# ap_config: ownership, sharing, then the maxima (3.6)
def ap_config($uuid; $n):
	validate($uuid; $n.apm; $n.aqm) as $rc
	| if $rc != "ok" then { rc: $rc }
	  else . as $s
	  | if any($n.apm[]; . > $s.max_a) or any(($n.aqm + $n.adm)[]; . > $s.max_d)
	    then { rc: "ENODEV" }
	    else { rc: "ok", state: (.mdevs[index_of($uuid)] = ($n + { uuid: $uuid })) } end
	  end;

# writes in turn until one is refused
def writes($ws):
	reduce $ws[] as $w ({ rc: "ok", state: . };
		if .rc != "ok" then . else
			(.state | if $w.w == "assign" then assign($w.uuid; $w.k; $w.id)
				  elif $w.w == "unassign" then unassign($w.uuid; $w.k; $w.id)
				  else ap_config($w.uuid; $w.m) end) as $r
			| { rc: $r.rc, state: ($r.state // .state) }
		end) | .rc;

# the matrix of mdev uuid with the IDs of the op added (or taken away)
def edited($uuid; $op; $add):
	(.mdevs[index_of($uuid)] // { apm: [], aqm: [], adm: [] }) as $m
	| if $add then { apm: ($m.apm + $op.a | unique), aqm: ($m.aqm + $op.d | unique),
			 adm: ($m.adm + $op.c | unique) }
	  else { apm: ($m.apm - $op.a), aqm: ($m.aqm - $op.d), adm: ($m.adm - $op.c) } end;

# the IDs that really change, in apctl's order: adapters, control domains, domains
def delta($uuid; $op; $add):
	(.mdevs[index_of($uuid)] // { apm: [], aqm: [], adm: [] }) as $m
	| [ ("a", "c", "d") as $k
	    | ($op[$k] | unique)[] as $id
	    | select(($m[field($k)] | has($id)) != $add)
	    | { w: (if $add then "assign" else "unassign" end), uuid: $uuid, k: $k, id: $id } ];

def matrix_change($uuid; $op; $add; $new):
	delta($uuid; $op; $add) as $d
	| if ($d | length) == 0 then "ok"
	  elif since([6, 10]) and (($d | length) > 1 or $new)
	  then writes([{ w: "ap_config", uuid: $uuid, m: edited($uuid; $op; $add) }])
	  else writes($d) end;

# a mask write that sets bits: the in-use check (3.1 step 5)
def release($is_ap; $ids):
	. as $s
	| (if $is_ap then $s.apmask else $s.aqmask end) as $cur
	| ($ids - $cur | unique) as $new
	| if ($new | length) == 0 then "ok"
	  elif any($s.mdevs[];
		if $is_ap then (.apm | meets($new)) and
			(if $s | since([6, 19]) then (.aqm | length) > 0 else .aqm | meets($s.aqmask) end)
		else (.aqm | meets($new)) and
			(if $s | since([6, 19]) then (.apm | length) > 0 else .apm | meets($s.apmask) end)
		end)
	  then "EBUSY" else "ok" end;
