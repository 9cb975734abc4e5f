#!/usr/bin/env bash
# Parquet flow logs: threatlens vs pyarrow.parquet.read_table + pandas conversion on the same file
# (issue 14). Usage: bench/parquet.sh [WORKDIR] [ROWS]
# Builds the parquet_bench example (release), writes one S3-style flow-log Parquet file of about ROWS
# records (default 5 M; gzip pages as S3 writes them, 1 M rows per row group), then times, with peak
# memory (/usr/bin/time -v):
#   threatlens: ingest::load_path (what `threatlens FILE` and `summary` do to read it)
#   pyarrow:    pq.read_table(FILE).to_pandas()  (pyarrow and pandas from PyPI into a venv under WORKDIR,
#               or $PYTHON if it has both)
# Wall-clock figures depend on the machine's load: say so when recording them.
set -euo pipefail
work=${1:-/tmp/threatlens-parquetbench}
rows=${2:-5000000}
mkdir -p "$work"
cargo build --release --example parquet_bench
bin=target/release/examples/parquet_bench
py=${PYTHON:-$work/venv/bin/python}
if ! "$py" -c 'import pyarrow, pandas' 2>/dev/null; then
  python3 -m venv "$work/venv" && "$work/venv/bin/pip" install -q pyarrow pandas
  py=$work/venv/bin/python
fi
for codec in gzip snappy; do
  file="$work/flows-$rows-$codec.parquet"
  [ -f "$file" ] || "$bin" make "$file" "$rows" "$codec"
done
lscpu | grep -E 'Model name|^CPU\(s\)'
echo "vector extensions: $(grep -o -w -E 'avx2|avx512f|avx512bw|sse4_2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
"$py" -c 'import pyarrow, pandas; print("pyarrow", pyarrow.__version__, "pandas", pandas.__version__)'
run() { /usr/bin/time -v "$@" 2> "$work/time.txt"; grep -E 'Elapsed|Maximum resident' "$work/time.txt"; }
for codec in gzip snappy; do
  file="$work/flows-$rows-$codec.parquet"
  echo "== $codec: $(du -h "$file" | cut -f1)"
  for i in 1 2; do
    echo "threatlens (run $i):"; run "$bin" load "$file" 1
    echo "pyarrow read_table + to_pandas (run $i):"
    run "$py" -c "
import time, pyarrow.parquet as pq
t = time.perf_counter()
df = pq.read_table('$file').to_pandas()
print(f'pyarrow+pandas: {len(df)} rows, {len(df.columns)} columns in {time.perf_counter() - t:.3f} s')"
  done
done
