#!/bin/sh
# keyroll-trustanchor simulate / lint end to end: presets, plans, real root
# SKRs, exact vs fast engines, determinism, the report, refusals.
# Independent fact: dnspython builds the DNSKEY response of the real 2017-Q3
# SKR's last bundle and its wire size must match what lint reports (1414).
set -u
TA="$BIN/keyroll-trustanchor"
EX="$TOP/trustanchor/examples"
SKR="$TESTDATA/icann/dnssec-keytools"
T=$(mktemp -d "$TOP/$BUILD/t.XXXXXX")
trap 'rm -rf "$T"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
die() { echo "FAIL: $1"; [ -f "$T/err" ] && sed 's/^/    /' "$T/err"; exit 1; }
# expect WHAT STATUS TEXT CMD...: exit status and TEXT on stderr
expect() {
	what=$1 want=$2 text=$3; shift 3
	"$@" >"$T/out" 2>"$T/err"; rc=$?
	[ $rc = "$want" ] || die "$what: exit $rc, want $want"
	grep -q "$text" "$T/err" || die "$what: no '$text' in stderr"
	ok "$what: exit $want, $text"
}

# 1. lint: the real 2018 roll is clean, the broken example is not.
$TA lint --preset root-2018 >"$T/out" 2>"$T/err" || die "lint root-2018 failed"
grep -q "lint: 0 errors" "$T/out" || die "root-2018 has lint errors"
ok "lint root-2018: 0 errors"
$TA lint --plan "$EX/plan-early.yaml" >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 1 ] || die "lint plan-early: exit $rc, want 1"
grep -q "ADD-WAIT" "$T/out" && grep -q "REMOVE-WAIT" "$T/out" || die "plan-early: missing findings"
ok "lint plan-early: ADD-WAIT and REMOVE-WAIT, exit 1"
$TA lint --plan "$EX/plan-tld.yaml" --json >"$T/out" 2>"$T/err" || die "lint plan-tld failed"
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["errors"]==0 and len(d["steps"])==4' "$T/out" ||
	die "lint --json of plan-tld"
ok "lint --json parses, 4 steps"

# 2. Response size from the real SKR, checked with dnspython.
$TA lint --skr "$SKR/skr-root-2017-q3-0-c_to_d.xml" >"$T/out" 2>"$T/err" || die "lint SKR failed"
grep -q "2017-09-19T00:00:00Z  warning  RESPONSE-SIZE    DNSKEY response of 1414 bytes" "$T/out" ||
	die "no 1414-byte finding: $(cat "$T/out")"
/usr/bin/python3 - "$SKR/skr-root-2017-q3-0-c_to_d.xml" >"$T/size" 2>"$T/err" <<'EOF' || die "dnspython"
import base64, sys, xml.etree.ElementTree as ET
import dns.message, dns.name, dns.rdataclass, dns.rdatatype, dns.rrset
from dns.rdtypes.ANY.DNSKEY import DNSKEY
from dns.rdtypes.ANY.RRSIG import RRSIG
b = ET.parse(sys.argv[1]).getroot().findall(".//ResponseBundle")[-1]
q = dns.message.make_query(".", "DNSKEY", want_dnssec=True, use_edns=0, payload=1232)
r = dns.message.make_response(q)
keys = dns.rrset.RRset(dns.name.root, dns.rdataclass.IN, dns.rdatatype.DNSKEY)
for k in b.findall("Key"):
    keys.add(DNSKEY(dns.rdataclass.IN, dns.rdatatype.DNSKEY, int(k.find("Flags").text),
                    int(k.find("Protocol").text), int(k.find("Algorithm").text),
                    base64.b64decode(k.find("PublicKey").text)), int(k.find("TTL").text))
sigs = dns.rrset.RRset(dns.name.root, dns.rdataclass.IN, dns.rdatatype.RRSIG, dns.rdatatype.DNSKEY)
for s in b.findall("Signature"):
    t = lambda n: s.find(n).text
    sigs.add(RRSIG(dns.rdataclass.IN, dns.rdatatype.RRSIG, dns.rdatatype.DNSKEY, int(t("Algorithm")),
                   int(t("Labels")), int(t("OriginalTTL")), 0, 0, int(t("KeyTag")),
                   dns.name.root, base64.b64decode(t("SignatureData"))), int(t("TTL")))
r.answer = [keys, sigs]
print(len(r.to_wire(max_size=65535)))
EOF
[ "$(cat "$T/size")" = 1414 ] || die "dnspython says $(cat "$T/size") bytes"
ok "DNSKEY response size of the real SKR bundle = dnspython's 1414"

# 3. Two SKR quarters with a quarter missing: the signatures run out.
$TA lint --skr "$SKR/skr-root-2017-q3-0-c_to_d.xml" --skr "$SKR/skr-root-2018-q1-0-d_to_e.xml" \
	>"$T/out" 2>"$T/err"; rc=$?
[ $rc = 1 ] && grep -q "2017-10-10T00:00:00Z  error    SIG-EXPIRED" "$T/out" || die "SKR gap not found"
ok "SKR series with a gap: SIG-EXPIRED on 2017-10-10"

