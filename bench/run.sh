#!/usr/bin/env bash
# Side-by-side benchmark: threatlens vs the notebooks' pandas + scikit-learn pipeline, same file, same run.
#
#   bench/run.sh [ROWS...]          default: 100000 1000000 10000000
#
# For each ROWS it makes bench/data/demo_ROWS.csv (threatlens demo --rows ROWS --seed 1) and a gzip
# copy, then REPEAT times, interleaved: python3 bench/pipeline.py FILE, threatlens on FILE, threatlens
# on FILE.gz, each under /usr/bin/time -v. Prints the median wall time, CPU time and peak RSS of
# each, the ratios, bytes per record (peak RSS / rows) and the gzip-vs-plain time ratio.
# Raw figures go to bench/data/results.tsv (one line per run).
#
# SHAPES="demo resampled" adds a second, differently shaped file per size: rows resampled from the
# real CloudWatch file (REAL, default $THREATLENS_SHARED/data/…) with jittered bytes and timestamps
# spread over 30 days (bench/resample.py); its lines carry a "-resampled" tool suffix.
#
# Environment: REPEAT (default 3), PANDAS_MAX_ROWS (skip pandas above this many rows; default: never),
# PANDAS_TIMEOUT (seconds, default 3600), THREATLENS (a threatlens binary; default: cargo build --release).
set -euo pipefail
cd "$(dirname "$0")/.."

REPEAT=${REPEAT:-3}
SHAPES=${SHAPES:-demo}
REAL=${REAL:-${THREATLENS_SHARED:-../shared}/data/CloudWatch_Traffic_Web_Attack.csv}
PANDAS_MAX_ROWS=${PANDAS_MAX_ROWS:-0}
PANDAS_TIMEOUT=${PANDAS_TIMEOUT:-3600}
[ $# -gt 0 ] || set -- 100000 1000000 10000000

command -v /usr/bin/time >/dev/null || { echo "run.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
if [ -z "${THREATLENS:-}" ]; then
  cargo build --release --quiet
  target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
  THREATLENS="$target/release/threatlens"
fi
BIN=$THREATLENS
DATA=bench/data
OUT=$DATA/out
mkdir -p "$OUT"
TSV=$DATA/results.tsv
[ -f "$TSV" ] || printf 'stamp\trows\ttool\trun\twall_s\tuser_s\tsys_s\tmax_rss_kb\texit\n' > "$TSV"
STAMP=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# The one line that picks what threatlens runs: `report` once it exists, else summary then detect.
MODE=$("$BIN" help report >/dev/null 2>&1 && echo report || echo summary+detect)

echo "threatlens: $BIN ($("$BIN" --version)), mode: $MODE"
if [ "$MODE" != report ]; then
  echo "NOTE: this build has no 'threatlens report'; timing 'summary FILE --format json' followed by"
  echo "      'detect FILE --format json' (two processes: wall times add, peak RSS is the larger one)."
fi
echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/{print $2}') GB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "python: $(python3 -c 'import pandas, sklearn, sys; print(sys.version.split()[0], "pandas", pandas.__version__, "scikit-learn", sklearn.__version__)')"
echo

# measure ROWS TOOL RUN CMD... : one timed run, appended to the TSV.
measure() {
  local rows=$1 tool=$2 run=$3; shift 3
  local tv; tv=$(mktemp)
  local code=0
  /usr/bin/time -v -o "$tv" "$@" >/dev/null 2>"$OUT/last.err" || code=$?
  python3 - "$tv" "$STAMP" "$rows" "$tool" "$run" "$code" >> "$TSV" <<'PY'
import sys
path, stamp, rows, tool, run, code = sys.argv[1:]
v = {}
for line in open(path):
    if ':' in line:
        k, _, x = line.strip().rpartition(': ')
        v[k] = x
def secs(s):
    parts = [float(p) for p in s.split(':')]
    t = 0.0
    for p in parts:
        t = t * 60 + p
    return t
wall = secs(v.get('Elapsed (wall clock) time (h:mm:ss or m:ss)', '0'))
print('\t'.join([stamp, rows, tool, run, f"{wall:.3f}", v.get('User time (seconds)', '0'),
                 v.get('System time (seconds)', '0'), v.get('Maximum resident set size (kbytes)', '0'), code]))
PY
  rm -f "$tv"
  if [ "$code" != 0 ]; then
    echo "  $tool run $run on $rows rows failed (exit $code): $(tail -n 2 "$OUT/last.err" | tr '\n' ' ')"
  fi
}

threatlens_run() { # FILE OUTPREFIX
  if [ "$MODE" = report ]; then
    "$BIN" report "$1" --format json -o "$2.report.json" --force
  else
    "$BIN" summary "$1" --format json > "$2.summary.json" && "$BIN" detect "$1" --format json > "$2.detect.json"
  fi
}
export -f threatlens_run
export BIN MODE

for rows in "$@"; do
 for shape in $SHAPES; do
  # The resampled file's runs carry a "-resampled" tool suffix in the TSV and the summary.
  csv=$DATA/${shape}_$rows.csv
  if [ ! -s "$csv" ]; then
    echo "making $csv"
    case $shape in
      demo) "$BIN" demo --rows "$rows" --seed 1 -o "$csv" --force ;;
      resampled) python3 bench/resample.py "$REAL" --rows "$rows" --seed 1 -o "$csv" ;;
      *) echo "run.sh: unknown shape '$shape' in SHAPES (demo, resampled)" >&2; exit 2 ;;
    esac
  fi
  if [ ! -s "$csv.gz" ] || [ "$csv.gz" -ot "$csv" ]; then
    echo "making $csv.gz"
    gzip -c -6 "$csv" > "$csv.gz"
  fi
  tag=$([ "$shape" = demo ] && echo "" || echo "-$shape")
  echo "== $rows rows, $shape: $csv ($(du -h "$csv" | cut -f1), gzip $(du -h "$csv.gz" | cut -f1))"
  for run in $(seq 1 "$REPEAT"); do
    if [ "$PANDAS_MAX_ROWS" = 0 ] || [ "$rows" -le "$PANDAS_MAX_ROWS" ]; then
      measure "$rows" "pandas$tag" "$run" timeout "$PANDAS_TIMEOUT" python3 bench/pipeline.py "$csv" -o "$OUT/pandas${tag}_$rows.json"
    fi
    measure "$rows" "threatlens$tag" "$run" bash -c 'threatlens_run "$0" "$1"' "$csv" "$OUT/tl${tag}_$rows"
    measure "$rows" "threatlens-gz$tag" "$run" bash -c 'threatlens_run "$0" "$1"' "$csv.gz" "$OUT/tlgz${tag}_$rows"
  done
 done
