#!/usr/bin/env python3
"""scikit-learn's side of the detection benchmark: the same file, forest and seeds as
`cargo run --release --example detect_bench -- FILE`.

    python3 bench/detect_sklearn.py ../shared/bench/http.csv.gz [--seeds 5] [--repeats 3]

Prints fit and score_samples times (median; wall clock and process CPU time), throughput and the
mean ROC AUC / PR AUC over seeds 0..N-1, with IsolationForest(n_estimators=100, max_samples=256).
Needs: pip install scikit-learn pandas
"""
import argparse
import os
import statistics
import time

import pandas as pd
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, (time.perf_counter() - w) * 1e3, (time.process_time() - c) * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    df = pd.read_csv(a.file)
    y = df.pop("label").to_numpy() != 0
    X = df.to_numpy()
    fit_ms, score_ms, score_cpu, aucs, aps = [], [], [], [], []
    for seed in range(a.seeds):
        for _ in range(a.repeats):
            model, ms, _ = timed(
                lambda: IsolationForest(n_estimators=100, max_samples=256, random_state=seed).fit(X)
            )
            fit_ms.append(ms)
        for _ in range(a.repeats):
            s, ms, cpu = timed(lambda: -model.score_samples(X))
            score_ms.append(ms)
            score_cpu.append(cpu)
        aucs.append(roc_auc_score(y, s))
        aps.append(average_precision_score(y, s))
    rows = len(X)
    sm, sc = statistics.median(score_ms), statistics.median(score_cpu)
    import sklearn

    print(
        f"scikit-learn {sklearn.__version__}  file={os.path.basename(a.file)} rows={rows} "
        f"features={X.shape[1]} trees=100 sample=256 seeds=0..{a.seeds}"
    )
    print(f"  fit ms (median)          {statistics.median(fit_ms):8.2f}")
    print(f"  score_samples ms (median) {sm:8.1f}   (process CPU time {sc:.1f} ms)")
    print(f"  score rows/s             {rows / sm / 1e3:8.3f} M   per CPU-second {rows / sc / 1e3:.3f} M")
    print(f"  ROC AUC mean {statistics.mean(aucs):.4f}  PR AUC mean {statistics.mean(aps):.4f}")


if __name__ == "__main__":
    main()
