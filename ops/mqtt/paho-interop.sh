#!/usr/bin/env bash
# paho-interop.sh - Eclipse Paho's MQTT interoperability client tests (client_test.py for 3.1.1, client_test5.py for
# 5.0) against mosquitto and against EdgeCL's embedded broker, side by side on loopback ports, in an open test mode
# (anonymous, no ACL: the protocol alone). Prints one row per test and writes ops/mqtt/paho-interop.tsv.
#
#   ops/mqtt/paho-interop.sh PAHO_REPO [EDGECL]
#
#   PAHO_REPO  a checkout of eclipse/paho.mqtt.testing (not vendored here; CI has no copy, so its test skips)
#   EDGECL     the edgecl binary or edgecl.dll to run (default: the Release build of src/EdgeCL.Cli)
#
# Exit 0 when the embedded broker passes every test mosquitto passes, apart from the differences listed in
# ops/mqtt/README.md (BY_DESIGN and ENGINE_GAPS below); 1 otherwise. Needs mosquitto and Debian's python3 (no extra modules).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PAHO=${1:?usage: ops/mqtt/paho-interop.sh PAHO_REPO [EDGECL]}
EDGECL=${2:-$ROOT/src/EdgeCL.Cli/bin/Release/net10.0/edgecl.dll}
[ -f "$PAHO/interoperability/client_test.py" ] || { echo "paho-interop: $PAHO has no interoperability/client_test.py; give a checkout of eclipse/paho.mqtt.testing" >&2; exit 2; }
command -v mosquitto >/dev/null || { echo "paho-interop: mosquitto is not installed (apt-get install mosquitto)" >&2; exit 2; }
# Differences explained in ops/mqtt/README.md: by design (no persistent sessions, no shared subscriptions), topic alias 0
# (MQTTnet's decoder reads it as "no alias"), and test_unsubscribe, which does not always pass in a full run.
BY_DESIGN="test_offline_message_queueing test_redelivery_on_reconnect test_session_expiry test_publication_expiry test_will_delay"
ENGINE_GAPS="test_shared_subscriptions test_client_topic_alias test_unsubscribe"

WORK=$(mktemp -d)
MOSQ_PORT=$((21000 + $$ % 2000)); EMB_PORT=$((MOSQ_PORT + 1))
cleanup() { [ -z "${MOSQ_PID:-}" ] || kill "$MOSQ_PID" 2>/dev/null || true; [ -z "${EMB_PID:-}" ] || kill "$EMB_PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$MOSQ_PORT" > "$WORK/mosquitto.conf"
mosquitto -c "$WORK/mosquitto.conf" > "$WORK/mosquitto.log" 2>&1 & MOSQ_PID=$!
if [[ "$EDGECL" == *.dll ]]; then RUN=(dotnet "$EDGECL"); else RUN=("$EDGECL"); fi
ORT_DISABLE_TELEMETRY=1 "${RUN[@]}" broker --port "$EMB_PORT" --open-for-testing > "$WORK/embedded.log" 2>&1 & EMB_PID=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$WORK/embedded.log" 2>/dev/null && break
  sleep 0.1
done
grep -q "listening on" "$WORK/embedded.log" || { cat "$WORK/embedded.log" >&2; echo "paho-interop: the embedded broker did not start" >&2; exit 1; }

# test_flow_control2 sends 65,535 QoS 2 messages to a broker that advertises no Receive Maximum and waits for a disconnect
# neither broker gives: it ran out its 120 s on both, twice each, in both full runs (8 of the 23 minutes of one). Skipped.
SKIP=(--skip test_flow_control2)
for v in 3 5; do
  /usr/bin/python3 "$ROOT/ops/mqtt/paho_interop.py" "$PAHO" "$MOSQ_PORT" "$v" "${SKIP[@]}" > "$WORK/mosquitto-$v.tsv" 2>"$WORK/mosquitto-$v.err" || true
  /usr/bin/python3 "$ROOT/ops/mqtt/paho_interop.py" "$PAHO" "$EMB_PORT" "$v" "${SKIP[@]}" > "$WORK/embedded-$v.tsv" 2>"$WORK/embedded-$v.err" || true
done

OUT="$ROOT/ops/mqtt/paho-interop.tsv"
printf 'mqtt\ttest\tmosquitto\tedgecl-embedded\n' > "$OUT"
bad=0
for v in 3 5; do
  while IFS=$'\t' read -r _ name mosq; do
    emb=$(awk -F'\t' -v n="$name" '$2 == n { print $3 }' "$WORK/embedded-$v.tsv")
    printf '%s\t%s\t%s\t%s\n' "$v" "$name" "$mosq" "${emb:-missing}" >> "$OUT"
    if [[ "$mosq" == pass || "$mosq" == flaky ]] && [[ "${emb:-missing}" != pass && "${emb:-missing}" != flaky ]] && ! grep -qw "$name" <<<"$BY_DESIGN $ENGINE_GAPS"; then
      echo "paho-interop: MQTT $v $name passes on mosquitto but is '${emb:-missing}' on the embedded broker" >&2
      bad=1
    fi
  done < "$WORK/mosquitto-$v.tsv"
done
column -t -s $'\t' "$OUT"
for f in "$WORK"/*.err; do tail -n 1 "$f" | sed "s|^|$(basename "$f" .err): |"; done
exit $bad
