# Shared helpers for the test harness.  Sourced, never executed.
# shellcheck shell=sh

KMF_TOP=${KMF_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
KMF_CACHE=${KMF_CACHE:-/var/cache/kvm-mmu-fastpgd}
KMF_BUILD=${KMF_BUILD:-$KMF_TOP/build}

die() {
	printf '%s: error: %s\n' "${0##*/}" "$*" >&2
	exit 1
}

note() {
	printf '%s: %s\n' "${0##*/}" "$*" >&2
}

# step "what" cmd args...: one line when a long step starts, one when it
# ends with its duration; the step's own output goes to a log file that
# is printed when it fails.  (Shell functions share one variable space:
# helpers keep their variables apart by prefix.)
step() {
	_step_what=$1
	shift
	_step_log=$(mktemp "${TMPDIR:-/tmp}/kmf-step.XXXXXX")
	_step_t0=$(date +%s)
	printf '==> %s ...\n' "$_step_what" >&2
	"$@" >"$_step_log" 2>&1 && _step_rc=0 || _step_rc=$?
	if [ "$_step_rc" -eq 0 ]; then
		printf '==> %s: done in %ss\n' "$_step_what" "$(($(date +%s) - _step_t0))" >&2
		rm -f "$_step_log"
		return 0
	fi
	printf '==> %s: FAILED after %ss (exit %s); last lines of its log:\n' \
		"$_step_what" "$(($(date +%s) - _step_t0))" "$_step_rc" >&2
	tail -n 60 "$_step_log" | sed 's/^/    | /' >&2
	printf '    (full log: %s)\n' "$_step_log" >&2
	return "$_step_rc"
}

# Print the archive URIs configured for this machine's apt: the first URI
# whose suites include a plain release (mirror_uri) or a -security suite
# (security_uri).  Both deb822 .sources files and one-line sources.list are
# read.  MIRROR / SECURITY_MIRROR in the environment take precedence.
apt_uris() {
	# prints "uri suite" pairs, one per line
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		sed -n 's/^[[:space:]]*deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\)[[:space:]]\{1,\}\([^[:space:]]*\).*/\2 \3/p' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk '
		function flush() {
			if (deb && uris != "" && suites != "") {
				n = split(uris, u, " "); m = split(suites, s, " ")
				for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) print u[i], s[j]
			}
			deb = 0; uris = ""; suites = ""; enabled = 1
		}
		BEGIN { deb = 0; enabled = 1 }
		/^[[:space:]]*$/ { flush(); next }
		/^[[:space:]]*#/ { next }
		tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
		tolower($1) == "uris:" { $1 = ""; uris = $0 }
		tolower($1) == "suites:" { $1 = ""; suites = $0 }
		tolower($1) == "enabled:" && tolower($2) == "no" { deb = 0 }
		END { flush() }' "$f"
	done
}

mirror_uri() {
	if [ -n "${MIRROR:-}" ]; then echo "$MIRROR"; return; fi
	apt_uris | awk '$2 !~ /-(security|updates|backports)$/ && $2 !~ /\// { print $1; exit }'
}

security_uri() {
	if [ -n "${SECURITY_MIRROR:-}" ]; then echo "$SECURITY_MIRROR"; return; fi
	apt_uris | awk '$2 ~ /-security$/ { print $1; exit }'
}

# Debian base version per supported kernel base, and the reverse.
suite_of_base() {
	case $1 in
	5.10) echo bullseye ;;
	6.1) echo bookworm ;;
	6.12) echo bookworm ;; # linux-source-6.12 is in bookworm-security
	*) die "no Debian release known for base '$1'" ;;
	esac
}

# fixed_fuzz_seed BASE: the fuzzer seed of make check's runs (tests/suite.sh
# on AMD, the Intel boot of tests/deb.sh), so that what CI sees can be run
# again; the configurations of a boot take this seed + 0, 1, ...  These
# passed on both module sets here (AMD 1,000 steps, Intel 3,400 steps per
# configuration, 2026-11-26).
fixed_fuzz_seed() {
	case $1 in
	5.10) echo 14219770413239 ;;
	*) echo 14219773184889 ;;
	esac
}
