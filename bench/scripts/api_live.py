"""The progress poll under the real load (`just bench api`, second part).

1,000 onboarding UIs poll every 2 seconds (a fixed rate spread over their 1,000 poll URLs)
while workers crawl a slow local site, write progress and finish runs, with 16 analyses under
way and the rest waiting. Three rounds in a row cover runs crawling, the first ones finishing
while the next ones start, and crawling again; the static endpoint is measured in the same
run. Prints one JSON object.

    python3 api_live.py postgres|sqlite
"""

import http.client
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

BACKEND = sys.argv[1]
GUESTS = int(os.environ.get("GUESTS", "1000"))
RATE = int(os.environ.get("RATE", "5000"))
ROUND_SECONDS = int(os.environ.get("ROUND_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "50"))
PORT = int(os.environ.get("PORT", "18100"))
SITE_PORT = PORT + 1
# A run crawls PAGES pages of a site that answers each after DELAY_MS, 4 at a time: about
# 15 s a run, so the second round sees the first runs finish and the next ones start.
PAGES = int(os.environ.get("PAGES", "48"))
DELAY_MS = int(os.environ.get("DELAY_MS", "1200"))
RUNNING = 16
PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("REDIS", "redis://127.0.0.1:6379")
TARGET = os.environ.get("CARGO_TARGET_DIR", "target") + "/release"
TOKEN = "bench-admin-token"

data = tempfile.mkdtemp()
procs = []


def spawn(args, env=None):
    proc = subprocess.Popen(
        args,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    procs.append(proc)
    return proc


def call(method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    headers = dict(headers or {})
    if body is not None:
        headers["content-type"] = "application/json"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    payload = response.read()
    assert response.status < 300, (method, path, response.status, payload)
    return json.loads(payload) if payload else None


def wait_for(predicate, what, seconds=120):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def oha(*args):
    out = subprocess.run(
        ["oha", "--no-tui", "--output-format", "json", "-c", str(CONNECTIONS), *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    report = json.loads(out)
    s, p = report["summary"], report["latencyPercentiles"]
    return {
        "rps": round(s["requestsPerSec"]),
        "p50_ms": round(p["p50"] * 1000, 2),
        "p99_ms": round(p["p99"] * 1000, 2),
        "success": s["successRate"],
    }


# TIMELINE=dir keeps every request of the rounds (oha's SQLite output), to line the slow
# ones up with what the workers did at the time.
TIMELINE = os.environ.get("TIMELINE")


def sample_cpu(path, stop, database=None):
    """CPU seconds per process name, and with PostgreSQL what its sessions wait on, every
    100 ms, until `stop` is set (with TIMELINE)."""
    tick = os.sysconf("SC_CLK_TCK")
    with open(path, "w") as out:
        while not stop.is_set():
            totals = {}
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open(f"/proc/{pid}/stat") as f:
                        fields = f.read().rsplit(")", 1)
                    name = fields[0].split("(", 1)[1]
                    rest = fields[1].split()
                    cpu = (int(rest[11]) + int(rest[12])) / tick
                except (OSError, IndexError, ValueError):
                    continue
                key = f"{name}:{pid}" if name.startswith("onboard") else name
                totals[key] = totals.get(key, 0) + cpu
            waits = None
            if database:
                waits = subprocess.run(
                    ["psql", database, "-Atc",
                     "SELECT state, coalesce(wait_event_type, '-'), coalesce(wait_event, '-'), "
                     "left(regexp_replace(query, '\\s+', ' ', 'g'), 50), "
                     "round(extract(epoch FROM now() - query_start) * 1000) "
                     "FROM pg_stat_activity WHERE datname = current_database() "
                     "AND pid <> pg_backend_pid() AND state <> 'idle'"],
                    capture_output=True, text=True,
                ).stdout.splitlines()
            stalls = {}
            for kind in ("cpu", "io"):
                try:
                    with open(f"/proc/pressure/{kind}") as f:
                        # Microseconds some task waited on the resource, so far.
                        stalls[kind] = int(f.readline().rsplit("total=", 1)[1])
                except OSError:
                    pass
            with open("/proc/vmstat") as f:
                for line in f:
                    if line.startswith(("pgmajfault ", "pgpgout ")):
                        name, value = line.split()
                        stalls[name] = int(value)
            out.write(json.dumps({"t": time.time(), "cpu": totals, "pg": waits, "stalls": stalls}) + "\n")
            stop.wait(0.1)


def fixed_rate(seconds, *target):
    return oha("-z", f"{seconds}s", "-q", str(RATE), "--latency-correction", *target)


def saturation(seconds, *target):
    return oha("-z", f"{seconds}s", *target)


if BACKEND == "postgres":
    name = f"onboard_bench_live_{os.getpid()}"
    subprocess.run(["psql", PG_URL, "-qc", f"DROP DATABASE IF EXISTS {name}", "-c", f"CREATE DATABASE {name}"], check=True)
    database = PG_URL.rsplit("/", 1)[0] + "/" + name

    def counts():
        out = subprocess.run(
            ["psql", database, "-Atc", "SELECT status, count(*) FROM analysis_runs GROUP BY 1"],
            check=True, capture_output=True, text=True,
        ).stdout
        return {s: int(n) for s, n in (line.split("|") for line in out.split())}

    def writes():
        # Rows the round updated or inserted per table (PostgreSQL's statistics), to see what
        # the database was doing while the poll's tail moved.
        out = subprocess.run(
            ["psql", database, "-Atc", "SELECT pg_stat_force_next_flush()",
             "-c", "SELECT relname, n_tup_upd, n_tup_ins, autovacuum_count + autoanalyze_count "
                   "FROM pg_stat_user_tables"],
            check=True, capture_output=True, text=True,
        ).stdout
        return {rel: tuple(map(int, v)) for rel, *v in (l.split("|") for l in out.split() if l.count("|") == 3)}
else:
    database = f"sqlite://{data}/onboard.db?mode=rwc"

    def counts():
        with sqlite3.connect(f"file:{data}/onboard.db?mode=ro", uri=True, timeout=5) as db:
            return dict(db.execute("SELECT status, count(*) FROM analysis_runs GROUP BY 1").fetchall())

    def writes():
        return {}

env = {
    "ONBOARD_LISTEN": f"127.0.0.1:{PORT}",
    "ONBOARD_DATA_DIR": data,
    "DATABASE_URL": database,
    "RUST_LOG": "warn",
    "ONBOARD_ADMIN_TOKEN": TOKEN,
    "ONBOARD_RATE_LIMIT_READS_PER_MIN": "100000000",
    "ONBOARD_RATE_LIMIT_WRITES_PER_MIN": "100000000",
    # Every guest comes from this machine: lift the per-client and per-domain bounds.
    "ONBOARD_MAX_ANALYSES_PER_CLIENT": "1000000",
    "ONBOARD_MAX_ANALYSES_PER_DOMAIN": "1000000",
    "ONBOARD_ANALYSIS_SLOTS_PER_CLIENT": "1000000",
    "ONBOARD_CRAWL_ALLOW_CIDRS": "127.0.0.1/32",
    "ONBOARD_CRAWL_MAX_PAGES": str(PAGES),
}
try:
    spawn([f"{TARGET}/bench-site", f"127.0.0.1:{SITE_PORT}", str(DELAY_MS)])
    if BACKEND == "postgres":
        env.update({"REDIS_URL": REDIS, "ONBOARD_QUEUE_PREFIX": f"bench-live-{os.getpid()}",
                    "ONBOARD_ANALYSIS_CONCURRENCY": str(RUNNING // 2)})
        subprocess.run([f"{TARGET}/onboard-api", "migrate"], env={**os.environ, **env}, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        env["ONBOARD_RUN_MIGRATIONS"] = "false"
        spawn([f"{TARGET}/onboard-api"], env)
        for i in range(2):
            spawn([f"{TARGET}/onboard-worker", "run"],
                  {**env, "ONBOARD_WORKER_METRICS_LISTEN": f"127.0.0.1:{PORT + 10 + i}"})
    else:
        # The embedded default: one process, the worker pools inside the api.
        env["ONBOARD_ANALYSIS_CONCURRENCY"] = str(RUNNING)
        spawn([f"{TARGET}/onboard-api"], env)

    def up():
        try:
            call("GET", "/healthz")
            return True
        except OSError:
            return False

    wait_for(up, "the api")
    guests = []
    created_from = time.monotonic()
    for _ in range(GUESTS):
        guest = call("POST", "/api/guest")["uuid"]
        call("POST", f"/api/onboarding/config?user_uuid={guest}", {"domain": f"127.0.0.1:{SITE_PORT}"})
        guests.append(guest)
    created_to = time.monotonic()
    urls = os.path.join(data, "urls.txt")
    with open(urls, "w") as f:
        for guest in guests:
            f.write(f"http://127.0.0.1:{PORT}/api/onboarding/progress-steps?user_uuid={guest}\n")

    static = {
        "saturation": saturation(5, f"http://127.0.0.1:{PORT}/healthz"),
        "fixed": fixed_rate(5, f"http://127.0.0.1:{PORT}/healthz"),
    }
    for guest in guests:
        call("POST", f"/api/onboarding/analysis?user_uuid={guest}")
    wait_for(lambda: counts().get("running", 0) >= RUNNING, f"{RUNNING} runs under way")

    # The UIs were polling before the rounds: their first polls (each a database read) are
    # not part of the steady load measured.
    fixed_rate(5, "--urls-from-file", urls)
    rounds = []
    if TIMELINE:
        import threading
        stop_sampling = threading.Event()
        threading.Thread(target=sample_cpu, args=(f"{TIMELINE}/cpu.jsonl", stop_sampling, database if BACKEND == "postgres" else None), daemon=True).start()
    for i in range(3):
        before, written = counts(), writes()
        started = time.monotonic()
        timeline = ["--db-url", f"{TIMELINE}/round{i + 1}.db"] if TIMELINE else []
        wall = time.time()
        probe = None
        if TIMELINE:
            # The static endpoint at a low rate beside the poll: whether a slow moment is the
            # poll's or the whole process's.
            probe = subprocess.Popen(
                ["oha", "--no-tui", "-c", "2", "-z", f"{ROUND_SECONDS}s", "-q", "200", "--latency-correction",
                 "--db-url", f"{TIMELINE}/probe{i + 1}.db", f"http://127.0.0.1:{PORT}/healthz"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        result = fixed_rate(ROUND_SECONDS, "--urls-from-file", urls, *timeline)
        if probe:
            probe.wait()
        result["began_at"] = wall
        after = counts()
        result["seconds"] = round(time.monotonic() - started, 1)
        # How long ago the guests were created (their last recorded activity, first to last)
        # when the round began.
        result["guest_age_s"] = [round(started - created_to), round(started - created_from)]
        result["succeeded_during"] = after.get("succeeded", 0) - before.get("succeeded", 0)
        result["running_after"] = after.get("running", 0)
        result["failed_after"] = after.get("failed", 0)
        result["rows_written"] = {
            rel: {"updated": u - written.get(rel, (0, 0, 0))[0],
                  "inserted": i - written.get(rel, (0, 0, 0))[1],
                  "autovacuumed": a - written.get(rel, (0, 0, 0))[2]}
            for rel, (u, i, a) in writes().items()
            if (u, i, a) != written.get(rel, (0, 0, 0))
        }
        rounds.append(result)
    if TIMELINE:
        stop_sampling.set()
    # The machine's floor: the static endpoint at the same fixed rate under the same load
    # (runs still crawling), which no change to the poll can beat.
    static["fixed_loaded"] = fixed_rate(ROUND_SECONDS, f"http://127.0.0.1:{PORT}/healthz")
    # At saturation, the poll against the static endpoint under the same load (runs still
    # under way), alternating, median of three 5-second runs each.
    pairs = [(saturation(5, f"http://127.0.0.1:{PORT}/healthz"), saturation(5, "--urls-from-file", urls))
             for _ in range(3)]
    static["saturation_loaded"] = sorted((s for s, _ in pairs), key=lambda r: r["rps"])[1]
    poll_saturation = sorted((p for _, p in pairs), key=lambda r: r["rps"])[1]
    poll_saturation["vs_static"] = round(poll_saturation["rps"] / static["saturation_loaded"]["rps"], 2)
    if TIMELINE and BACKEND == "postgres":
        subprocess.run(["psql", database, "-c", f"\\copy (SELECT id, extract(epoch FROM started_at), extract(epoch FROM completed_at) FROM analysis_runs WHERE completed_at IS NOT NULL) TO '{TIMELINE}/runs.csv' CSV",
                        "-c", f"\\copy (SELECT id, kind, extract(epoch FROM started_at), extract(epoch FROM finished_at) FROM maintenance_runs) TO '{TIMELINE}/maintenance.csv' CSV"], check=True, stdout=subprocess.DEVNULL)
    print(json.dumps({
        "backend": BACKEND,
        "guests": GUESTS,
        "rate": RATE,
        "round_seconds": ROUND_SECONDS,
        "static": static,
        "rounds": rounds,
        "poll_saturation": poll_saturation,
        "runs": counts(),
    }))
finally:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    if BACKEND == "postgres":
        subprocess.run(["psql", PG_URL, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])
        subprocess.run(f"redis-cli --scan --pattern 'bench-live-{os.getpid()}:*' | xargs -r redis-cli del",
                       shell=True, stdout=subprocess.DEVNULL)
    subprocess.run(["rm", "-rf", data])
