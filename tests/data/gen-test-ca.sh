#!/bin/sh
# gen-test-ca.sh OUTDIR [EMAIL [SIGNER_PUBKEY]]
#
# Make a throw-away PKI for trust-anchor signing tests and the demo, with the
# openssl CLI, shaped like ICANN's: a self-signed root CA, an e-mail CA below
# it, and S/MIME signer certificates issued by the e-mail CA.  Nothing here is
# secret or kept: run it at test time into a temporary directory.
#
# OUTDIR gets:
#   ca.pem                 root CA certificate (the --ca / unbound-anchor -c file)
#   int.pem                e-mail CA certificate (include it in the signature)
#   signer.pem [signer.key]   EMAIL (default ta-signer@example.test) in subject
#                          emailAddress and SAN, keyUsage digitalSignature,
#                          extendedKeyUsage emailProtection.  With SIGNER_PUBKEY
#                          (PEM public key, e.g. of a key in an HSM) the
#                          certificate is for that key and no signer.key is made.
#   wrong-email.pem/.key   as signer, but for other@example.test
#   no-ds.pem/.key         keyUsage nonRepudiation only (no digitalSignature)
#   other-ca.pem, other-int.pem, other-signer.pem/.key
#                          a second, unrelated PKI with a signer for EMAIL
set -eu
out=${1:?usage: gen-test-ca.sh OUTDIR [EMAIL [SIGNER_PUBKEY]]}
email=${2:-ta-signer@example.test}
pub=${3:-}
mkdir -p "$out"
cd "$out"
umask 077

newkey() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }

cat > ext.cnf <<EOC
[root]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[int]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[signer]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = emailProtection
subjectAltName = email:$email
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[wrong]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = emailProtection
subjectAltName = email:other@example.test
authorityKeyIdentifier = keyid
[nods]
basicConstraints = critical, CA:false
keyUsage = critical, nonRepudiation
extendedKeyUsage = emailProtection
subjectAltName = email:$email
authorityKeyIdentifier = keyid
EOC

# pki PREFIX NAME: a root and an e-mail CA (PREFIXca.pem, PREFIXint.pem).
pki() {
	newkey "$1ca.key"
	openssl req -new -x509 -key "$1ca.key" -subj "/O=keyroll test/CN=$2 Root CA" \
		-days 3650 -set_serial 1 -extensions root -config ext.cnf -out "$1ca.pem" 2>/dev/null
	newkey "$1int.key"
	openssl req -new -key "$1int.key" -subj "/O=keyroll test/CN=$2 EMAIL CA" -out "$1int.csr"
	openssl x509 -req -in "$1int.csr" -CA "$1ca.pem" -CAkey "$1ca.key" -set_serial 2 \
		-days 3650 -extfile ext.cnf -extensions int -out "$1int.pem" 2>/dev/null
}

# cert ISSUER-PREFIX NAME EXT EMAIL SERIAL [PUBKEY]: NAME.pem (and NAME.key without PUBKEY).
cert() {
	if [ -n "${6:-}" ]; then
		newkey csr-only.key
		openssl req -new -key csr-only.key -subj "/O=keyroll test/CN=$4/emailAddress=$4" \
			-out "$2.csr"
		openssl x509 -req -in "$2.csr" -force_pubkey "$6" -CA "$1int.pem" -CAkey "$1int.key" \
			-set_serial "$5" -days 1825 -extfile ext.cnf -extensions "$3" -out "$2.pem" 2>/dev/null
		rm -f csr-only.key
	else
		newkey "$2.key"
		openssl req -new -key "$2.key" -subj "/O=keyroll test/CN=$4/emailAddress=$4" -out "$2.csr"
		openssl x509 -req -in "$2.csr" -CA "$1int.pem" -CAkey "$1int.key" -set_serial "$5" \
			-days 1825 -extfile ext.cnf -extensions "$3" -out "$2.pem" 2>/dev/null
	fi
	rm -f "$2.csr"
}

pki "" "keyroll test"
cert "" signer signer "$email" 10 "$pub"
cert "" wrong-email wrong other@example.test 11
cert "" no-ds nods "$email" 12
pki other- "keyroll untrusted"
cert other- other-signer signer "$email" 10
rm -f ./*int.csr ext.cnf
chmod 644 ./*.pem
