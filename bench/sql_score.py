"""Per-core throughput of the scoring SQL that `threatlens detect --emit-sql duckdb` prints.

Usage: python bench/sql_score.py DATA.csv QUERY.sql [ROWS]
Loads DATA.csv into DuckDB as `input` (repeated up to ROWS rows), runs the query once on one row
(parse, bind and optimise time) and once on every row, with one thread, and prints both times and
rows per second. Needs the duckdb package (pip install duckdb).
"""
import sys, time, duckdb

data, query = sys.argv[1], open(sys.argv[2]).read()
rows = int(sys.argv[3]) if len(sys.argv) > 3 else 200_000
con = duckdb.connect()
con.execute("SET threads = 1")
con.execute("SET TimeZone = 'UTC'")
con.execute("SET enable_progress_bar = false")
con.execute("CREATE TABLE src AS SELECT * FROM read_csv(?, header=true)", [data])
n = con.execute("SELECT count(*) FROM src").fetchone()[0]
con.execute(f"CREATE TABLE input AS SELECT src.* FROM src, range({-(-rows // n)}) LIMIT {rows}")
con.execute("CREATE TABLE one AS SELECT * FROM input LIMIT 1")
q1 = query.replace('"input"', '"one"')
t = time.perf_counter(); con.execute(f"SELECT count(score) FROM ({q1})").fetchone(); compile_s = time.perf_counter() - t
t = time.perf_counter(); con.execute(f"SELECT sum(score) FROM ({query})").fetchone(); total = time.perf_counter() - t
run = max(total - compile_s, 1e-9)
print(f"duckdb {duckdb.__version__}, 1 thread: {len(query)} bytes of SQL; one row {compile_s:.2f} s; "
      f"{rows} rows {total:.2f} s; {rows / run:,.0f} rows/s after planning")