# 4. simulate: CSV shape, exact = fast, same seed = same result.
S="$TA simulate --preset root-2018 --validators 3000 --step P1D --quiet"
$S --seed 9 --csv "$T/fast.csv" >"$T/sum" 2>"$T/err" || die "simulate failed"
[ "$(head -n 1 "$T/fast.csv" | cut -d, -f1-8)" = "time,installed,trusts_old,trusts_new,pending,failing,insecure,offline" ] ||
	die "CSV header: $(head -n 1 "$T/fast.csv")"
[ "$(wc -l <"$T/fast.csv")" = 912 ] || die "CSV rows: $(wc -l <"$T/fast.csv")" # 911 days + header
grep -q "^2018-10-11T00:00:00Z  roll to KSK-2017" "$T/sum" || die "summary lacks the roll"
ok "simulate root-2018: 911 daily rows, summary"
$S --seed 9 --csv "$T/exact.csv" --exact >/dev/null 2>"$T/err" || die "simulate --exact failed"
cmp -s "$T/fast.csv" "$T/exact.csv" || die "exact and fast differ"
ok "--exact gives the same time series"
$S --seed 9 --csv "$T/again.csv" --threads 1 >/dev/null 2>"$T/err" || die "rerun failed"
cmp -s "$T/fast.csv" "$T/again.csv" || die "same seed, different result"
$S --seed 10 --csv "$T/other.csv" >/dev/null 2>"$T/err" || die "seed 10 failed"
cmp -s "$T/fast.csv" "$T/other.csv" && die "seed 10 gives the same result"
ok "same seed same result (1 or 2 threads), other seed differs"
$S --seed 9 --json --series-json "$T/series.json" >"$T/sum.json" 2>"$T/err" || die "--json failed"
/usr/bin/python3 - "$T/sum.json" "$T/series.json" <<'EOF' || die "JSON outputs"
import json, sys
s = json.load(open(sys.argv[1])); t = json.load(open(sys.argv[2]))
assert s["timeline"]["keys"][0]["revoked_tag"] == 19164
assert [e["event"] for e in s["events"]][1] == "roll to KSK-2017"
assert len(t["classes"]["trusts_new"]) == 911
assert "_ta-4a5c-4f66" in t["rfc8145_signals"]  # 19036 and 20326 in hex
EOF
ok "summary and series JSON"

# 5. The broken plan: the simulation shows the damage and exits 1.
$TA simulate --plan "$EX/plan-early.yaml" --validators 2000 --quiet --json >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 1 ] || die "simulate plan-early: exit $rc, want 1"
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); e=d["events"][1]; assert e["insecure_after_1d"]+e["failing_after_1d"] > 0.5, e' "$T/out" ||
	die "plan-early shows no failures"
ok "simulate plan-early: most validators fail or go insecure, exit 1"

# 6. The report: gnuplot charts and the HTML page.
$TA simulate --preset root-2026 --validators 2000 --quiet --report "$T/report" >/dev/null 2>"$T/err" ||
	die "simulate --report failed"
for f in index.html classes.png signals.png series.csv summary.json chart.gp chart.dat; do
	[ -s "$T/report/$f" ] || die "report lacks $f"
done
[ "$(head -c 8 "$T/report/classes.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || die "classes.png is no PNG"
grep -q "roll to KSK-2024" "$T/report/index.html" || die "index.html lacks the roll"
ls "$T/report" | grep -q tmp && die "temporary files left in the report"
ok "report: index.html, PNG charts, data"
mkdir "$T/nognuplot"
PATH=/nonexistent $TA simulate --preset root-2026 --validators 100 --quiet --report "$T/nognuplot/r" \
	>"$T/out" 2>"$T/err"; rc=$?
[ $rc = 3 ] && grep -q "^error: report .*gnuplot" "$T/err" || die "without gnuplot: exit $rc"
[ -e "$T/nognuplot/r" ] && die "a failed report left files: $(ls "$T/nognuplot/r")"
ok "without gnuplot: exit 3, no report files left"

# 7. Refusals: usage errors exit 2, bad input exits 1 and writes nothing.
expect "no input" 2 "exactly one of" $TA simulate
expect "two inputs" 2 "exactly one of" $TA lint --preset root-2018 --plan "$EX/plan-tld.yaml"
expect "unknown preset" 2 "no preset" $TA lint --preset root-1999
expect "zero validators" 2 "bad --validators" $TA simulate --preset root-2018 --validators 0
expect "window outside the timeline" 2 "inside the timeline" $TA simulate --preset root-2018 --from 2030-01-01
printf 'profiles:\n  - implementation: bind\n    colour: blue\n' >"$T/pop.yaml"
expect "unknown population key" 1 "unknown key 'colour'" \
	$TA simulate --preset root-2018 --population "$T/pop.yaml" --csv "$T/none.csv"
[ -e "$T/none.csv" ] && die "a CSV was written for a rejected population"
printf 'start: 2026-01-01\nend: 2026-02-01\nkeys: [{name: A}]\ninitial: {publish: A, sign: A}\nwhen: now\n' >"$T/plan.yaml"
expect "unknown plan key" 1 "unknown key 'when'" $TA lint --plan "$T/plan.yaml"
expect "missing plan" 3 "cannot read" $TA lint --plan "$T/nonexistent.yaml"
$TA simulate -h >"$T/out" 2>"$T/err" && grep -q "^usage: keyroll-trustanchor simulate" "$T/out" || die "simulate -h"
ok "usage on -h"
echo "1..$n"
