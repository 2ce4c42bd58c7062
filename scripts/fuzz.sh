#!/usr/bin/env bash
# `just fuzz`: schemathesis (installed into a virtual environment from PyPI) runs every
# check against a freshly started api on the embedded default, with a fixed seed and a
# bounded number of examples. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${FUZZ_VENV:-.venv-fuzz}
PORT=${FUZZ_PORT:-18090}
EXAMPLES=${FUZZ_EXAMPLES:-30}

SCHEMATHESIS=4.32.5
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q " $SCHEMATHESIS\$"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS"
fi
cargo build -q -p onboard-api
DATA=$(mktemp -d)
ONBOARD_DATA_DIR=$DATA ONBOARD_LISTEN=127.0.0.1:$PORT RUST_LOG=warn \
  ONBOARD_RATE_LIMIT_READS_PER_MIN=1000000 ONBOARD_RATE_LIMIT_WRITES_PER_MIN=1000000 \
  "${CARGO_TARGET_DIR:-target}/debug/onboard-api" &
API=$!
trap 'kill $API 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
FUZZ_GUEST=$(curl -sf -X POST "http://127.0.0.1:$PORT/api/guest" | python3 -c 'import json,sys; print(json.load(sys.stdin)["uuid"])')
export FUZZ_GUEST
"$VENV/bin/schemathesis" --config-file scripts/schemathesis.toml run "http://127.0.0.1:$PORT/openapi.yaml" \
  --checks all --max-examples "$EXAMPLES" --seed 42 --suppress-health-check all
