# Onboard's recipes. `just --list` shows them.

pg_url := env_var_or_default("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
redis_url := env_var_or_default("TEST_REDIS_URL", "redis://127.0.0.1:6379")

# The api on the embedded default (SQLite data + queue, worker pools in-process).
run:
    cargo run -p onboard-api

# The whole test suite on the embedded default.
test:
    cargo test --workspace

# The same suite against PostgreSQL and Redis.
test-prod:
    TEST_DATABASE_URL={{pg_url}} TEST_REDIS_URL={{redis_url}} cargo test --workspace -- --include-ignored

# Formatting and lints, as CI checks them.
lint:
    cargo fmt --all -- --check
    cargo clippy --all-targets -- -D warnings

fmt:
    cargo fmt --all

# Regenerate openapi.yaml from the code.
openapi:
    cargo run -q -p onboard-api -- openapi > openapi.yaml

# Run pending migrations against DATABASE_URL (or the embedded default).
migrate:
    cargo run -q -p onboard-api -- migrate

# Production layout locally: api + 2 worker replicas on PostgreSQL + Redis. Ctrl-C stops all.
prod database_url=pg_url redis_url=redis_url:
    #!/usr/bin/env bash
    set -euo pipefail
    cargo build --release -p onboard-worker
    cargo build --release -p onboard-api --no-default-features
    export DATABASE_URL={{database_url}} REDIS_URL={{redis_url}}
    trap 'kill 0' EXIT
    ./target/release/onboard-api migrate
    ONBOARD_RUN_MIGRATIONS=false ONBOARD_WORKER_METRICS_LISTEN=127.0.0.1:9091 ./target/release/onboard-worker run &
    ONBOARD_RUN_MIGRATIONS=false ONBOARD_WORKER_METRICS_LISTEN=127.0.0.1:9092 ./target/release/onboard-worker run &
    ONBOARD_RUN_MIGRATIONS=false ./target/release/onboard-api

# Benchmarks; results go to bench-results/. `just bench crawl|api|extract|jobs`
bench what="crawl":
    bash bench/scripts/{{what}}.sh

# schemathesis against the running api's own spec (all checks, fixed seed).
fuzz:
    bash scripts/fuzz.sh

# Lint openapi.yaml, generate the TypeScript and Python clients and walk the flow with both.
clients:
    bash clients/check.sh
