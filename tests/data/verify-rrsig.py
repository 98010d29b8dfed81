#!/usr/bin/python3
"""Independent check of DNSKEY RRset signatures with dnspython.

Reads zone-file lines (DNSKEY and RRSIG records of one owner) from the file
named on the command line (or stdin) and validates every RRSIG over the
DNSKEY RRset with the key it names, at the signature's own inception time.
Prints one line per RRSIG; exits 0 only if there is at least one RRSIG and
all of them validate.  Used by tests so that keyroll's signatures are checked
by a second implementation.
"""
import sys

import dns.dnssec
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone


def main():
    text = open(sys.argv[1]).read() if len(sys.argv) > 1 else sys.stdin.read()
    keys, sigs, owner = [], [], None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith(";"):
            continue
        parts = line.split()
        owner = dns.name.from_text(parts[0])
        ttl = int(parts[1])
        rr = dns.rrset.from_text(owner, ttl, "IN", parts[3], " ".join(parts[4:]))
        (sigs if parts[3] == "RRSIG" else keys).append(rr)
    if not sigs:
        print("no RRSIG found")
        return 1
    rrset = dns.rrset.RRset(owner, dns.rdataclass.IN, dns.rdatatype.DNSKEY)
    for k in keys:
        rrset.update(k)
    bad = 0
    for s in sigs:
        rrsig = s[0]
        try:
            dns.dnssec.validate_rrsig(rrset, rrsig, {owner: rrset}, now=rrsig.inception + 1)
            print(f"ok   tag {rrsig.key_tag} alg {rrsig.algorithm}")
        except dns.dnssec.ValidationFailure as e:
            print(f"FAIL tag {rrsig.key_tag} alg {rrsig.algorithm}: {e}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
