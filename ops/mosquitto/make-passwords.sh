#!/usr/bin/env bash
# Creates a mosquitto password file for a fleet: one random password per device id, plus the operator account.
# Usage: make-passwords.sh PASSWD_FILE DEVICE_ID... ; prints "device password" lines for provisioning (store them safely).
# mosquitto_passwd stores PBKDF2-SHA512 hashes; the clear passwords exist only in this script's output.
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: $0 PASSWD_FILE DEVICE_ID... (ids from A-Z a-z 0-9 - _ .)" >&2; exit 2; }
command -v mosquitto_passwd >/dev/null || { echo "make-passwords: mosquitto_passwd not found; apt-get install mosquitto" >&2; exit 1; }
file=$1; shift
umask 077
: > "$file"
for id in "$@" edgecl-operator; do
  [[ $id =~ ^[A-Za-z0-9._-]{1,64}$ ]] || { echo "make-passwords: '$id' is not a valid device id (A-Z a-z 0-9 - _ ., 1-64 chars)" >&2; exit 2; }
  pw=$(openssl rand -base64 18 | tr '+/' '-_')
  mosquitto_passwd -b "$file" "$id" "$pw"
  echo "$id $pw"
done
