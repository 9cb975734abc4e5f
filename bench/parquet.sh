#!/usr/bin/env bash
# Parquet flow logs: threatlens vs pyarrow.parquet.read_table (+ pandas conversion) on the same files
# (issue 14). Usage: bench/parquet.sh [WORKDIR] [ROWS] [RUNS]
# Builds the parquet_bench example (release; BIN=path uses a binary already built), writes one
# S3-style flow-log Parquet file of about ROWS records (default 5 M asked, about 7.2 M written: the demo
# traffic has more records than sessions; gzip pages as S3 writes them, 1 M rows per row group), and
# snappy and zstd copies of it written by pyarrow (same rows and row groups; `parquet_bench make` for
# each codec takes minutes), then times each file RUNS times (default 2), with CPU time and peak memory
# (/usr/bin/time):
#   threatlens:               ingest::load_path (what `threatlens FILE` and `summary` do to read it)
#   pyarrow + pandas:         pq.read_table(FILE).to_pandas()
#   pyarrow alone:            pq.read_table(FILE)  (an Arrow table, not yet usable as pandas)
#   threatlens (BASE):        the same with BASE=path, an earlier build of parquet_bench, run
#                             just before it on each file (a before/after comparison in one run)
# pyarrow and pandas come from PyPI into a venv under WORKDIR, or $PYTHON if it has both.
# Wall-clock figures depend on the machine's load: say so when recording them.
set -euo pipefail
work=${1:-/tmp/threatlens-parquetbench}
rows=${2:-5000000}
runs=${3:-2}
mkdir -p "$work"
if [ -z "${BIN:-}" ]; then
  cargo build --release --example parquet_bench
  BIN=target/release/examples/parquet_bench
fi
py=${PYTHON:-$work/venv/bin/python}
if ! "$py" -c 'import pyarrow, pandas' 2>/dev/null; then
  python3 -m venv "$work/venv" && "$work/venv/bin/pip" install -q pyarrow pandas
  py=$work/venv/bin/python
fi
[ -f "$work/flows-gzip.parquet" ] || "$BIN" make "$work/flows-gzip.parquet" "$rows" gzip
for codec in snappy zstd; do
  [ -f "$work/flows-$codec.parquet" ] || "$py" -c "
import pyarrow.parquet as pq
pq.write_table(pq.read_table('$work/flows-gzip.parquet'), '$work/flows-$codec.parquet',
               compression='$codec', row_group_size=1_000_000)"
done
lscpu | grep -E 'Model name|^CPU\(s\)'
echo "vector extensions: $(grep -o -w -E 'avx2|avx512f|avx512bw|sse4_2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
"$py" -c 'import pyarrow, pandas; print("pyarrow", pyarrow.__version__, "pandas", pandas.__version__)'
run() {
  /usr/bin/time -f '  %e s wall, %U user + %S sys CPU, %M KB peak' "$@" 2> "$work/time.txt"
  tail -1 "$work/time.txt"
}
for i in $(seq 1 "$runs"); do
  for codec in gzip snappy zstd; do
    file="$work/flows-$codec.parquet"
    echo "== $codec ($(du -h "$file" | cut -f1)), run $i, $(uptime | sed 's/.*load/load/')"
    if [ -n "${BASE:-}" ]; then
      printf '  BASE: '; run "$BASE" load "$file" 1
    fi
    run "$BIN" load "$file" 1
    run "$py" -c "
import time, pyarrow.parquet as pq
t = time.perf_counter()
df = pq.read_table('$file').to_pandas()
print(f'pyarrow+pandas: {len(df)} rows, {len(df.columns)} columns in {time.perf_counter() - t:.3f} s')"
    run "$py" -c "
import time, pyarrow.parquet as pq
t = time.perf_counter()
tb = pq.read_table('$file')
print(f'pyarrow read_table: {tb.num_rows} rows in {time.perf_counter() - t:.3f} s')"
  done
done
