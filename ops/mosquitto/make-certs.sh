#!/usr/bin/env bash
# Makes a fleet PKI with openssl: a fleet CA, a broker certificate and one client certificate per device (CN = device id).
# Usage: make-certs.sh OUT_DIR BROKER_HOST DEVICE_ID...
#   OUT_DIR/ca.crt ca.key            the fleet CA (keep ca.key offline)
#   OUT_DIR/broker.crt broker.key    for mosquitto's certfile/keyfile; SAN = BROKER_HOST (+ localhost, 127.0.0.1)
#   OUT_DIR/<device>.crt <device>.key one per device; the broker maps CN -> user name (use_identity_as_username)
# Keys are ECDSA P-256. Idempotent for the CA: an existing ca.key is reused, so devices can be added later.
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: $0 OUT_DIR BROKER_HOST [DEVICE_ID...]" >&2; exit 2; }
out=$1; host=$2; shift 2
days=${EDGECL_CERT_DAYS:-825}
mkdir -p "$out"
umask 077
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

if [[ ! -f $out/ca.key ]]; then
  key "$out/ca.key"
  openssl req -x509 -new -key "$out/ca.key" -sha256 -days "$days" -subj "/CN=EdgeCL fleet CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$out/ca.crt"
fi

issue() { # name cn extensions-file
  key "$out/$1.key"
  openssl req -new -key "$out/$1.key" -subj "/CN=$2" -out "$out/$1.csr"
  openssl x509 -req -in "$out/$1.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial -sha256 -days "$days" \
    -extfile "$3" -out "$out/$1.crt" 2>/dev/null
  rm -f "$out/$1.csr"
}

ext=$(mktemp); trap 'rm -f "$ext"' EXIT
if [[ $host =~ ^[0-9.]+$ ]]; then san="IP:$host"; else san="DNS:$host"; fi
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s,DNS:localhost,IP:127.0.0.1\n' "$san" > "$ext"
issue broker "$host" "$ext"

printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' > "$ext"
for id in "$@"; do
  [[ $id =~ ^[A-Za-z0-9._-]{1,64}$ ]] || { echo "make-certs: '$id' is not a valid device id (A-Z a-z 0-9 - _ ., 1-64 chars)" >&2; exit 2; }
  issue "$id" "$id" "$ext"
done
chmod 644 "$out"/*.crt
echo "make-certs: CA, broker ($host) and ${#} device certificate(s) in $out"
