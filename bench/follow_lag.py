#!/usr/bin/env python3
"""Lag of `threatlens detect --follow`: from a row being written to its flagged line being printed.

Appends demo rows to a followed file at RATE rows per second (in writes every 10 ms) for SECONDS,
planting every PLANT-th row as an extreme one whose bytes_in (900000000 + k) names it, and times
each planted row from the end of the write that held it to the moment its JSON line is read from
threatlens' stdout. Prints rows written, the rate reached, planted rows seen, and the lag median,
95th percentile and maximum.

Usage: bench/follow_lag.py [BINARY] [--rate 50000] [--seconds 10] [--plant 5000]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary", nargs="?", default="target/release/threatlens")
    ap.add_argument("--rate", type=int, default=50_000)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--plant", type=int, default=5000)
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="follow-lag-")
    path = os.path.join(tmp, "live.csv")
    demo = subprocess.run([a.binary, "demo", "--rows", "200000", "--seed", "3"],
                          check=True, capture_output=True, text=True).stdout.splitlines()
    header, pool = demo[0], demo[1:]
    with open(path, "w") as f:
        f.write(header + "\n" + "\n".join(pool[:5000]) + "\n")
    pool = pool[5000:]

    proc = subprocess.Popen([a.binary, "detect", "--follow", path, "--format", "jsonl"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    ready = threading.Event()
    stderr_lines = []

    def read_stderr():
        for line in proc.stderr:
            stderr_lines.append(line)
            if "flagging rows scoring above" in line:
                ready.set()

    threading.Thread(target=read_stderr, daemon=True).start()
    if not ready.wait(120):
        sys.exit("threatlens did not start following:\n" + "".join(stderr_lines))

    written = {}  # planted id -> time its write ended
    seen = {}  # planted id -> time its line was read

    def read_stdout():
        for line in proc.stdout:
            t = time.monotonic()
            b = int(json.loads(line).get("bytes_in") or 0)
            if b >= 900_000_000:
                seen[b - 900_000_000] = t

    reader = threading.Thread(target=read_stdout, daemon=True)
    reader.start()

    period = 0.01
    per_write = max(1, round(a.rate * period))
    rows = 0
    planted = 0
    start = time.monotonic()
    with open(path, "a") as f:
        while time.monotonic() - start < a.seconds:
            due = start + (rows // per_write) * period
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            chunk = []
            ids = []
            for _ in range(per_write):
                line = pool[rows % len(pool)]
                if rows % a.plant == a.plant - 1:
                    rest = line.split(",", 2)[2]
                    chunk.append(f"{900_000_000 + planted},{450_000_000 + planted},{rest}")
                    ids.append(planted)
                    planted += 1
                else:
                    chunk.append(line)
                rows += 1
            f.write("\n".join(chunk) + "\n")
            f.flush()
            t = time.monotonic()
            for i in ids:
                written[i] = t
    elapsed = time.monotonic() - start
    deadline = time.monotonic() + 10
    while len(seen) < planted and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.terminate()
    proc.wait(10)
    lags = sorted((seen[i] - written[i]) * 1000 for i in written if i in seen)
    print(f"rows written {rows} in {elapsed:.2f} s ({rows / elapsed:.0f} rows/s), "
          f"planted {planted}, printed {len(lags)}")
    if lags:
        p95 = lags[min(len(lags) - 1, int(len(lags) * 0.95))]
        print(f"lag ms: median {statistics.median(lags):.1f}, p95 {p95:.1f}, max {lags[-1]:.1f}")
    print("exit code", proc.returncode, "·", stderr_lines[-1].strip() if stderr_lines else "")


if __name__ == "__main__":
    main()
