#!/bin/sh
# keyroll-trustanchor verify fails closed: one test per refusal, each signed
# by an independent signer (openssl cms) with a test PKI made at test time by
# tests/data/gen-test-ca.sh.  Every refusal must exit 1, name its cause on
# stderr and print nothing on stdout.
. "$TOP/tests/data/ta-testlib.sh"
IANA="$TESTDATA/iana/root-anchors-current.xml"
sh "$TOP/tests/data/gen-test-ca.sh" "$T/ca" >/dev/null 2>&1 || die "gen-test-ca.sh failed"
C="$T/ca"
EMAIL=ta-signer@example.test
# sign XML OUT CERT KEY [CHAIN...]: detached DER CMS by openssl
sign() {
	x=$1 o=$2 c=$3 k=$4; shift 4
	certfile=
	if [ $# -gt 0 ]; then
		cat "$@" >"$T/chain.pem" || die "chain for $o"
		certfile="-certfile $T/chain.pem"
	fi
	# shellcheck disable=SC2086 # $certfile is empty or two words
	openssl cms -sign -binary -md sha256 -nosmimecap -in "$x" -signer "$c" -inkey "$k" \
		$certfile -outform DER -out "$o" || die "openssl cms -sign $x"
}
verify() { # XML P7S [options]
	x=$1 p=$2; shift 2
	$TA verify "$x" --p7s "$p" --ca "$C/ca.pem" "$@"
}

# The good case first, so that every refusal below differs from it in one thing.
cp "$IANA" "$T/good.xml"
sign "$T/good.xml" "$T/good.p7s" "$C/signer.pem" "$C/signer.key" "$C/int.pem"
verify "$T/good.xml" "$T/good.p7s" --signer-email $EMAIL >"$T/out" 2>"$T/err" || die "good file refused"
grep -c "^\. IN DS " "$T/out" | grep -qx 2 || die "good file: want 2 DS lines"
ok "a correctly signed file verifies and prints its DS set"
verify "$T/good.xml" "$T/good.p7s" >"$T/out" 2>"$T/err" || die "no --signer-email"
grep -q "^warning: no --signer-email" "$T/err" || die "no warning without --signer-email"
ok "without --signer-email it warns that any signer under the CA is accepted"

# Tampered bytes: one changed byte, and one appended newline.
sed 's/<Zone>\.<\/Zone>/<Zone>.<\/Zone> /' "$T/good.xml" >"$T/tampered.xml"
cmp -s "$T/good.xml" "$T/tampered.xml" && die "tampering did not change the file"
expect_fail "tampered bytes" "does not verify over the XML bytes" \
	verify "$T/tampered.xml" "$T/good.p7s" --signer-email $EMAIL
{ cat "$T/good.xml"; echo; } >"$T/longer.xml"
expect_fail "an appended newline" "does not verify over the XML bytes" \
	verify "$T/longer.xml" "$T/good.p7s" --signer-email $EMAIL

# Wrong signer address (the certificate says other@example.test).
sign "$T/good.xml" "$T/wrong.p7s" "$C/wrong-email.pem" "$C/wrong-email.key" "$C/int.pem"
expect_fail "signed by the wrong address" "does not carry the address $EMAIL" \
	verify "$T/good.xml" "$T/wrong.p7s" --signer-email $EMAIL

# Signer certificate without digitalSignature (nonRepudiation only).
sign "$T/good.xml" "$T/nods.p7s" "$C/no-ds.pem" "$C/no-ds.key" "$C/int.pem"
expect_fail "signer without digitalSignature" "lacks the digitalSignature key usage" \
	verify "$T/good.xml" "$T/nods.p7s" --signer-email $EMAIL

# Untrusted chain: another PKI, even with its root CA carried inside the message.
sign "$T/good.xml" "$T/other.p7s" "$C/other-signer.pem" "$C/other-signer.key" \
	"$C/other-int.pem" "$C/other-ca.pem"
expect_fail "a chain to a root carried in the message" "is not trusted by" \
	verify "$T/good.xml" "$T/other.p7s" --signer-email $EMAIL
sign "$T/good.xml" "$T/noint.p7s" "$C/signer.pem" "$C/signer.key"
expect_fail "a signer whose intermediate is missing" "is not trusted by" \
	verify "$T/good.xml" "$T/noint.p7s" --signer-email $EMAIL
expect_fail "the signer certificate after it expired" "certificate has expired" \
	verify "$T/good.xml" "$T/good.p7s" --signer-email $EMAIL --at 2040-01-01

# A signature that embeds its content is not a detached signature.
openssl cms -sign -binary -nodetach -in "$T/good.xml" -signer "$C/signer.pem" -inkey "$C/signer.key" \
	-certfile "$C/int.pem" -outform DER -out "$T/attached.p7s" || die "attached"
expect_fail "an attached (non-detached) signature" "detached signature is required" \
	verify "$T/good.xml" "$T/attached.p7s" --signer-email $EMAIL

# DOCTYPE and entities, correctly signed: refused by the parser.
decl='<?xml version="1.0" encoding="UTF-8"?>'
body=$(sed 1d "$T/good.xml")
printf '%s\n<!DOCTYPE TrustAnchor [<!ENTITY z ".">]>\n%s\n' "$decl" "$body" >"$T/dtd.xml"
printf '%s\n<!DOCTYPE TrustAnchor SYSTEM "file:///etc/passwd">\n%s\n' "$decl" "$body" >"$T/ext.xml"
printf '%s\n' "$decl" "$body" | sed 's/<Zone>\.<\/Zone>/<Zone>\&z;<\/Zone>/' >"$T/ent.xml"
for f in dtd ext ent; do
	sign "$T/$f.xml" "$T/$f.p7s" "$C/signer.pem" "$C/signer.key" "$C/int.pem"
done
expect_fail "an internal DOCTYPE with an entity" "DOCTYPE is not allowed" \
	verify "$T/dtd.xml" "$T/dtd.p7s" --signer-email $EMAIL
expect_fail "an external DOCTYPE" "DOCTYPE is not allowed" \
	verify "$T/ext.xml" "$T/ext.p7s" --signer-email $EMAIL
expect_fail "an entity reference" "Entity 'z' not defined" \
	verify "$T/ent.xml" "$T/ent.p7s" --signer-email $EMAIL

# Digest or KeyTag not matching PublicKey+Flags (KSK-2024's entry altered).
sed 's/683D2D0ACB8C9B71/683D2D0ACB8C9B72/' "$T/good.xml" >"$T/digest.xml"
sed 's/<KeyTag>38696</<KeyTag>38697</' "$T/good.xml" >"$T/tag.xml"
sed 's/<Flags>257<\/Flags>/<Flags>385<\/Flags>/' "$T/good.xml" >"$T/flags.xml"
for f in digest tag flags; do
	sign "$T/$f.xml" "$T/$f.p7s" "$C/signer.pem" "$C/signer.key" "$C/int.pem"
done
expect_fail "a Digest that does not match PublicKey and Flags" \
	"KeyDigest Kmyv6jo: Digest does not match PublicKey and Flags" \
	verify "$T/digest.xml" "$T/digest.p7s" --signer-email $EMAIL
expect_fail "a KeyTag that does not match PublicKey and Flags" \
	"KeyDigest Kmyv6jo: KeyTag 38697 does not match" \
	verify "$T/tag.xml" "$T/tag.p7s" --signer-email $EMAIL
expect_fail "Flags changed under a signed Digest" "Digest does not match PublicKey and Flags" \
	verify "$T/flags.xml" "$T/flags.p7s" --signer-email $EMAIL

# No KeyDigest valid at the time: only KSK-2010, retired in 2019.
/usr/bin/python3 - "$T/good.xml" "$T/old.xml" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
s = re.sub(r'\s*<KeyDigest id="K(lajeyz|myv6jo)".*?</KeyDigest>', '', s, flags=re.S)
open(sys.argv[2], 'w').write(s)
PY
grep -q Klajeyz "$T/old.xml" && die "could not cut the file down to KSK-2010"
sign "$T/old.xml" "$T/old.p7s" "$C/signer.pem" "$C/signer.key" "$C/int.pem"
expect_fail "no KeyDigest valid now" "no KeyDigest is valid at" \
	verify "$T/old.xml" "$T/old.p7s" --signer-email $EMAIL

# Usage errors are exit 2, missing files exit 3.
$TA verify "$T/good.xml" --ca "$C/ca.pem" >/dev/null 2>&1; [ $? = 2 ] || die "missing --p7s: want exit 2"
$TA verify "$T/good.xml" --p7s "$T/good.p7s" --ca "$C/ca.pem" --at yesterday >/dev/null 2>&1
[ $? = 2 ] || die "bad --at: want exit 2"
$TA verify "$T/nonexistent.xml" --p7s "$T/good.p7s" --ca "$C/ca.pem" >/dev/null 2>&1
[ $? = 3 ] || die "missing file: want exit 3"
ok "usage errors exit 2, unreadable files exit 3"

echo "1..$n"
