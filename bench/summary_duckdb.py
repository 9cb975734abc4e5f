#!/usr/bin/env python3
"""`threatlens summary`'s work done by DuckDB, for timing the two on the same file.

    python3 bench/summary_duckdb.py FILE.csv[.gz] [--threads N]

Steps (what `threatlens summary FILE --format json` computes): read the CSV into a table
(read_csv with type detection; .gz read by DuckDB), parse the three timestamps, derive
session_duration and bytes_per_sec; count, mean, sample std, min, quartiles and max of the
numeric and derived columns; Pearson correlations between bytes_in, bytes_out, session_duration,
bytes_per_sec and dst_port; missing values per column; the time range; the country and
source-IP rankings (sessions, bytes in and out). Prints the step times to stderr and a one-line
result to stdout. Needs `pip install duckdb`.
"""
import argparse
import sys
import time

import duckdb

NUMERIC = ["bytes_in", "bytes_out", "response.code", "dst_port", "session_duration", "bytes_per_sec"]


def q(name):
    return '"' + name.replace('"', '""') + '"'


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    con = duckdb.connect()
    if a.threads:
        con.execute(f"SET threads = {a.threads}")
    t0 = last = time.perf_counter()
    steps = {}

    def lap(name):
        nonlocal last
        now = time.perf_counter()
        steps[name] = round(now - last, 4)
        last = now

    con.execute("CREATE TABLE raw AS SELECT * FROM read_csv(?, header = true)", [a.file])
    lap("load")
    con.execute(
        """CREATE TABLE t AS SELECT *,
             epoch(CAST(end_time AS TIMESTAMP)) - epoch(CAST(creation_time AS TIMESTAMP)) AS session_duration,
             CASE WHEN epoch(CAST(end_time AS TIMESTAMP)) > epoch(CAST(creation_time AS TIMESTAMP))
                  THEN (bytes_in + bytes_out) / (epoch(CAST(end_time AS TIMESTAMP)) - epoch(CAST(creation_time AS TIMESTAMP)))
             END AS bytes_per_sec
           FROM raw"""
    )
    lap("derive")
    stats = []
    for c in NUMERIC:
        stats.append(
            f"count({q(c)}), avg({q(c)}), stddev_samp({q(c)}), min({q(c)}), "
            f"quantile_cont({q(c)}, [0.25, 0.5, 0.75]), max({q(c)})"
        )
    corr = [
        f"corr({q(x)}, {q(y)})"
        for i, x in enumerate(NUMERIC)
        for y in NUMERIC[i + 1 :]
        if x != "response.code" and y != "response.code"
    ]
    cols = [r[0] for r in con.execute("DESCRIBE raw").fetchall()]
    missing = [f"count(*) - count({q(c)})" for c in cols]
    times = "min(CAST(creation_time AS TIMESTAMP)), max(CAST(end_time AS TIMESTAMP))"
    row = con.execute(f"SELECT {', '.join(stats + corr + missing)}, {times} FROM t").fetchone()
    lap("statistics")
    countries = con.execute(
        "SELECT src_ip_country_code, count(*) n, sum(bytes_in), sum(bytes_out) FROM t "
        "GROUP BY 1 ORDER BY n DESC, 1 LIMIT 10"
    ).fetchall()
    ips = con.execute(
        "SELECT src_ip, count(*) n, sum(bytes_in), sum(bytes_out) FROM t "
        "GROUP BY 1 ORDER BY n DESC, 1 LIMIT 10"
    ).fetchall()
    lap("rankings")
    total = time.perf_counter() - t0
    print(" ".join(f"{k}={v}s" for k, v in steps.items()) + f" total={total:.4f}s", file=sys.stderr)
    print(f"rows={row[0]} countries={len(countries)} top_ip={ips[0][0] if ips else None}")


if __name__ == "__main__":
    main()
