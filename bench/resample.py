#!/usr/bin/env python3
"""Writes a CloudWatch-shaped CSV of N rows resampled from a real one, as a user's traffic would be.

    python3 bench/resample.py REAL.csv --rows 1000000 [--seed 1] [--days 30] -o OUT.csv

Rows are drawn from REAL.csv with replacement; bytes_in and bytes_out are multiplied by a
log-normal jitter (sigma 0.6) so values do not repeat; creation_time is spread uniformly over
--days days from the real file's first timestamp, end_time keeps the row's original duration
(plus up to ±30 s), and `time` follows creation_time. Source IPs keep their /24 and get a random
last octet a quarter of the time, so rankings have a long tail. Nothing of the real file is
copied into the project: the output goes where -o says (bench/data/ is git-ignored).
Standard library only.
"""
import argparse
import csv
import datetime as dt
import math
import random
import sys


def parse(ts):
    return dt.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ")


def fmt(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("real")
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--days", type=float, default=30.0)
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()
    with open(a.real, newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames
        rows = list(reader)
    if not rows:
        sys.exit(f"resample.py: {a.real} has no rows")
    rng = random.Random(a.seed)
    start = min(parse(r["creation_time"]) for r in rows)
    span = a.days * 86400.0
    with open(a.output, "w", newline="") as out:
        w = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
        w.writeheader()
        for _ in range(a.rows):
            r = dict(rng.choice(rows))
            for k in ("bytes_in", "bytes_out"):
                r[k] = str(max(0, int(round(int(r[k]) * math.exp(rng.gauss(0.0, 0.6))))))
            created, ended = parse(r["creation_time"]), parse(r["end_time"])
            duration = (ended - created).total_seconds() + rng.randint(-30, 30)
            t = start + dt.timedelta(seconds=int(rng.random() * span))
            r["creation_time"] = fmt(t)
            r["end_time"] = fmt(t + dt.timedelta(seconds=max(1, int(duration))))
            r["time"] = r["creation_time"]
            if rng.random() < 0.25:
                ip = r["src_ip"].split(".")
                if len(ip) == 4:
                    ip[3] = str(rng.randint(1, 254))
                    r["src_ip"] = ".".join(ip)
            w.writerow(r)


if __name__ == "__main__":
    main()
