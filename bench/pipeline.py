#!/usr/bin/env python3
"""The reference notebooks' pipeline in pandas + scikit-learn, for timing against threatlens.

    python3 bench/pipeline.py FILE.csv[.gz] [-o RESULT.json]

Steps (the work `threatlens report` does, the notebooks' way):
  1. load the CSV (pandas.read_csv with its defaults, as the notebooks do; .gz is read by pandas);
  2. parse creation_time, end_time and time with pandas.to_datetime;
  3. derive session_duration (seconds) and bytes_per_sec = (bytes_in + bytes_out) / session_duration
     (the notebooks' avg_packet_size; a zero or negative duration gives NaN, as threatlens does);
  4. describe() of the numeric columns; their correlation matrix; data quality: missing values per
     column, duplicated rows, values outside each numeric column's 1.5 x IQR fences (the notebooks'
     corr(), isnull().sum(), duplicated().sum() and quantile cells; the report computes all of them);
  5. country ranking (sessions, bytes in/out sums) and source-IP ranking (by bytes_in);
  6. a 10-minute time series (sessions and bytes per bucket, pandas resample('10min'));
  7. IsolationForest(contamination=0.05, random_state=42) on bytes_in, bytes_out, bytes_per_sec
     (missing bytes_per_sec imputed with its median, as threatlens does): fit on all rows, then
     score_samples on all rows; the flags are score < offset_ (exactly what predict() decides,
     without scoring every row a second time).
Writes a small JSON of results (to -o, else stdout) and the time of each step to stderr.
"""

import argparse
import json
import sys
import time

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("-o", "--output", default="-")
    args = ap.parse_args()

    steps = {}
    t0 = last = time.perf_counter()

    def lap(name):
        nonlocal last
        now = time.perf_counter()
        steps[name] = round(now - last, 4)
        last = now

    df = pd.read_csv(args.file)
    lap("load")

    for col in ("creation_time", "end_time", "time"):
        df[col] = pd.to_datetime(df[col], errors="coerce", utc=True)
    lap("timestamps")

    df["session_duration"] = (df["end_time"] - df["creation_time"]).dt.total_seconds()
    dur = df["session_duration"].where(df["session_duration"] > 0)
    df["bytes_per_sec"] = (df["bytes_in"] + df["bytes_out"]) / dur
    lap("derive")

    desc = df.describe()
    lap("describe")

    # The notebooks' correlation matrix and data-quality cells, which `threatlens report` also
    # computes: missing values per column, duplicated rows, and the 1.5 x IQR outlier fences of each
    # numeric column with the values outside them.
    numeric = df.select_dtypes(include=[np.number])
    corr = numeric.corr()
    lap("correlation")
    missing = df.isnull().sum()
    duplicates = int(df.duplicated().sum())
    q1 = numeric.quantile(0.25)
    q3 = numeric.quantile(0.75)
    iqr = q3 - q1
    outside = ((numeric < q1 - 1.5 * iqr) | (numeric > q3 + 1.5 * iqr)).sum()
    lap("quality")

    countries = (
        df.groupby("src_ip_country_code")
        .agg(sessions=("bytes_in", "size"), bytes_in=("bytes_in", "sum"), bytes_out=("bytes_out", "sum"))
        .sort_values("sessions", ascending=False)
    )
    src_ips = (
        df.groupby("src_ip")
        .agg(sessions=("bytes_in", "size"), bytes_in=("bytes_in", "sum"), bytes_out=("bytes_out", "sum"))
        .sort_values("bytes_in", ascending=False)
    )
    lap("rankings")

    ts = (
        df.set_index("creation_time")[["bytes_in", "bytes_out"]]
        .resample("10min")
        .agg(["size", "sum"])
    )
    lap("timeseries")

    features = df[["bytes_in", "bytes_out", "bytes_per_sec"]]
    features = features.fillna(features.median())
    model = IsolationForest(contamination=0.05, random_state=42)
    model.fit(features)
    lap("fit")
    scores = model.score_samples(features)
    flagged = scores < model.offset_
    lap("score")

    top = np.argsort(-scores, kind="stable")[:10]
    result = {
        "source": args.file,
        "rows": int(len(df)),
        "numeric_columns": list(desc.columns),
        "bytes_in_mean": float(desc.loc["mean", "bytes_in"]),
        "bytes_in_median": float(desc.loc["50%", "bytes_in"]),
        "corr_bytes_in_out": float(corr.loc["bytes_in", "bytes_out"]),
        "missing_cells": int(missing.sum()),
        "duplicate_rows": duplicates,
        "iqr_outliers": {str(k): int(v) for k, v in outside.items()},
        "top_countries": [[str(k), int(v)] for k, v in countries["sessions"].head(5).items()],
        "unique_src_ips": int(len(src_ips)),
        "top_src_ips": [[str(k), int(v)] for k, v in src_ips["bytes_in"].head(5).items()],
        "buckets_10min": int(len(ts)),
        "anomalies": int(flagged.sum()),
        "threshold": float(-model.offset_),
        "top_rows": [int(i) for i in top],
        "steps_seconds": steps,
        "total_seconds": round(time.perf_counter() - t0, 4),
    }
    text = json.dumps(result, indent=1) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w") as f:
            f.write(text)
    print("pipeline.py steps (s): " + ", ".join(f"{k} {v}" for k, v in steps.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