done
echo
python3 - "$TSV" "$STAMP" "$OUT" <<'PY'
import json, os, statistics, sys
tsv, stamp, out = sys.argv[1:]
runs = {}
for line in open(tsv).read().splitlines()[1:]:
    f = line.split('\t')
    if f[0] != stamp:
        continue
    rows, tool = int(f[1]), f[2]
    runs.setdefault((rows, tool), []).append(
        dict(wall=float(f[4]), cpu=float(f[5]) + float(f[6]), rss=int(f[7]) * 1024, ok=f[8] == '0'))
def med(rows, tool, key):
    ok = [r[key] for r in runs.get((rows, tool), []) if r['ok']]
    return statistics.median(ok) if ok else None
def walls(rows, tool):
    return ' '.join(f"{r['wall']:.2f}" if r['ok'] else 'fail' for r in runs.get((rows, tool), []))
print(f"medians of the runs (stamp {stamp}); wall and CPU (user+sys) in seconds, RSS in MB")
hdr = f"{'rows':>10} {'tool':<14} {'wall':>8} {'cpu':>8} {'peak RSS':>9} {'B/record':>9}  runs (wall)"
print(hdr); print('-' * len(hdr))
tags = sorted({k[1][len('pandas'):] for k in runs if k[1].startswith('pandas')} | {''})
for rows in sorted({k[0] for k in runs}):
    for tool in [t + g for g in tags for t in ('pandas', 'threatlens', 'threatlens-gz')]:
        if (rows, tool) not in runs:
            continue
        w, c, m = med(rows, tool, 'wall'), med(rows, tool, 'cpu'), med(rows, tool, 'rss')
        if w is None:
            print(f"{rows:>10} {tool:<14} {'failed':>8}  runs: {walls(rows, tool)}")
            continue
        print(f"{rows:>10} {tool:<14} {w:>8.2f} {c:>8.2f} {m / 1e6:>9.1f} {m / rows:>9.1f}  {walls(rows, tool)}")
print()
for rows, g in sorted({(k[0], g) for k in runs for g in tags}):
    if (rows, 'threatlens' + g) not in runs:
        continue
    pw, tw, gw = med(rows, 'pandas' + g, 'wall'), med(rows, 'threatlens' + g, 'wall'), med(rows, 'threatlens-gz' + g, 'wall')
    pc, tc = med(rows, 'pandas' + g, 'cpu'), med(rows, 'threatlens' + g, 'cpu')
    pm, tm = med(rows, 'pandas' + g, 'rss'), med(rows, 'threatlens' + g, 'rss')
    parts = []
    if pw and tw:
        parts.append(f"threatlens {pw / tw:.1f}x faster (wall), {pc / tc:.1f}x (cpu)")
    if pm and tm:
        parts.append(f"peak RSS {100 * tm / pm:.0f}% of pandas")
    if tm:
        parts.append(f"{tm / rows:.0f} B/record")
    if gw and tw:
        parts.append(f"gzip/plain time {gw / tw:.2f}")
    print(f"{rows:>10} rows{g}: " + ' · '.join(parts))
    try:
        p = json.load(open(os.path.join(out, f"pandas{g}_{rows}.json")))
        d = json.load(open(os.path.join(out, f"tl{g}_{rows}.detect.json" if os.path.exists(os.path.join(out, f"tl{g}_{rows}.detect.json")) else f"tl{g}_{rows}.report.json")))
        a = d.get('anomalies')
        flagged = a.get('flagged') if isinstance(a, dict) else a
        print(f"{'':>16}flagged: pandas {p['anomalies']}, threatlens {flagged}")
    except (OSError, ValueError, KeyError):
        pass
PY
