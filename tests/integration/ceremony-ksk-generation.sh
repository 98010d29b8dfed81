#!/bin/sh
# scripts/ceremonies/ksk-generation.yaml as a rehearsal: the sealed log
# verifies with the audit key the ceremony exported; the DS read out matches
# dnspython's DS of the exported DNSKEY; the backup container and three
# recovery cards exist; the KSK is backup-capable and the audit key is not;
# the transcript shows the exception.
. "$(dirname "$0")/ceremony-setup.inc"
$PY -c 'import dns.dnssec' 2>/dev/null || { echo "skip: python3-dnspython missing"; exit 77; }
ksk_generation || exit 1
$C verify-log "$KG_LOG" --pubkey out/audit2026.pem >"$T/v.out" 2>&1 || fail "verify-log: $(cat "$T/v.out")"
grep -q "valid: 22 records, 18 step records, 1 exceptions" "$T/v.out" || fail "log summary: $(cat "$T/v.out")"
for f in out/ksk2026.dnskey out/ksk2026.ds out/ksk2026.backup out/audit2026.pem \
	recovery/ksk2026-recovery-1.card recovery/ksk2026-recovery-2.card recovery/ksk2026-recovery-3.card; do
	[ -s "$f" ] || fail "$f missing"
done
$PY - <<'PYEOF' || fail "DS does not match the DNSKEY"
import dns.dnssec, dns.name, dns.rdata, dns.rdataclass, dns.rdatatype
k = open("out/ksk2026.dnskey").read().split()
d = open("out/ksk2026.ds").read().split()
key = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DNSKEY, " ".join(k[4:]))
ds = dns.dnssec.make_ds(dns.name.root, key, "SHA256")
assert key.flags == 257 and key.algorithm == 8
assert " ".join(d[4:]).upper() == ds.to_text().upper(), (d, ds.to_text())
PYEOF
# the hash read out at step 3.4 is the DS file's SHA-256
want=$(sha256sum out/ksk2026.ds | cut -c1-64)
tr -d ' \n' <"$T/kg.out" | grep -q "$want" || fail "the DS file hash was not read out"
$H list --token ksk2026 --card cards/ksk2026-officer-2.card --card cards/ksk2026-officer-4.card \
	--card cards/ksk2026-officer-5.card --json >"$T/list.json" || fail "list"
$PY - "$T/list.json" <<'PYEOF' || fail "key attributes"
import json, sys
keys = {k["label"]: k for k in json.load(open(sys.argv[1]))}
assert keys["ksk2026"]["wrap_with_trusted"] is True and keys["ksk2026"]["local"] is True
assert keys["audit2026"]["extractable"] is False and keys["audit2026"]["never_extractable"] is True
PYEOF
$C transcript "$KG_LOG" --pubkey out/audit2026.pem --out "$T/t.html" || fail transcript
grep -q "Bag 10442 tore while sealing" "$T/t.html" || fail "transcript lacks the exception"
grep -q "seal verified" "$T/t.html" || fail "transcript seal"
[ $fails = 0 ] || { echo "$fails failures"; exit 1; }
echo "KSK generation ceremony: rehearsal passed"
