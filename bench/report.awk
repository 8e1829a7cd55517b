# SPDX-License-Identifier: MIT
# report.awk - the benchmark report from the records of a run and the table of targets.
# Run by bench/report.sh (which says how); POSIX awk (mawk, Debian's default, and gawk).
#
#   awk -f report.awk -v mode=MODE -v tfile=TARGETS [-v chart=yes|no] TARGETS LOG
#
# MODE: md      the whole report (markdown) on stdout
#       readme  README.md's block: a summary line and the table of the rows marked readme
#       sweep   gnuplot data: level kernel region naive index (medians, NaN when missing)
#       ratios  gnuplot data: "label" measured-ratio target, for the rows marked chart=
#       check   nothing but the checks of both files
# Exit 2, with FILE:LINE: and what is wrong on stderr, when a file is malformed.
#
# The records (bench/README.md, "Records"): section measure variant round value unit,
# tab-separated; "#" lines are raw program output, kept for reference and ignored here.
# Values are paired by round: a ratio or a difference is taken within each round that
# has both variants, and the median of those is reported (never the ratio of medians,
# except for "growth", which compares two levels rather than two variants).

BEGIN {
	FS = "\t"
	bad = 0
	nrows = 0
	nerr = 0
	if (mode == "") mode = "md"
	if (mode !~ /^(md|readme|sweep|ratios|check)$/) die("report.awk: unknown mode " mode)
	num_re = "^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$"
	name_re = "^[a-z0-9_]+$"
	measure_re = "^[A-Za-z0-9_.]+(@[0-9]+)?$"
}

function die(msg) {
	printf "%s\n", msg > "/dev/stderr"
	bad = 1
	exit 2
}

function where() { return FILENAME ":" FNR ": " }

# ---- the targets ---------------------------------------------------------------------

