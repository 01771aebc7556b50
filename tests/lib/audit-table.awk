# The summary table of docs/series-audit.md, made from docs/audit.tsv:
#   awk -F'\t' -f tests/lib/audit-table.awk docs/audit.tsv
BEGIN {
	print "| # | item | upstream commit, release | 5.10 | 5.10 + ours | 6.1 | 6.1 + ours | 6.12 |"
	print "| --- | --- | --- | --- | --- | --- | --- | --- |"
}
/^#/ || NF == 0 { next }
{
	printf "| %s | %s | %s |", $1, $2, $3
	for (i = 6; i <= 10; i++)
		printf " %s |", ($i == "yes" ? "**yes**" : $i)
	printf "\n"
}
