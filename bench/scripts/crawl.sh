#!/usr/bin/env bash
# `just bench crawl`: our crawler (with the whole per-page analysis) and Scrapy (the
# reference) crawl the same sites with the same per-host concurrency, robots.txt obeyed and
# no delay:
# - a generated 1,001-page site served by one local process (`bench-site`);
# - a real one: the PostgreSQL 15 documentation (1,173 HTML pages, Debian's
#   postgresql-doc-15) served by nginx (Debian's nginx-light), both installed here when
#   missing.
# The two crawlers alternate, $RUNS runs each per site; pages/second is the median of each
# side's runs, the ratio the median of the per-pair ratios, and peak RSS that of each
# side's median run. Results go to bench-results/crawl.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-5}
CONCURRENCY=${CONCURRENCY:-8}
OUT=bench-results/crawl.md
VENV=bench/.venv
DOCS=/usr/share/doc/postgresql-doc-15/html

cargo build --release -q -p onboard-bench
SCRAPY=2.19.0
if ! "$VENV/bin/python" -c "import scrapy; assert scrapy.__version__ == '$SCRAPY'" 2>/dev/null; then
  echo "== installing Scrapy $SCRAPY into $VENV"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "scrapy==$SCRAPY"
fi
if [ ! -f "$DOCS/index.html" ] || [ ! -x /usr/sbin/nginx ]; then
  echo "== installing postgresql-doc-15 and nginx-light"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql-doc-15 nginx-light >/dev/null
fi

work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT

./target/release/bench-site > "$work/site.addr" &
pids+=($!)
for _ in $(seq 1 50); do [ -s "$work/site.addr" ] && break; sleep 0.1; done
GENERATED=$(cat "$work/site.addr")

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx.error.log;
events { worker_connections 1024; }
http {
  access_log off;
  include /etc/nginx/mime.types;
  server { listen 127.0.0.1:$PORT; root $DOCS; index index.html; }
}
EOF
/usr/sbin/nginx -c "$work/nginx.conf" -p "$work" &
pids+=($!)
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/" >/dev/null && break; sleep 0.1; done
POSTGRES_DOCS=127.0.0.1:$PORT

# One run: prints "pages seconds max_rss_kb".
run() {
  local json rss
  json=$(/usr/bin/time -f '%M' -o "$work/rss" "$@")
  rss=$(tail -n1 "$work/rss")
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["pages"], d["seconds"], sys.argv[2])' "$json" "$rss"
}

SCRAPY_VERSION=$("$VENV/bin/python" -c 'import scrapy; print(scrapy.__version__)')
for site in generated postgres-docs; do
  addr=$GENERATED; [ "$site" = postgres-docs ] && addr=$POSTGRES_DOCS
  for i in $(seq 1 "$RUNS"); do
    echo "== $site, run $i/$RUNS: our crawler, then Scrapy $SCRAPY_VERSION"
    run ./target/release/bench-crawl "$addr" "$CONCURRENCY" >> "$work/$site.ours"
    run "$VENV/bin/python" bench/scripts/scrapy_crawl.py "$addr" "$CONCURRENCY" >> "$work/$site.scrapy"
  done
done

python3 - "$work" "$CONCURRENCY" "$RUNS" "$SCRAPY_VERSION" > "$OUT" <<'PY'
import sys, datetime, os, platform, statistics
work, conc, runs, scrapy_version = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

def load(name):
    return [tuple(float(x) for x in line.split()) for line in open(f"{work}/{name}")]

def median_run(rows):
    by_rate = sorted(rows, key=lambda r: r[0] / r[1])
    return by_rate[len(by_rate) // 2]

SITES = [
    ("generated", "generated 1,001-page site (10-15 KB pages), one local process"),
    ("postgres-docs", "PostgreSQL 15 documentation (1,173 real pages, Debian's postgresql-doc-15), nginx"),
]
print("# Crawl benchmark\n")
print(f"{datetime.date.today()}, {os.cpu_count()} cores, {platform.machine()}; per-host concurrency "
      f"{conc}, robots.txt obeyed, no delay; the two crawlers alternate, {runs} runs each per site; "
      "medians.\n")
print("| site | crawler | pages | pages/second (median) | peak RSS (median run) | ratio |")
print("|---|---|---|---|---|---|")
summary = []
for key, label in SITES:
    ours, theirs = load(f"{key}.ours"), load(f"{key}.scrapy")
    ratio = statistics.median(o[0] / o[1] / (t[0] / t[1]) for o, t in zip(ours, theirs))
    o, t = median_run(ours), median_run(theirs)
    print(f"| {label} | Onboard (release) | {o[0]:.0f} | {statistics.median(r[0] / r[1] for r in ours):.0f} "
          f"| {o[2] / 1024:.1f} MB | **{ratio:.2f}x** |")
    print(f"| | Scrapy {scrapy_version} | {t[0]:.0f} | {statistics.median(r[0] / r[1] for r in theirs):.0f} "
          f"| {t[2] / 1024:.1f} MB | |")
    summary.append((key, ratio, max(r[2] for r in ours) / 1024))
print()
for key, ratio, rss in summary:
    print(f"- {key}: Onboard does **{ratio:.2f}x** Scrapy's pages/second (target: at least 3x); "
          f"highest peak RSS of its runs {rss:.1f} MB (target: under 150 MB).")
print("- All runs (pages/second), Onboard then Scrapy: " + "; ".join(
    f"{key}: " + ", ".join(f"{r[0] / r[1]:.0f}" for r in load(f"{key}.ours")) + " / "
    + ", ".join(f"{r[0] / r[1]:.0f}" for r in load(f"{key}.scrapy")) for key, _ in SITES) + ".")
print("\nOnboard's runs include what the pipeline does per page that Scrapy's do not: the "
      "whole per-page analysis (DOM parse, main content and Markdown, metadata, language, "
      "category, quality, duplicates' hashes, brand and channels). Reproduce with `just bench crawl`.")
PY
cat "$OUT"
