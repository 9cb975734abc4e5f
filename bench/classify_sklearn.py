#!/usr/bin/env python3
"""Reference numbers for `threatlens classify`: scikit-learn's RandomForestClassifier with the
same trees and folds, cross-validated on the labelled sets in $THREATLENS_SHARED/bench.

    python3 -m venv /tmp/skl && /tmp/skl/bin/pip install scikit-learn pandas
    THREATLENS_SHARED=/work/shared /tmp/skl/bin/python bench/classify_sklearn.py [SET ...] > bench/classify_reference.json

StratifiedKFold(5, shuffle=True, random_state=seed) for seeds 0..2; ROC AUC and PR AUC (average
precision) per fold, averaged; fit seconds per fold on one core (n_jobs=1), wall and CPU (CPU time is the fair figure on a loaded machine). The machine may be
loaded by other builds: the times are indicative, the AUCs are not affected.
"""
import json, os, sys, time
import numpy as np, pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score, average_precision_score
from sklearn.model_selection import StratifiedKFold
import sklearn

TREES, FOLDS = 100, 5
# SEEDS=0 (comma-separated) for fewer repeats on the large sets.
SEEDS = [int(x) for x in os.environ.get("SEEDS", "0,1,2").split(",")]
shared = os.environ["THREATLENS_SHARED"]
sets = sys.argv[1:] or ["mammography", "shuttle", "smtp", "http", "cover"]
out = {"tool": f"scikit-learn {sklearn.__version__} RandomForestClassifier(n_estimators={TREES}, n_jobs=1, random_state=seed)",
       "folds": FOLDS, "trees": TREES, "seeds": SEEDS, "datasets": {}}
for name in sets:
    df = pd.read_csv(os.path.join(shared, "bench", f"{name}.csv.gz"))
    y = df.pop("label").to_numpy().astype(int)
    x = df.to_numpy(dtype=np.float32)
    rocs, prs, fits, cpus = [], [], [], []
    for seed in SEEDS:
        for train, test in StratifiedKFold(FOLDS, shuffle=True, random_state=seed).split(x, y):
            m = RandomForestClassifier(n_estimators=TREES, n_jobs=1, random_state=seed)
            t, c = time.perf_counter(), time.process_time()
            m.fit(x[train], y[train])
            fits.append(time.perf_counter() - t); cpus.append(time.process_time() - c)
            p = m.predict_proba(x[test])[:, 1]
            rocs.append(roc_auc_score(y[test], p)); prs.append(average_precision_score(y[test], p))
    out["datasets"][name] = {"rows": int(len(y)), "positives": int(y.sum()),
        "roc_auc_mean": round(float(np.mean(rocs)), 4), "roc_auc_std": round(float(np.std(rocs)), 4),
        "pr_auc_mean": round(float(np.mean(prs)), 4), "fit_seconds_median": round(float(np.median(fits)), 3),
        "fit_cpu_seconds_median": round(float(np.median(cpus)), 3)}
    print(name, out["datasets"][name], file=sys.stderr, flush=True)
print(json.dumps(out, indent=1))
