#!/bin/sh
# keyroll-trustanchor publish from DNSKEY files, checked against IANA's own
# publication: starting from the 2015 file, adding KSK-2017 and KSK-2024 and
# retiring KSK-2010 (whose KeyDigest has no PublicKey: found by recomputing
# its digest) gives IANA's current root-anchors.xml byte for byte (after
# naming the new KeyDigests as IANA did).  Plus the refusals of publish.
. "$TOP/tests/data/ta-testlib.sh"
I="$TESTDATA/iana"
GTA="$TESTDATA/icann/get-trust-anchor"

grep ' 20326 \|AwEAAaz/' "$GTA/ksk-as-dnskey.txt" >"$T/k2017" || true
grep -v 'AwEAAaz/' "$GTA/ksk-as-dnskey.txt" >"$T/k2024"
[ "$(wc -l <"$T/k2017")" = 1 ] && [ "$(wc -l <"$T/k2024")" = 1 ] || die "cannot split ksk-as-dnskey.txt"
# KSK-2010's DNSKEY, from a real SKR it signed.
/usr/bin/python3 - "$TESTDATA/icann/dnssec-keytools/skr-root-2017-q2-0.xml" >"$T/k2010" <<'PY'
import sys, xml.etree.ElementTree as ET
for k in ET.parse(sys.argv[1]).iter('Key'):
    if k.get('keyIdentifier') == 'Kjqmt7v':
        print('. IN DNSKEY %s %s %s %s' % (k.findtext('Flags'), k.findtext('Protocol'),
              k.findtext('Algorithm'), k.findtext('PublicKey').strip()))
        break
PY
grep -q '^\. IN DNSKEY 257 3 8 AwEAAagAIKlVZrpC6Ia7' "$T/k2010" || die "no KSK-2010 in the SKR"

# 1. A new file from the two current KSKs: its DS set is the real one.
$TA publish --zone . --dnskey "$T/k2017,2017-02-02T00:00:00+00:00" \
	--dnskey "$T/k2024,2024-07-18T00:00:00+00:00" --source https://example.test/ra.xml \
	--out "$T/new.xml" >"$T/out" 2>"$T/err" || die "publish from DNSKEY files"
xmllint --noout --relaxng "$TOP/trustanchor/rfc9718.rng" "$T/new.xml" 2>"$T/err" || die "schema"
$TA export "$T/new.xml" --format ds --at 2025-01-01 | sort >"$T/ds"
sort "$GTA/ksk-as-ds.txt" | cmp -s - "$T/ds" || die "published DS set differs from ksk-as-ds.txt"
ok "publish --dnskey: schema-valid, and its DS set is get-trust-anchor's ksk-as-ds.txt"

# 2. IANA's 2017 and 2024 updates, replayed with --update on the 2015 file.
$TA publish --zone . --update "$I/root-anchors-2015.xml" --id 0C05FDD6-422C-4910-8ED6-430ED15E11C2 \
	--dnskey "$T/k2010,,2019-01-11T00:00:00+00:00" \
	--dnskey "$T/k2017,2017-02-02T00:00:00+00:00" \
	--dnskey "$T/k2024,2024-07-18T00:00:00+00:00" --out "$T/replay.xml" >"$T/out" 2>"$T/err" ||
	die "publish --update"
grep -q 'id="Kjqmt7v"' "$T/replay.xml" || die "--update lost the existing KeyDigest id"
sed -e 's/id="Ke06d44b8"/id="Klajeyz"/' -e 's/id="K683d2d0a"/id="Kmyv6jo"/' "$T/replay.xml" >"$T/named.xml"
cmp "$T/named.xml" "$I/root-anchors-current.xml" >"$T/err" 2>&1 ||
	die "replayed update differs from IANA's current file"
ok "--update (retire KSK-2010, add KSK-2017 and KSK-2024) reproduces IANA's current file"

# 3. Refusals; a refused publish leaves the output untouched.
cp "$T/new.xml" "$T/keep.xml"
expect_fail "re-adding a published key" "already published as KeyDigest" \
	$TA publish --zone . --update "$T/keep.xml" --dnskey "$T/k2024" --out "$T/keep.xml"
cmp -s "$T/keep.xml" "$T/new.xml" || die "a refused publish changed its output"
ok "a refused publish leaves the output file as it was"
expect_fail "changing validFrom of a published key" "validFrom of the published KeyDigest" \
	$TA publish --zone . --update "$T/keep.xml" --dnskey "$T/k2024,2025-01-01,2026-01-01" --out "$T/x.xml"
expect_fail "retiring before validFrom" "validUntil must be after validFrom" \
	$TA publish --zone . --update "$T/keep.xml" --dnskey "$T/k2024,,2020-01-01" --out "$T/x.xml"
expect_fail "--update for another zone" "is for another zone" \
	$TA publish --zone se --update "$T/keep.xml" --dnskey "$T/k2024" --out "$T/x.xml"
sed 's/^\./se./' "$T/k2024" >"$T/kse"
expect_fail "a DNSKEY of another owner" "owner is not the zone" \
	$TA publish --zone . --dnskey "$T/kse" --out "$T/x.xml"
sed 's/ 257 / 256 /' "$T/k2024" >"$T/kzsk"
$TA publish --zone . --dnskey "$T/kzsk" --out "$T/x.xml" >/dev/null 2>&1 || die "a ZSK-flagged key (256) is still a zone key"
sed 's/ 257 / 1 /' "$T/k2024" >"$T/knozone"
expect_fail "a key without the Zone Key flag" "lack the Zone Key bit" \
	$TA publish --zone . --dnskey "$T/knozone" --out "$T/y.xml"
[ -e "$T/y.xml" ] && die "a refused publish wrote its output"
echo "garbage" >"$T/kbad"
expect_fail "a file that is not DNSKEY records" "not a DNSKEY record" \
	$TA publish --zone . --dnskey "$T/kbad" --out "$T/y.xml"
$TA publish --zone . --dnskey "$T/k2024,tomorrow" --out "$T/y.xml" >/dev/null 2>&1
[ $? = 2 ] || die "a bad time in --dnskey: want exit 2"
ok "a bad time in FILE,FROM is a usage error (exit 2)"

echo "1..$n"
