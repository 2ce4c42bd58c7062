#!/usr/bin/env bash
# `just bench crawl`: our crawler and Scrapy (the reference) crawl the same generated
# 1,001-page site, served by one local process, with per-host concurrency 8, robots.txt
# obeyed and no delay. Three runs each; the median run is reported with its peak RSS.
# Results go to bench-results/crawl.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-3}
CONCURRENCY=${CONCURRENCY:-8}
OUT=bench-results/crawl.md
VENV=bench/.venv

cargo build --release -q -p onboard-bench
if [ ! -x "$VENV/bin/scrapy" ]; then
  echo "== installing Scrapy into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q scrapy
fi

./target/release/bench-site > /tmp/onboard-bench-site.addr &
SITE=$!
trap 'kill $SITE 2>/dev/null' EXIT
for _ in $(seq 1 50); do [ -s /tmp/onboard-bench-site.addr ] && break; sleep 0.1; done
ADDR=$(cat /tmp/onboard-bench-site.addr)

# Runs a command RUNS times; prints "pages seconds max_rss_kb" of the median-time run.
measure() {
  local lines=()
  for _ in $(seq 1 "$RUNS"); do
    local json rss
    json=$(/usr/bin/time -f '%M' -o /tmp/onboard-bench.rss "$@")
    rss=$(tail -n1 /tmp/onboard-bench.rss)
    lines+=("$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["pages"], d["seconds"], sys.argv[2])' "$json" "$rss")")
  done
  printf '%s\n' "${lines[@]}" | sort -k2 -g | sed -n "$(( (RUNS + 1) / 2 ))p"
}

echo "== our crawler"
read -r OURS_PAGES OURS_SECS OURS_RSS < <(measure ./target/release/bench-crawl "$ADDR" "$CONCURRENCY")
echo "== Scrapy $("$VENV/bin/python" -c 'import scrapy; print(scrapy.__version__)')"
read -r REF_PAGES REF_SECS REF_RSS < <(measure "$VENV/bin/python" bench/scripts/scrapy_crawl.py "$ADDR" "$CONCURRENCY")

python3 - "$OURS_PAGES" "$OURS_SECS" "$OURS_RSS" "$REF_PAGES" "$REF_SECS" "$REF_RSS" "$CONCURRENCY" "$RUNS" > "$OUT" <<'PY'
import sys, datetime, os, platform
op, os_, orss, rp, rs, rrss, conc, runs = sys.argv[1:]
op, rp, conc, runs = int(op), int(rp), int(conc), int(runs)
os_, rs, orss, rrss = float(os_), float(rs), int(orss), int(rrss)
ours, ref = op / os_, rp / rs
print("# Crawl benchmark\n")
print(f"{datetime.date.today()}, {os.cpu_count()} cores, {platform.machine()}; generated 1,001-page site served locally; "
      f"per-host concurrency {conc}, robots.txt obeyed, no delay; median of {runs} runs each.\n")
print("| crawler | pages | seconds | pages/second | peak RSS |")
print("|---|---|---|---|---|")
print(f"| Onboard (release) | {op} | {os_:.2f} | {ours:.0f} | {orss/1024:.1f} MB |")
print(f"| Scrapy (reference) | {rp} | {rs:.2f} | {ref:.0f} | {rrss/1024:.1f} MB |")
print(f"\nRatio: Onboard does **{ours/ref:.2f}x** Scrapy's pages/second (target: at least 3x); "
      f"peak RSS {orss/1024:.1f} MB (target: under 150 MB).")
print("\nOnboard's run includes what the pipeline does per page that Scrapy's does not: the "
      "whole per-page analysis (DOM parse, main content and Markdown, metadata, language, "
      "category, quality, duplicates' hashes, brand and channels). Reproduce with `just bench crawl`.")
PY
cat "$OUT"
