#!/usr/bin/env bash
# `just bench jobs`: the job system, on Redis (+ PostgreSQL) and on the embedded SQLite queue.
# Per backend: time from enqueue to the run starting (p50, p99) idle and under a steady load,
# the drain rate of a 20,000-run backlog through the production path, and the drain rate of
# jobs that each do one database write through a pool with our settings; on Redis, a bare
# apalis-redis worker draining no-op jobs from the same Redis in the same run is the
# reference (drains alternate with it, median of 3 rounds each). Results go to
# bench-results/jobs.md. Needs PostgreSQL and Redis running (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=bench-results/jobs.md
BIN=${CARGO_TARGET_DIR:-target}/release/bench-jobs

cargo build --release -q -p onboard-bench --bin bench-jobs
runs=$(mktemp -d)
trap 'rm -rf "$runs"' EXIT
for backend in redis sqlite; do
  echo "== $backend"
  "$BIN" "$backend" > "$runs/$backend.json"
done

python3 - "$runs" "$(nproc)" > "$OUT" <<'PY'
import datetime, json, sys
folder, cores = sys.argv[1], sys.argv[2]
r = {b: json.load(open(f"{folder}/{b}.json")) for b in ("redis", "sqlite")}
ms = lambda s: f"{s['p50_ms']:.0f} / {s['p99_ms']:.0f} ms"
print("# Job system benchmark\n")
print(f"{datetime.date.today()}, {cores} cores shared with PostgreSQL and Redis; release build; "
      f"{r['redis']['concurrency']} analysis jobs at once, {r['redis']['poll_ms']} ms poll interval.\n")
print("Pickup is enqueue (`queued_at`) to the lease claim (`started_at`); load is "
      f"{r['redis']['ours']['load_rate_per_sec']} runs/s for {r['redis']['ours']['load']['n'] // r['redis']['ours']['load_rate_per_sec']} s. "
      "Analysis runs take the production path (the api's create + enqueue, admission, lease "
      "claim, progress writes) and fail at Domain Validation at once (no network). One-write "
      "jobs are pushed in admission's batches and each does one `UPDATE`.\n")
print("| backend | idle pickup p50 / p99 | loaded pickup p50 / p99 | analysis drain (20,000 runs) | one-write drain | bare apalis drain |")
print("|---|---|---|---|---|---|")
for name, b in r.items():
    o = b["ours"]
    bare = f"{b['bare']['drain']['per_sec']:,.0f} jobs/s" if "bare" in b else "—"
    print(f"| {name} | {ms(o['idle'])} | {ms(o['load'])} | {o['drain']['per_sec']:,.0f} runs/s "
          f"({o['drain']['seconds']:.0f} s) | {b['one_write_drain']['per_sec']:,.0f} jobs/s | {bare} |")
b = r["redis"]
print(f"\nBare apalis-redis idle pickup (push to handler): {ms(b['bare']['idle'])}.\n")
w = b["one_write_drain"]
print(f"One-write pool on Redis: {w['mean_busy_slots']:.1f} of {b['concurrency']} slots inside a job on "
      f"average, each write {w['mean_write_ms']:.1f} ms; the rest of the time the slots wait for "
      "the worker's fetches and acknowledgements, which apalis makes one after another.\n")
one, full = b["ratio_one_write_to_bare"], b["ratio_analysis_to_bare"]
worst = max(x["ours"][k]["p99_ms"] for x in r.values() for k in ("idle", "load"))
print("Targets:\n")
print(f"- pickup p99 under 1 s: worst {worst:.0f} ms {'✓' if worst < 1000 else '✗'}")
print(f"- one-write drain at least half the bare rate: **{one:.2f}×** {'✓' if one >= 0.5 else '✗'}")
print(f"- (not a target) a whole analysis run against a bare no-op job: {full:.2f}×; a run is a "
      "lease claim returning the row, a site read, two progress writes and three progress "
      "notices, not one write.")
print("\n<details><summary>raw</summary>\n")
for name, b in r.items():
    print(f"```json\n{json.dumps(b, indent=1)}\n```")
print("</details>")
PY
cat "$OUT"
