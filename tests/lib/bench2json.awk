# KMF-BENCH lines of a test kernel's console -> the benchmark's JSON.
# Variables: kernel, src (source package version), vendor.
# The counters come from the KMF-BENCH run (counters armed); cycles and
# times from the KMF-BENCH-TIME run of the same cell (armed kprobes and
# trace events cost time of their own), which bench.sh runs first; the
# armed run's cycles stay in "cycles_per_iter_counters_armed".
function num(v) { return (v == "" || v == "null") ? "null" : v }
BEGIN {
	printf "{\"kernel\": \"%s\", \"source_version\": \"%s\", \"vendor\": \"%s\",\n \"runs\": [", kernel, src, vendor
	n = 0
}
function fields(    i, eq) {
	delete f
	for (i = 2; i <= NF; i++) {
		eq = index($i, "=")
		if (eq) f[substr($i, 1, eq - 1)] = substr($i, eq + 1)
	}
	return f["set"] " " f["tdp_mmu"] " " f["tdp"] " " f["cd"] " " f["mode"] " " f["workload"]
}
$1 == "KMF-BENCH-TIME" {
	k = fields()
	tcyc[k] = f["cycles_per_iter"]
	tns[k] = f["ns_per_iter"]
}
$1 == "KMF-BENCH" {
	k = fields()
	acyc = f["cycles_per_iter"]
	if (k in tcyc) {
		f["cycles_per_iter"] = tcyc[k]
		f["ns_per_iter"] = tns[k]
	}
	printf "%s\n  {\"modules\": \"%s\", \"tdp_mmu\": %s, \"tdp\": %s, \"cr0_intercept_forced\": %s,", \
		(n++ ? "," : ""), f["set"], num(f["tdp_mmu"]), num(f["tdp"]), (f["cd"] == 1 ? "true" : "false")
	printf " \"mode\": \"%s\", \"workload\": \"%s\", \"iterations\": %s, \"pages\": %s,", \
		f["mode"], f["workload"], num(f["iterations"]), num(f["pages"])
	printf " \"cr0_write_exits\": %s, \"cycles_per_iter\": %s, \"ns_per_iter\": %s,", \
		num(f["cr0_write_exits"]), num(f["cycles_per_iter"]), num(f["ns_per_iter"])
	printf " \"mmu_unload_calls\": %s, \"roots_freed\": %s, \"tdp_faults\": %s, \"mmu_pages_created\": %s,", \
		num(f["mmu_unload_calls"]), num(f["roots_freed"]), num(f["tdp_faults"]), num(f["mmu_pages_created"])
	printf " \"cycles_per_iter_counters_armed\": %s}", num(acyc)
}
# configurations left out by kmf.tdps= (skips, with their reason)
$1 == "KMF-BENCH-SKIP" {
	line = $0
	sub(/^KMF-BENCH-SKIP /, "", line)
	gsub(/"/, "", line)
	skips = skips (ns++ ? ", " : "") "\"" line "\""
}
END { print "\n],\n \"skipped\": [" skips "]}" }