FILENAME == tfile {
	if ($0 ~ /^[ \t]*(#|$)/) next
	n = split($0, f, "\t")
	if (n != 5) die(where() "expected 5 tab-separated fields (measure, comparison, target, show, description), got " n)
	r = ++nrows
	if (f[1] !~ /^[a-z0-9_]+\/[A-Za-z0-9_.@]+$/) die(where() "measure '" f[1] "' is not SECTION/MEASURE")
	R_sec[r] = substr(f[1], 1, index(f[1], "/") - 1)
	R_meas[r] = substr(f[1], index(f[1], "/") + 1)
	if (split(f[2], c, " ") != 2) die(where() "comparison '" f[2] "' is not KIND OPERANDS")
	R_kind[r] = c[1]
	if (c[1] == "ratio" || c[1] == "diff") {
		sep = (c[1] == "ratio") ? "/" : "-"
		if (split(c[2], o, sep) != 2 || o[1] !~ name_re || o[2] !~ name_re)
			die(where() "comparison '" f[2] "': " c[1] " takes two variants, A" sep "B")
		R_a[r] = o[1]
		R_b[r] = o[2]
	} else if (c[1] == "median" || c[1] == "completes" || c[1] == "growth") {
		if (c[2] !~ name_re) die(where() "comparison '" f[2] "': " c[1] " takes one variant")
		R_a[r] = c[2]
		R_b[r] = ""
	} else {
		die(where() "unknown comparison '" c[1] "' (ratio, diff, median, completes, growth)")
	}
	if (f[3] == "info") {
		R_op[r] = ""
	} else if (c[1] == "completes") {
		if (f[3] != "yes") die(where() "the target of 'completes' is yes (or info), not '" f[3] "'")
		R_op[r] = "completes"
	} else {
		if (split(f[3], t, " ") != 2 || t[1] !~ /^(<=|>=|<|>)$/ || t[2] !~ num_re)
			die(where() "target '" f[3] "' is not OP NUMBER (OP: <= >= < >), yes or info")
		R_op[r] = t[1]
		R_target[r] = t[2]
	}
	R_readme[r] = 0
	R_chart[r] = ""
	if (f[4] != "-") {
		ns = split(f[4], s, ",")
		for (i = 1; i <= ns; i++) {
			if (s[i] == "readme") R_readme[r] = 1
			else if (s[i] ~ /^chart=[A-Za-z0-9_.@-]+$/ && c[1] == "ratio") R_chart[r] = substr(s[i], 7)
			else die(where() "show '" s[i] "' is not readme or chart=LABEL (chart: ratio rows only)")
		}
	}
	if (f[5] == "" || f[5] ~ /\|/) die(where() "the description is empty or holds a '|'")
	if (f[5] in desc_line) die(where() "description also on line " desc_line[f[5]] ": '" f[5] "'")
	desc_line[f[5]] = FNR
	R_desc[r] = f[5]
	next
}

# ---- the records ---------------------------------------------------------------------

/^#/ || /^[ \t]*$/ { next }

{
	n = split($0, f, "\t")
	if (n != 6) die(where() "expected 6 tab-separated fields (section, measure, variant, round, value, unit), got " n)
	sec = f[1]; meas = f[2]; var = f[3]; rd = f[4]; val = f[5]; unit = f[6]
	if (sec == "meta") {
		if (meas == "error") err_text[++nerr] = val
		else meta[meas] = val
		next
	}
	if (sec !~ name_re) die(where() "section '" sec "' is not lower-case letters, digits and _")
	if (meas !~ measure_re) die(where() "measure '" meas "' is not letters, digits, _ and . with an optional @LEVEL")
	if (var !~ name_re) die(where() "variant '" var "' is not lower-case letters, digits and _")
	if (rd != "-" && (rd !~ /^[0-9]+$/ || rd + 0 < 1)) die(where() "round '" rd "' is not a positive integer or -")
	if (val !~ num_re) die(where() "value '" val "' is not a number")
	if (unit == "" || unit ~ /[ \t]/) die(where() "unit '" unit "' is empty or holds a blank")
	mk = sec SUBSEP meas
	if ((mk in unitof) && unitof[mk] != unit)
		die(where() "unit '" unit "' of " sec "/" meas ", whose earlier records say '" unitof[mk] "'")
	unitof[mk] = unit
	k = mk SUBSEP var
	if ((k, rd) in at) die(where() "a second record of " sec "/" meas " " var " in round " rd)
	at[k, rd] = val + 0
	cnt[k]++
	vals[k, cnt[k]] = val + 0
	rounds[k, cnt[k]] = rd
	ran[sec] = 1
	# The levels of MEASURE@N, for "growth" and the sweep table.
	if (meas ~ /@[0-9]+$/) {
		base = substr(meas, 1, index(meas, "@") - 1)
		lv = substr(meas, index(meas, "@") + 1) + 0
		if (!((sec, base, lv) in haslevel)) {
			haslevel[sec, base, lv] = 1
			nlev[sec, base]++
			levels[sec, base, nlev[sec, base]] = lv
		}
	}
}

# ---- statistics ------------------------------------------------------------------------

# median of a[1..n] (sorted in place), "" when n is 0
function amedian(a, n,    i, j, x) {
	if (n == 0) return ""
	for (i = 2; i <= n; i++) {
		x = a[i]
		for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]
		a[j + 1] = x
	}
	return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}

# median of every value of SEC/MEAS VAR
function med(sec, meas, var,    k, i, a) {
	k = sec SUBSEP meas SUBSEP var
	for (i = 1; i <= cnt[k]; i++) a[i] = vals[k, i]
	return amedian(a, cnt[k] + 0)
}

# median over the rounds that have both A and B of A/B (op "ratio") or A-B (op "diff")
function paired(sec, meas, va, vb, op,    ka, kb, i, rd, n, a) {
	ka = sec SUBSEP meas SUBSEP va
	kb = sec SUBSEP meas SUBSEP vb
	n = 0
	for (i = 1; i <= cnt[ka]; i++) {
		rd = rounds[ka, i]
		if (!((kb, rd) in at)) continue
		if (op == "ratio") {
			if (at[kb, rd] == 0) continue
			a[++n] = at[ka, rd] / at[kb, rd]
		} else {
			a[++n] = at[ka, rd] - at[kb, rd]
		}
	}
	return amedian(a, n)
}

# the lowest (which = "lo") or highest level of SEC/BASE@N with values of VAR
function level(sec, base, var, which,    i, lv, best) {
	best = ""
	for (i = 1; i <= nlev[sec, base]; i++) {
		lv = levels[sec, base, i]
		if (!cnt[sec SUBSEP base "@" lv SUBSEP var]) continue
		if (best == "" || (which == "lo" ? lv < best : lv > best)) best = lv
	}
	return best
}

# ---- formatting --------------------------------------------------------------------------

function unit_text(u) { return (u == "us") ? "µs" : (u == "us/req") ? "µs/req" : u }

function fmt(v, u) {
	if (v == "") return "n/a"
	if (u == "s" || u == "us/req") return sprintf("%.2f", v)
	if (u == "ms") return sprintf("%.3f", v)
	if (u ~ /^(ns|us|KiB|MiB|GiB|ops|ops\/s|ops\/cpu_s|req\/s|lines)$/) return sprintf("%.0f", v)
	return sprintf("%.4g", v)
}

function fmt_ratio(v) {
	if (v == "") return "n/a"
	if (v < 0.1) return sprintf("%.5f (1/%.0f)", v, 1 / v)
	return sprintf("%.3f", v)
}

# the median of SEC/MEAS VAR for a table cell, or how far the runs got when they ran
# out of memory (SEC/MEAS.oom), or n/a; the variant is named unless it is without/with
function cell(sec, meas, var,    u, v, ou) {
	u = unitof[sec, meas]
	if (cnt[sec SUBSEP meas SUBSEP var]) {
		v = fmt(med(sec, meas, var), u)
	} else if (cnt[sec SUBSEP meas ".oom" SUBSEP var]) {
		ou = unitof[sec, meas ".oom"]
		v = "OOM " (ou == "ops" ? "after " : "at ") fmt(med(sec, meas ".oom", var), ou) " " unit_text(ou)
	} else {
		v = "n/a"
	}
	if (var != "without" && var != "with") v = v " (" var ")"
	return v
}

function op_text(op) { return (op == "<=") ? "≤" : (op == ">=") ? "≥" : op }

# compute row r: sets C_left, C_right, C_measured (text), C_value (number or ""),
# C_target (text), C_met
function compute(r,    sec, meas, kind, a, b, u, lo, hi, x, y) {
	sec = R_sec[r]; meas = R_meas[r]; kind = R_kind[r]; a = R_a[r]; b = R_b[r]
	u = unitof[sec, meas]
	C_value = ""
	if (kind == "ratio" || kind == "diff") {
		C_left = cell(sec, meas, b)
		C_right = cell(sec, meas, a)
		C_value = paired(sec, meas, a, b, kind)
		if (kind == "ratio") {
			C_measured = fmt_ratio(C_value)
			C_target = a "/" b
		} else {
			C_measured = (C_value == "") ? "n/a" : sprintf("%+.0f %s", C_value, unit_text(u))
			C_target = a " − " b
		}
	} else if (kind == "median" || kind == "completes") {
		C_left = cell(sec, meas, "without")
		C_right = cell(sec, meas, "with")
		# a measure recorded under other variants only (frag: default, region_first,
		# none): the variant of the comparison, on the right
		if (C_left C_right == "n/an/a" && a != "without" && a != "with") {
			C_left = "—"
			C_right = cell(sec, meas, a)
		}
		if (kind == "median") {
			C_value = med(sec, meas, a)
			C_measured = (C_value == "") ? "n/a" : fmt(C_value, u) " " unit_text(u)
			C_target = a
		} else {
			C_value = cnt[sec SUBSEP meas SUBSEP a] ? 1 : 0
			C_measured = C_value ? "completes" : "did not complete"
			C_target = a " completes"
		}
	} else {
		# growth: the median at the highest level over the median at the lowest
		lo = level(sec, meas, a, "lo")
		hi = level(sec, meas, a, "hi")
		u = unitof[sec, meas "@" lo]
		x = (lo == "") ? "" : med(sec, meas "@" lo, a)
		y = (hi == "" || hi == lo) ? "" : med(sec, meas "@" hi, a)
		C_left = (x == "") ? "n/a" : fmt(x, u) " at " lo
		C_right = (y == "") ? "n/a" : fmt(y, u) " at " hi
		if (x != "" && y != "" && x != 0) C_value = y / x
		C_measured = (C_value == "") ? "n/a" : sprintf("%.3f", C_value)
		C_target = "growth"
	}
	if (!(sec in ran)) C_measured = "n/a"
	if (R_op[r] == "") {
		C_target = "— (info)"
		C_met = "—"
	} else {
		if (R_op[r] != "completes") C_target = C_target " " op_text(R_op[r]) " " R_target[r] (kind == "ratio" || kind == "growth" || u == "" ? "" : " " unit_text(u))
		if (!(sec in ran)) C_met = "not run"
		else if (C_value == "") C_met = "**no data**"
		else if (R_op[r] == "completes") C_met = C_value ? "yes" : "**no**"
		else if (R_op[r] == "<=") C_met = (C_value + 0 <= R_target[r] + 0) ? "yes" : "**no**"
		else if (R_op[r] == ">=") C_met = (C_value + 0 >= R_target[r] + 0) ? "yes" : "**no**"
		else if (R_op[r] == "<") C_met = (C_value + 0 < R_target[r] + 0) ? "yes" : "**no**"
		else C_met = (C_value + 0 > R_target[r] + 0) ? "yes" : "**no**"
	}
}

function table(readme_only,    r) {
	print "| benchmark | without | with | measured | target | met |"
	print "|---|--:|--:|--:|---|---|"
	for (r = 1; r <= nrows; r++) {
		if (readme_only && !R_readme[r]) continue
		compute(r)
		printf "| %s | %s | %s | %s | %s | %s |\n", R_desc[r], C_left, C_right, C_measured, C_target, C_met
	}
}

# "N of M targets met" over the rows (readme rows only when asked), with what was not
# (unless brief)
function summary(readme_only, brief,    r, n, m, miss, notrun) {
	n = m = notrun = 0
	miss = ""
	for (r = 1; r <= nrows; r++) {
		if ((readme_only && !R_readme[r]) || R_op[r] == "") continue
		compute(r)
		if (C_met == "not run") { notrun++; continue }
		m++
		if (C_met == "yes") n++
		else miss = miss (miss == "" ? "" : "; ") R_desc[r] " (" C_met ")"
	}
	return sprintf("%d of %d targets met%s%s", n, m, (notrun ? sprintf(", %d not run", notrun) : ""),
		(miss == "" || brief ? "" : "; not met: " gsubbed(miss)))
}

function gsubbed(s) { gsub(/\*\*/, "", s); return s }

function metav(name) { return (name in meta) ? meta[name] : "unknown" }

# ---- output ------------------------------------------------------------------------------

function sweep_levels(    i, n, lv, j, x) {
	n = nlev["region", "pair_ns"]
	for (i = 1; i <= n; i++) S_lev[i] = levels["region", "pair_ns", i]
	for (i = 2; i <= n; i++) {
		x = S_lev[i]
		for (j = i - 1; j >= 1 && S_lev[j] > x; j--) S_lev[j + 1] = S_lev[j]
		S_lev[j + 1] = x
	}
	return n + 0
}

function nan(v) { return (v == "") ? "NaN" : v }

function print_sweep_table(    n, i, lv, q, s) {
	n = sweep_levels()
	if (n == 0) { print "(not run)"; return }
	print "| free extents | maps lines (shim run) | kernel, window has room, ns | shim region-served, ns | of which index alone, ns | naive rescan, ns | region / kernel | naive / region |"
	print "|---:|---:|---:|---:|---:|---:|---:|---:|"
	for (i = 1; i <= n; i++) {
		lv = S_lev[i]
		q = paired("region", "pair_ns@" lv, "region", "kernel", "ratio")
		s = paired("region", "pair_ns@" lv, "naive", "region", "ratio")
		printf "| %d | %s | %s | %s | %s | %s | %s | %s |\n", lv, fmt(med("region", "maps@" lv, "region"), "lines"),
			fmt(med("region", "pair_ns@" lv, "kernel"), "ns"), fmt(med("region", "pair_ns@" lv, "region"), "ns"),
			fmt(med("region", "index_ns@" lv, "index"), "ns"), fmt(med("region", "pair_ns@" lv, "naive"), "ns"),
			(q == "" ? "n/a" : sprintf("%.3f", q)), (s == "" ? "n/a" : sprintf("%.0f", s))
	}
}

# "AMD EPYC, 2 cores, Linux 6.18, glibc 2.36"
function machine_short(    k) {
	k = metav("kernel")
	if (match(k, /^[0-9]+[.][0-9]+/)) k = substr(k, RSTART, RLENGTH)
	return metav("cpu") ", " metav("cores") " cores, Linux " k ", glibc " metav("glibc")
}

END {
	if (bad) exit 2
	if (nrows == 0) die(tfile ": no rows")
	if (mode == "check") exit 0
	if (mode == "sweep") {
		n = sweep_levels()
		for (i = 1; i <= n; i++) {
			lv = S_lev[i]
			printf "%d %s %s %s %s\n", lv, nan(med("region", "pair_ns@" lv, "kernel")), nan(med("region", "pair_ns@" lv, "region")),
				nan(med("region", "pair_ns@" lv, "naive")), nan(med("region", "index_ns@" lv, "index"))
		}
		exit 0
	}
	if (mode == "ratios") {
		for (r = 1; r <= nrows; r++) {
			if (R_chart[r] == "") continue
			compute(r)
			printf "\"%s\" %s %s\n", R_chart[r], nan(C_value), (R_op[r] == "" ? "NaN" : R_target[r])
		}
		exit 0
	}
	if (mode == "readme") {
		print "<!-- begin: generated by bench/report.sh (the readme table of bench/results/latest.log); edit bench/targets.tsv, not this -->"
		split(metav("load"), ld, " ")
		printf "Figures of %s (%s; load average %s at the start)%s: %s here; %s over all the rows of\n",
			substr(metav("date"), 1, 10), machine_short(), ld[1], (metav("quick") == "1" ? ", QUICK mode (rough numbers)" : ""),
			summary(1, 0), summary(0, 1)
		print "[bench/results/latest.md](bench/results/latest.md)."
		print ""
		table(1)
		print "<!-- end: generated by bench/report.sh -->"
		exit 0
	}
	# mode md
	print "# ljmm benchmarks — latest run"
	print ""
	printf "Generated by `scripts/bench.sh` on %s%s; this page is `bench/report.sh`'s reading of the records in\n", metav("date"),
		(metav("quick") == "1" ? " (QUICK mode: rough numbers)" : "")
	print "`latest.log` against `bench/targets.tsv`."
	print ""
	printf "- Machine: %s, %s cores (nproc), %s RAM\n", metav("cpu"), metav("cores"), metav("memory")
	printf "- Kernel: %s\n", metav("kernel")
	printf "- glibc: %s\n", metav("glibc_full")
	printf "- Load average at start: %s (other work on the machine adds noise)\n", metav("load")
	printf "- Shim: %s\n", metav("shim")
	printf "- Sections run: %s; total run time: %s\n", metav("sections"), metav("runtime")
	print ""
	printf "**%s.**\n", summary(0, 0)
	print ""
	table(0)
	print ""
	print "*measured* is what the target is checked against: for a ratio, the median over the rounds of the"
	print "ratio of the two sides measured in that round (each round runs both sides back to back, alternating"
	print "which goes first); *without* and *with* are the medians of each side. Sections 1-3 report the thread's"
	print "CPU time (user + system) per pair; LuaJIT and nginx figures are wall clock, with CPU-time rows next to"
	print "them because other load on the machine makes wall-clock ratios noisy. Control rows show how far apart"
	print "two set-ups that do the same work measure on this machine."
	printf "Rounds: %s.\n", metav("rounds")
	print ""
	printf "## Cost per MAP_32BIT mmap+munmap (%s KiB) vs free extents\n", metav("region_kib")
	print ""
	print_sweep_table()
	print ""
	print "How: every mode makes the same holes (one page mapped, one free, N times, from the bottom of the"
	print "low region), too small for the request, so every search has to get past them; everything the set-up"
	print "maps is PROT_NONE, so the measured block is never merged with a neighbour (one VMA inserted and removed"
	print "per pair in every mode). *kernel*: no shim, the kernel's MAP_32BIT window has room and serves the"
	print "request. *region*: the window filled first, then every request served by the shim from below 1 GiB"
	print "(kernel skipped after its ENOMEM). *naive*: no shim, window full; our re-implementation of the published"
	print "workaround (fopen + fgets over /proc/self/maps on every call, first fit in [low, 1 GiB),"
	print "MAP_FIXED_NOREPLACE). *index alone*: the same find + mark-used + mark-free sequence on shim/region.c"
	print "compiled into a test program, without system calls (bench/region_micro.c). Times are the thread's CPU"
	print "time (user + system) per pair, median over batches of at least 1 ms, so waiting for a CPU behind other"
	print "load is not counted."
	print ""
	if (chart == "yes") print "![chart](" chart_name ")"
	else print "(No chart: gnuplot was not installed when this page was written.)"
	if (nerr > 0) {
		print ""
		printf "**%d error(s) during the run:**\n\n", nerr
		for (i = 1; i <= nerr; i++) printf "- %s\n", err_text[i]
	}
}
