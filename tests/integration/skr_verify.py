#!/usr/bin/python3
"""Independent checks of KSR/SKR files for the integration tests (dnspython,
not keyroll's code).

  skr_verify.py validate FILE         every RRSIG of every bundle validates
                                      over the bundle's DNSKEY RRset (at the
                                      bundle's inception) with dnspython
  skr_verify.py same-sigs OURS THEIRS every (bundle id, keyIdentifier)
                                      SignatureData of THEIRS is in OURS,
                                      byte for byte, and nothing more
  skr_verify.py validate-lines FILE T zone-file DNSKEY and RRSIG lines (keyroll-ksr
                                      bundle) validate at time T (seconds)
  skr_verify.py size FILE N           the wire size of bundle N's DNSKEY
                                      answer (EDNS, DO) as dnspython renders it
Exit 0 when the check holds; 1 with a message otherwise.
"""
import base64
import sys
import xml.etree.ElementTree as ET

import dns.dnssec
import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import datetime


def text(e, tag):
    return e.find(tag).text.strip()


def icann_time(s):
    s = s.strip().replace("Z", "+00:00")
    if "+" not in s[10:]:
        s += "+00:00"
    return datetime.datetime.fromisoformat(s)


def bundles(path):
    root = ET.parse(path).getroot()
    domain = dns.name.from_text(root.get("domain"))
    body = root.find("Response")
    if body is None:
        body = root.find("Request")
    for b in body:
        if b.tag not in ("ResponseBundle", "RequestBundle"):
            continue
        yield domain, b


def rrsets(domain, b):
    keys = dns.rrset.RRset(domain, dns.rdataclass.IN, dns.rdatatype.DNSKEY)
    for k in b.findall("Key"):
        rd = dns.rdata.from_text("IN", "DNSKEY", "%s %s %s %s" % (
            text(k, "Flags"), text(k, "Protocol"), text(k, "Algorithm"),
            "".join(text(k, "PublicKey").split())))
        keys.add(rd, int(text(k, "TTL")))
    sigs = []
    for s in b.findall("Signature"):
        inc = icann_time(text(s, "SignatureInception")).strftime("%Y%m%d%H%M%S")
        exp = icann_time(text(s, "SignatureExpiration")).strftime("%Y%m%d%H%M%S")
        rd = dns.rdata.from_text("IN", "RRSIG", "%s %s %s %s %s %s %d %s %s" % (
            text(s, "TypeCovered"), text(s, "Algorithm"), text(s, "Labels"),
            text(s, "OriginalTTL"), exp, inc, int(text(s, "KeyTag")),
            text(s, "SignersName"), "".join(text(s, "SignatureData").split())))
        sigs.append((s.get("keyIdentifier"), rd))
    return keys, sigs


def validate(path):
    n = 0
    for domain, b in bundles(path):
        keys, sigs = rrsets(domain, b)
        if not sigs:
            sys.exit("bundle %s has no signature" % b.get("id"))
        when = icann_time(text(b, "Inception")).timestamp()
        for ident, rd in sigs:
            try:
                dns.dnssec.validate_rrsig(keys, rd, {domain: keys}, now=when + 1)
            except dns.dnssec.ValidationFailure as e:
                sys.exit("bundle %s signature by %s (tag %d): %s" % (b.get("id"), ident, rd.key_tag, e))
            n += 1
    print("dnspython: %d signatures validate" % n)


def sigdata(path):
    out = {}
    for _, b in bundles(path):
        for s in b.findall("Signature"):
            key = (b.get("id"), s.get("keyIdentifier"))
            if key in out:
                sys.exit("%s: two signatures by %s in bundle %s" % (path, key[1], key[0]))
            out[key] = base64.b64decode("".join(text(s, "SignatureData").split()))
    return out


def same_sigs(ours, theirs):
    a, b = sigdata(ours), sigdata(theirs)
    if set(a) != set(b):
        sys.exit("signatures differ in who signs which bundle: only ours %s, only theirs %s"
                 % (sorted(set(a) - set(b)), sorted(set(b) - set(a))))
    for k in sorted(b):
        if a[k] != b[k]:
            sys.exit("bundle %s: SignatureData by %s differs" % k)
    print("%d SignatureData identical" % len(b))


def validate_lines(path, when):
    keys = sigs = None
    for line in open(path):
        line = line.split(";")[0].strip()
        if not line:
            continue
        rr = dns.rrset.from_text(*line.split(None, 4)[:4], line.split(None, 4)[4])
        if rr.rdtype == dns.rdatatype.DNSKEY:
            keys = rr if keys is None else keys.union(rr)
        elif rr.rdtype == dns.rdatatype.RRSIG:
            sigs = rr if sigs is None else sigs.union(rr)
    if not keys or not sigs:
        sys.exit("no DNSKEY RRset or no RRSIG")
    for rd in sigs:
        try:
            dns.dnssec.validate_rrsig(keys, rd, {keys.name: keys}, now=when)
        except dns.dnssec.ValidationFailure as e:
            sys.exit("RRSIG by %d: %s" % (rd.key_tag, e))
    print("dnspython: %d DNSKEYs, %d RRSIGs validate" % (len(keys), len(sigs)))


def size(path, n):
    domain, b = list(bundles(path))[n - 1]
    keys, sigs = rrsets(domain, b)
    q = dns.message.make_query(domain, "DNSKEY", want_dnssec=True, use_edns=0, payload=1232)
    r = dns.message.make_response(q)
    r.answer.append(keys)
    s = dns.rrset.RRset(domain, dns.rdataclass.IN, dns.rdatatype.RRSIG)
    for _, rd in sigs:
        s.add(rd, keys.ttl)
    r.answer.append(s)
    print(len(r.to_wire(max_size=65535)))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "validate":
        validate(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "same-sigs":
        same_sigs(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "validate-lines":
        validate_lines(sys.argv[2], float(sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "size":
        size(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(__doc__)
