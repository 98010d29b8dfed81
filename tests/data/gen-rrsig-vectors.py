#!/usr/bin/env python3
"""Extract DNSKEY RRsets and their RRSIGs from real ICANN SKR files into
zone-file test vectors (tests/data/rrsig-vectors.txt).

Independent of keyroll's own XML codec: it uses Python's standard library
only, so the vectors do not inherit a bug from the code they test.
Usage: gen-rrsig-vectors.py TESTDATA_DIR > rrsig-vectors.txt
"""
import calendar
import sys
import time
import xml.etree.ElementTree as ET

SOURCES = [
    # (file, bundle indexes to take)
    ("icann/dnssec-keytools/skr-root-2017-q2-0.xml", [0, 8]),
    ("icann/dnssec-keytools/skr-root-2018-q1-0-d_to_e.xml", [0, 1]),
    ("icann/dnssec-keytools-legacy/baseline/skr-root-2010-q2-0.xml", [6]),
]


def rrsig_time(text):
    text = text.strip().replace("+00:00", "").rstrip("Z")
    t = calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%S"))
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(t))


def main(top):
    for path, wanted in SOURCES:
        root = ET.parse(f"{top}/{path}").getroot()
        owner = root.get("domain")
        bundles = root.findall("./Response/ResponseBundle")
        for i in wanted:
            b = bundles[i]
            print(f"bundle {path} #{i + 1} {b.get('id')}")
            for k in b.findall("Key"):
                print(f"key {owner} {k.findtext('TTL')} IN DNSKEY {int(k.findtext('Flags'))} "
                      f"{k.findtext('Protocol')} {k.findtext('Algorithm')} {k.findtext('PublicKey').strip()}")
            for s in b.findall("Signature"):
                print(f"sig {owner} {s.findtext('TTL')} IN RRSIG {s.findtext('TypeCovered')} "
                      f"{s.findtext('Algorithm')} {s.findtext('Labels')} {s.findtext('OriginalTTL')} "
                      f"{rrsig_time(s.findtext('SignatureExpiration'))} "
                      f"{rrsig_time(s.findtext('SignatureInception'))} {int(s.findtext('KeyTag'))} "
                      f"{s.findtext('SignersName')} {s.findtext('SignatureData').strip()}")
            print("end")


if __name__ == "__main__":
    main(sys.argv[1])
