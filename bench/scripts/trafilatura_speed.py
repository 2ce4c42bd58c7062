"""The reference for `just bench extract`: trafilatura's pages/second on the same pages.

Usage: trafilatura_speed.py DATASET_DIR [STEP]. Times trafilatura.extract (decompression
not counted) on every STEP-th page and prints {"pages": n, "seconds": s}.
"""
import gzip
import json
import pathlib
import sys
import time

import trafilatura

dataset = pathlib.Path(sys.argv[1])
step = int(sys.argv[2]) if len(sys.argv) > 2 else 1
pages = sorted((dataset / "html").glob("*.html.gz"))[::step]
seconds = 0.0
for path in pages:
    html = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
    started = time.perf_counter()
    trafilatura.extract(html)
    seconds += time.perf_counter() - started
print(json.dumps({"pages": len(pages), "seconds": seconds}))
