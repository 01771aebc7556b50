#!/usr/bin/perl
# audit.pl TSV COLUMN TREE: evaluates the patterns of docs/audit.tsv on a
# kernel source tree and prints "id expected found" for each row.
# COLUMN is the 0-based index of the expected-result column.
use strict;
use warnings;

my ($tsv, $col, $tree) = @ARGV;
die "usage: audit.pl TSV COLUMN TREE\n" unless defined $tree;

sub slurp {
	my ($f) = @_;
	open(my $fh, '<', $f) or return undef;
	local $/;
	return <$fh>;
}

# one "A<<B<<C" sequence: each part found after the previous one
sub sequence {
	my ($text, $seq) = @_;
	my $pos = 0;
	for my $part (split /<</, $seq) {
		my $i = index($text, $part, $pos);
		return 0 if $i < 0;
		$pos = $i + length($part);
	}
	return 1;
}

open(my $fh, '<', $tsv) or die "$tsv: $!\n";
while (my $line = <$fh>) {
	chomp $line;
	next if $line =~ /^#/ || $line eq '';
	my @c = split /\t/, $line;
	my ($id, $files, $pat, $want) = ($c[0], $c[3], $c[4], $c[$col]);
	next if !defined $want || $want eq '-';
	my $text = '';
	my $missing = 1;
	for my $f (split /,/, $files) {
		my $t = slurp("$tree/$f");
		next unless defined $t;
		$text .= $t;
		$missing = 0;
	}
	if ($missing) {
		print "$id $want missing\n";
		next;
	}
	$pat =~ s/\\n/\n/g;
	$pat =~ s/\\t/\t/g;
	my $neg = ($pat =~ s/^!//);
	my $found = 0;
	for my $alt (split /\|\|/, $pat) {
		if (sequence($text, $alt)) {
			$found = 1;
			last;
		}
	}
	$found = !$found if $neg;
	print "$id $want ", ($found ? 'yes' : 'no'), "\n";
}
