#!/usr/bin/env bash
# The clients check (`just clients`, and CI after the Rust suites): lint openapi.yaml with
# Redocly, generate the TypeScript client (openapi-typescript + openapi-fetch) and the
# Python client (openapi-python-client) from it, compile the TypeScript flow with
# `tsc --strict` and type-check the reference page at `/` with `tsc --checkJs`, then run
# both flows against the api started on the embedded default and a local website. Tools
# are pinned: npm ones in package.json (installed into node_modules), PyPI ones below
# (installed into .venv); both folders are ignored and reused.
set -euo pipefail
cd "$(dirname "$0")"
OPENAPI_PYTHON_CLIENT=0.29.1
API_PORT=${CLIENTS_API_PORT:-18091}
SITE_PORT=${CLIENTS_SITE_PORT:-18092}

echo "== clients: installing pinned tools"
if ! cmp -s package-lock.json node_modules/.installed-from-lock; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.installed-from-lock
fi
if ! .venv/bin/openapi-python-client --version 2>/dev/null | grep -q " $OPENAPI_PYTHON_CLIENT\$"; then
  python3 -m venv .venv
  .venv/bin/pip install -q "openapi-python-client==$OPENAPI_PYTHON_CLIENT"
fi

echo "== clients: redocly lint"
npx redocly lint ../openapi.yaml --config redocly.yaml

echo "== clients: generate"
mkdir -p .build
node typescript/generate.mjs
rm -rf python/generated
# Its notes (no formatter installed; the logo download, an image, has no model) go to a log.
.venv/bin/openapi-python-client generate --path ../openapi.yaml --output-path python/generated/onboard_api_client \
  --meta none --overwrite >.build/python-generate.log 2>&1 \
  || { cat .build/python-generate.log; exit 1; }

echo "== clients: tsc --strict"
# The flow type-checks as written: no escape hatch from the generated types (`any`, a cast,
# a non-null assertion, a @ts- directive).
if grep -n '@ts-' typescript/flow.ts \
  || grep -vE '^\s*//' typescript/flow.ts | grep -nE '\bas [A-Za-z{(]|\bany\b|[A-Za-z0-9_)\]]!\.'; then
  echo "typescript/flow.ts escapes the generated types" >&2
  exit 1
fi
npx tsc -p typescript

echo "== clients: the reference page (tsc --checkJs --strict)"
# The page at `/` is plain ES modules with JSDoc types over the same generated types; it
# serves a copy of openapi-fetch, which must be the pinned package's file unchanged.
PAGE=../api/src/onboarding_page/assets
if ! cmp -s node_modules/openapi-fetch/dist/index.mjs "$PAGE/vendor/openapi-fetch.mjs"; then
  echo "$PAGE/vendor/openapi-fetch.mjs differs from the pinned openapi-fetch; copy" \
    "node_modules/openapi-fetch/dist/index.mjs there" >&2
  exit 1
fi
# No escape from the types: no @ts- directive, no JSDoc cast `/** @type {T} */ (x)`, no
# `any` in a JSDoc type.
if grep -nE '@ts-|\*/ *\(|\{[^}]*\bany\b[^}]*\}' "$PAGE"/*.js; then
  echo "the reference page escapes the generated types" >&2
  exit 1
fi
npx tsc -p "$PAGE"
npx prettier --check "$PAGE"/*.js "$PAGE"/*.css "$PAGE"/*.html

echo "== clients: run both flows against the api on the embedded default"
cargo build -q -p onboard-api
DATA=$(mktemp -d)
python3 site.py "$SITE_PORT" &
SITE=$!
ONBOARD_DATA_DIR=$DATA ONBOARD_LISTEN=127.0.0.1:$API_PORT RUST_LOG=warn \
  ONBOARD_CRAWL_ALLOW_CIDRS=127.0.0.1/32 \
  "${CARGO_TARGET_DIR:-../target}/debug/onboard-api" &
API=$!
trap 'kill $API $SITE 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$API_PORT/healthz" >/dev/null && break; sleep 0.1; done
export ONBOARD_URL=http://127.0.0.1:$API_PORT SITE_DOMAIN=127.0.0.1:$SITE_PORT
node .build/typescript/flow.js
PYTHONPATH=python/generated .venv/bin/python python/flow.py
