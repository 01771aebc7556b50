#!/bin/sh
# Static checks: shellcheck, warning-free C, consistent versions and series.
set -eu
KMF_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$KMF_TOP/tests/lib/common.sh"
. "$KMF_TOP/tests/lib/result.sh"
cd "$KMF_TOP"

# every shell script of the tree
scripts=$(git ls-files 2>/dev/null | while read -r f; do
	case $f in
	*.sh | .ci/run | src/kvm-fastpgd-* | tests/guest/init | debian/build-debs | \
		debian/kernel/* | debian/*.postinst | debian/*.prerm | debian/*.postrm) echo "$f" ;;
	esac
done)
if command -v shellcheck >/dev/null 2>&1; then
	# shellcheck disable=SC2086
	expect static/shellcheck "shellcheck reports problems (run: shellcheck -x $scripts)" \
		shellcheck -x $scripts
else
	fail static/shellcheck "shellcheck is not installed"
fi

# the C tools build without a single warning
out=$(make -s -C tests/vmm clean vmm 2>&1) || out="build failed: $out"
expect static/vmm-warnings "tests/vmm: $out" [ -z "$out" ]
out=$(make -s -C src/tool clean kvm-mmu-fastpgd 2>&1) || out="build failed: $out"
expect static/tool-warnings "src/tool: $out" [ -z "$out" ]

# one version everywhere
v=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
cv=$(sed -n 's/^## \[\([0-9][^]]*\)\].*/\1/p' CHANGELOG | head -n 1)
expect static/version "dkms.conf says $v, CHANGELOG says $cv" [ "${v:-none}" = "${cv:-unset}" ]
sv=$(sed -n 's/^Version:[[:space:]]*//p' rpm/kvm-mmu-fastpgd.spec)
expect static/rpm-version "dkms.conf says $v, rpm/kvm-mmu-fastpgd.spec says $sv" [ "${v:-none}" = "${sv:-unset}" ]

# dkms.conf parses under bash and names the three modules
n=$(bash -c '. ./dkms.conf; echo ${#BUILT_MODULE_NAME[@]}' 2>&1)
expect static/dkms.conf "dkms.conf: $n" [ "$n" = 3 ]

# every series lists files that exist, and every patch file is listed
ok=1
# (series, and the optional series.* beside it)
for s in patches/*/series; do
	d=$(dirname "$s")
	for l in "$s" "$d"/series.*; do
		[ -f "$l" ] || continue
		while read -r p _; do
			case $p in '' | '#'*) continue ;; esac
			[ -f "$d/$p" ] || { echo "missing $d/$p"; ok=0; }
		done <"$l"
	done
	# patches/BASE/SRCVER/ may only hold versions of listed patches
	for p in "$d"/*.patch "$d"/*/*.patch; do
		[ -e "$p" ] || continue
		cat "$s" "$d"/series.* 2>/dev/null | grep -q "^$(basename "$p")\$" ||
			{ echo "unlisted $p"; ok=0; }
	done
done
expect static/series "series files and patches disagree" [ "$ok" = 1 ]

# the audit table of docs/series-audit.md is the one docs/audit.tsv gives
want=$(awk -F'\t' -f tests/lib/audit-table.awk docs/audit.tsv)
have=$(sed -n '/^<!-- audit-table:/,/^<!-- audit-table end/p' docs/series-audit.md | sed '1d;$d')
expect static/audit-table "docs/series-audit.md's table differs from docs/audit.tsv (regenerate it with tests/lib/audit-table.awk)" \
	[ "$want" = "$have" ]
