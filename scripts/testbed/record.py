#!/usr/bin/python3
"""Record what real validators do during a test-bed roll.

Every POLL seconds until UNTIL (unix time) and for every validator and zone:
  - read the validator's RFC 5011 state file (Unbound's auto-trust-anchor
    file): for each key its tag, state, count and lastchange;
  - ask the validator for www.<zone>/A with the DO bit and classify the
    answer: secure (NOERROR + AD), insecure (NOERROR, no AD), servfail,
    other rcode, or timeout.
Writes a line to OUT only when something changed (and once at the start):

  <t> <validator> <zone> key <tag> <state> <count> <lastchange>
      (tag: the key tag without the REVOKE bit, the same before and after)
  <t> <validator> <zone> key <tag> gone       (Unbound deletes Removed keys)
  <t> <validator> <zone> anchor revoked       (";;REVOKED": every key revoked,
                                               the zone is now insecure)
  <t> <validator> <zone> query <result>

State numbers are Unbound's: 0 Start, 1 AddPend, 2 Valid, 3 Missing,
4 Revoked, 5 Removed.

Usage: record.py OUT UNTIL POLL VALIDATOR=IP:PORT:STATEDIR ... -- ZONE ...
"""
import re
import sys
import time

import dns.dnssec
import dns.flags
import dns.message
import dns.query
import dns.rdata
import dns.rcode

KEY_RE = re.compile(r"\bDNSKEY\s+(\d+)\s+3\s+(\d+)\s+([A-Za-z0-9+/=]+)\s*;\{id = \d+ .*"
                    r";;state=(\d+) .*;;count=(\d+) ;;lastchange=(\d+)")


def base_tag(flags, alg, key):
    """Key tag of the key with the REVOKE bit clear: one name for a key
    before and after its revocation (RFC 5011 changes the tag)."""
    rd = dns.rdata.from_text("IN", "DNSKEY", f"{flags & ~0x80} 3 {alg} {key}")
    return dns.dnssec.key_id(rd)


def anchor_state(path):
    """({tag: (state, count, lastchange)}, revoked) from an autotrust file,
    or (None, False) before the validator has written it."""
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            text = f.read()
    except FileNotFoundError:
        return None, False
    keys = {}
    for line in text.splitlines():
        m = KEY_RE.search(line)
        if m:
            tag = base_tag(int(m.group(1)), int(m.group(2)), m.group(3))
            keys[tag] = (int(m.group(4)), int(m.group(5)), int(m.group(6)))
    return keys, any(line.strip() == ";;REVOKED" for line in text.splitlines())


def query(ip, port, zone):
    q = dns.message.make_query("www." + zone, "A", want_dnssec=True)
    try:
        r = dns.query.udp(q, ip, port=port, timeout=1.0)
    except dns.exception.Timeout:
        return "timeout"
    rc = r.rcode()
    if rc == dns.rcode.SERVFAIL:
        return "servfail"
    if rc != dns.rcode.NOERROR:
        return dns.rcode.to_text(rc).lower()
    return "secure" if r.flags & dns.flags.AD else "insecure"


def main():
    out, until, poll = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    rest = sys.argv[4:]
    sep = rest.index("--")
    validators = []
    for spec in rest[:sep]:
        name, addr = spec.split("=", 1)
        ip, port, statedir = addr.split(":", 2)
        validators.append((name, ip, int(port), statedir))
    zones = rest[sep + 1:]
    last = {}
    with open(out, "a", encoding="ascii") as f:
        while time.time() < until:
            t0 = time.time()
            for name, ip, port, statedir in validators:
                for zone in zones:
                    keys, revoked = anchor_state(f"{statedir}/{zone}key")
                    if keys is not None:
                        seen = last.setdefault((name, zone, "tags"), set())
                        for tag in sorted(seen - set(keys)):
                            f.write(f"{t0:.2f} {name} {zone} key {tag} gone\n")
                            seen.discard(tag)
                        for tag, st in sorted(keys.items()):
                            seen.add(tag)
                            k = (name, zone, "key", tag)
                            if last.get(k) != st:
                                last[k] = st
                                f.write(f"{t0:.2f} {name} {zone} key {tag} {st[0]} {st[1]} {st[2]}\n")
                        k = (name, zone, "anchor")
                        if revoked and not last.get(k):
                            last[k] = True
                            f.write(f"{t0:.2f} {name} {zone} anchor revoked\n")
                    res = query(ip, port, zone)
                    k = (name, zone, "query")
                    if last.get(k) != res:
                        last[k] = res
                        f.write(f"{t0:.2f} {name} {zone} query {res}\n")
            f.flush()
            time.sleep(max(0.0, poll - (time.time() - t0)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
