# Shared by the benchmarks (sourced): timing, peak RSS, opens, and a host of
# many mdevs. They expect $apctl, $dir (a scratch directory), $runs and $sbx.

# Milliseconds that COMMAND takes, the mean of $runs runs, with one decimal.
ms() {
	start=$(date +%s%N)
	i=0
	while [ $i -lt "$runs" ]; do
		"$@" >/dev/null 2>&1 || true
		i=$((i + 1))
	done
	end=$(date +%s%N)
	awk -v t="$((end - start))" -v n="$runs" 'BEGIN { printf "%.1f", t / n / 1e6 }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a != "n/a" && b != "n/a" && b > 0) printf "%.1fx", a / b;
		else print "n/a" }'
}

rss_kb() {
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%M' -o "$dir/rss" "$@" >/dev/null 2>&1 || true
		tail -1 "$dir/rss"
	else
		echo n/a
	fi
}

opens() {
	if command -v strace >/dev/null 2>&1; then
		strace -f -qq -e trace=open,openat,openat2 -o "$dir/trace" "$@" >/dev/null 2>&1 || true
		# strace writes a call that another thread's cut in on as two lines, the second "resumed"
		grep -vc 'resumed>' "$dir/trace"
	else
		echo n/a
	fi
}

# A sandbox of $1 adapters x $2 domains (of kernel $KERNEL, or the newest)
# with $3 mdevs of one APQN each, 8 per adapter, made by one apply.
make_host() {
	"$apctl" sandbox create "$sbx" --adapters "0-$(($1 - 1))" --domains "0-$(($2 - 1))" \
		${KERNEL:+--kernel "$KERNEL"} >/dev/null
	awk -v n="$3" 'BEGIN {
		printf "{\"version\": 1, \"adapters\": ["
		for (a = 0; a <= (n - 1) / 8; a++) printf "%s%d", a ? ", " : "", a
		printf "], \"mdevs\": ["
		for (i = 0; i < n; i++)
			printf "%s{\"uuid\": \"%08x-0000-4000-8000-000000000000\", \"adapters\": [%d], " \
				"\"domains\": [%d]}", i ? ", " : "", i + 1, int(i / 8), i % 8
		print "]}"
	}' >"$dir/cfg.json"
	"$apctl" --root "$sbx" apply "$dir/cfg.json" --no-wait >/dev/null 2>&1
	# the host on disk first: its writeback would be timed with the figures after it
	sync
}

