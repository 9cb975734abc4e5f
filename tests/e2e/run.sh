#!/usr/bin/env bash
# End-to-end: the release binary in a real terminal (tmux). Keys are sent, the
# pane is captured and checked for what a person should see, and the terminal
# must be sane (cooked mode, main screen) after quitting.
# Usage: tests/e2e/run.sh path/to/threatlens   (THREATLENS_SHARED must point at shared/)
set -uo pipefail
bin="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
shared="${THREATLENS_SHARED:?THREATLENS_SHARED must be set}"
real="$shared/data/CloudWatch_Traffic_Web_Attack.csv"
run=0
sock="threatlens-e2e-$$-0"
tm() { tmux -L "$sock" "$@"; }
pass=0; fail=0
cleanup() { tm kill-server >/dev/null 2>&1 || true; }
trap cleanup EXIT

capture() { tm capture-pane -p -t e2e 2>&1; }
wait_for() { # pattern [seconds]
  local deadline=$(( $(date +%s) + ${2:-10} ))
  while [ "$(date +%s)" -le "$deadline" ]; do
    capture | grep -qE -- "$1" && return 0
    sleep 0.2
  done
  return 1
}
check() { # description pattern [seconds]
  if wait_for "$2" "${3:-10}"; then pass=$((pass+1)); echo "ok   $1";
  else fail=$((fail+1)); echo "FAIL $1 (did not see: $2)"; echo "---- screen ----"; capture; echo "----------------"; fi
}
check_absent() { # description pattern
  sleep 0.5
  if capture | grep -qE -- "$2"; then fail=$((fail+1)); echo "FAIL $1 (saw: $2)"; capture;
  else pass=$((pass+1)); echo "ok   $1"; fi
}
key() { tm send-keys -t e2e "$@"; sleep 0.3; }
esc() { tm send-keys -t e2e Escape; sleep 0.6; }  # alone, so it is not read as Alt-<next key>

start() { # command...
  cleanup
  run=$((run+1)); sock="threatlens-e2e-$$-$run"
  tm -f /dev/null new-session -d -s e2e -x 120 -y 36 "bash --norc --noprofile"
  tm set-option -t e2e -g allow-rename off >/dev/null
  sleep 0.3
  key "PS1='e2e\$ '; clear" Enter
  key "$*" Enter
}

echo "== real file"
start "'$bin' '$real'"
check "header shows the file and rows" "282 rows" 15
check "records tab shows data" "155.91.45.242" 15
key 4
check "rankings: US first with 113 sessions" "US +113 "
check "rankings: CA second with 72" "CA +72 "
key 5
check "anomalies: 15 flagged at 5%" "15 flagged of 282" 15
check_absent "anomalies list has only the two known IPs" "147.161.161.82"
key + + +
check "contamination +0.5 three times is 6.5%" "contamination 6.5%"
key c
check "typing a contamination opens the input" "contamination \\(0.05, 5%, auto\\)>"
key C-u
for ch in a u t o; do key "$ch"; done
key Enter
check "auto contamination" "contamination auto"
key Enter
check "drill-down opens" "session detail"
check "drill-down explains in plain facts" "is above the threshold"
check "drill-down compares with the population" "of sessions"
key f
check "f in the drill-down filters to the IP" "filter: src_ip = "
key '?'
check "help lists bindings" "show this help"
esc
key 2
check "summary tab: statistics table" "bytes_per_sec"
key 3
check "timeline: quiet gap called out" "quiet"
key 6
check "geo tab: world map and country list" "US United States"
key 7
check "flows tab follows the filter: one source, one destination" "sources 1 · destinations 1 · edges 1"
key 1
key f
key C-u
for ch in c o u n t r y " " = " " C A; do key "$ch"; done
key Enter
check "filter applied to every tab" "filter: country = CA"
outdir="$(mktemp -d)"
key e
key C-u
tm send-keys -t e2e -l "$outdir/ca.md"; sleep 0.3
key Enter
check "e writes the report of the filtered view (refit on the worker)" "wrote .*ca.md"
key x
key C-u
tm send-keys -t e2e -l "$outdir/ca.csv"; sleep 0.3
key Enter
check "x exports the filtered rows" "wrote .*ca.csv"
key r
check "reject list opens" "rows rejected"
esc
key q
check "q quits back to the shell" "^e2e\\$ " 5
key "stty -a | tr ' ' '\n' | grep -x -e icanon -e echo | sort | tr '\n' ' '; echo" Enter
check "terminal is back in cooked mode (icanon, echo)" "echo icanon"
key "clear" Enter
key "tput smcup >/dev/null; tput rmcup; echo main-screen-ok" Enter
check "back on the main screen" "main-screen-ok"
key "clear" Enter
key "grep -c '' '$outdir/ca.csv'; grep -q '72' '$outdir/ca.md' && echo report-has-72" Enter
check "the export holds the 72 CA rows and a header" "^73$"
check "the report covers the 72 CA sessions" "report-has-72"
rm -rf "$outdir"

echo "== 80x24: Records columns by importance, hiding columns, the : command line"
start "'$bin' '$real'"
tm resize-window -t e2e -x 80 -y 24 2>/dev/null || true
check "real file at 80x24" "282 rows" 15
check "Records at 80x24 shows the time, src_ip, its country and bytes without l" "creation_time +src_ip +s_i_c_code bytes_in"
key -- -
check "- hides the column under the cursor" "hid creation_time \\(1 hidden; U shows them again\\)"
check_absent "the hidden column is gone from the header" "creation_time +src_ip"
key U
check "U shows it again" "showing the hidden column again"
key :
check ": opens the command line" "Tab completes"
tm send-keys -t e2e -l "tab 5"; sleep 0.3
key Enter
check ":tab 5 opens Anomalies" "flagged of 282"
key :
tm send-keys -t e2e -l "cont"; sleep 0.3
key Tab
tm send-keys -t e2e -l "7%"; sleep 0.3
key Enter
check ":contamination 7% (completed with Tab) sets the rule" "contamination 7%"
key :
tm send-keys -t e2e -l "top 3"; sleep 0.3
key Enter
check ":top 3 flags three sessions" "(^| )3 flagged of 282"
key :
tm send-keys -t e2e -l "nope"; sleep 0.3
key Enter
check "an unknown command lists the commands" "unknown command 'nope'; commands: filter"
esc
key :
tm send-keys -t e2e -l "q"; sleep 0.3
key Enter
check ":q quits back to the shell" "^e2e\\$" 5

echo "== demo data, small terminal, Ctrl-C"
start "'$bin'"
check "demo data opens with no file" "demo data \\(built in\\)" 15
tm resize-window -t e2e -x 40 -y 12 2>/dev/null || true
sleep 0.5
check "40x12 still shows the layout" "threatlens"
tm resize-window -t e2e -x 30 -y 8 2>/dev/null || true
check "smaller says too small" "too small"
tm resize-window -t e2e -x 120 -y 36 2>/dev/null || true
key C-c
check "Ctrl-C quits" "^e2e\\$ " 5

echo "== SIGTERM restores the terminal"
start "'$bin' & pid=\$!; sleep 2; kill -TERM \$pid; wait \$pid; echo exit=\$?"
check "SIGTERM ends the explorer" "exit=" 10
key "stty -a | tr ' ' '\n' | grep -x -e icanon -e echo | sort | tr '\n' ' '; echo" Enter
check "terminal cooked after SIGTERM" "echo icanon"

echo "== a dropped terminal or a signal ends the explorer in every state"
# A process counts as gone once it has exited (a zombie waiting for its parent is gone too).
alive() { [ -e "/proc/$1/stat" ] && ! awk '{exit !($3=="Z")}' "/proc/$1/stat" 2>/dev/null; }
gone_within() { # pid milliseconds description
  local t0 ms=0; t0=$(date +%s%N)
  while alive "$1"; do
    sleep 0.05; ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ "$ms" -gt "$2" ] && break
  done
  if alive "$1"; then
    fail=$((fail+1)); echo "FAIL $3 (still running after ${ms} ms: $(ps -o stat=,pcpu= -p "$1"))"; kill -9 "$1" 2>/dev/null
  else pass=$((pass+1)); echo "ok   $3 (gone after ${ms} ms)"; fi
}
hupdir="$(mktemp -d)"
pidf="$hupdir/pid"
explorer() { # file: start the explorer as the pane's own process, its pid in $pidf
  rm -f "$pidf"; start "echo \$\$ > '$pidf'; exec '$bin' '$1'"
  for _ in $(seq 50); do [ -s "$pidf" ] && break; sleep 0.1; done
}
hang_up() { # how (kill-server | TERM) description: end the explorer's terminal or signal it
  local p; p="$(cat "$pidf")"
  if [ "$1" = kill-server ]; then tm kill-server; else kill "-$1" "$p"; fi
  gone_within "$p" 2000 "$2"
}
explorer "$real"
check "explorer up before the hang-up" "282 rows" 15
hang_up kill-server "killing the terminal (tmux kill-server, idle) ends it"
explorer "$real"
check "explorer up before SIGTERM" "282 rows" 15
hang_up TERM "SIGTERM (idle) ends it"
"$bin" demo --rows 3000000 --seed 3 -o "$hupdir/big.csv" >/dev/null
explorer "$hupdir/big.csv"
check "a large file is loading" "loading .* rows so far" 15
hang_up kill-server "killing the terminal while loading ends it"
explorer "$hupdir/big.csv"
check "the large file loaded" "3000000 rows" 60
key 5
check "anomalies ready" "flagged of 3000000" 60
key F; key Space
check "a refit is running" "refitting" 5
hang_up kill-server "killing the terminal during a refit ends it"
explorer "$hupdir/big.csv"
check "a large file is loading again" "loading .* rows so far" 15
hang_up TERM "SIGTERM while loading ends it"
rm -rf "$hupdir"

echo "== escape sequences in the data stay inert"
fixture="$(cd "$(dirname "$0")/.." && pwd)/fixtures/injection.csv"
start "printf 'safe-title-start\\n'"
title_before="$(tm display-message -p -t e2e '#{pane_title}')"
key "'$bin' '$fixture'" Enter
check "injection file opens" "4 rows" 15
key l; key l; key l; key l; key l; key l
check "the OSC is shown as text" "x1b\\]2;pwned" 5
key 2; key 4; key d; key 5
title_after="$(tm display-message -p -t e2e '#{pane_title}')"
if [ "$title_before" = "$title_after" ]; then pass=$((pass+1)); echo "ok   pane title unchanged ($title_after)";
else fail=$((fail+1)); echo "FAIL pane title changed from '$title_before' to '$title_after'"; fi
check_absent "no title text leaked into the title" "pwned-title$"
key q
check "screen intact after quitting" "^e2e\\$ " 5

echo "== --follow: rows appended to a followed file"
fdir="$(mktemp -d)"
"$bin" demo --rows 2000 --seed 5 -o "$fdir/all.csv" >/dev/null
head -n 1001 "$fdir/all.csv" > "$fdir/live.csv"
start "'$bin' --follow '$fdir/live.csv'"
check "following shows the rows so far" "1000 rows · following" 20
check "the first fit is said in the status line" "forest fitted on 1000 rows" 20
# 500 more rows, then a planted exfiltration (a terabyte in, one byte out) as row 1500.
sed -n '1002,1501p' "$fdir/all.csv" >> "$fdir/live.csv"
sed -n '1502p' "$fdir/all.csv" | awk -F, 'BEGIN{OFS=","} {$1="987654321098"; $2="1"; print}' >> "$fdir/live.csv"
check "the row count grows" "1501 rows · following" 15
check "the planted row is announced" "new flagged row.*row 1500" 15
check "the new-since-you-looked marker shows" "new since you looked" 5
key G
check "G follows the end of Records" "987654321098" 5
key 5
check_absent "the marker clears on the Anomalies tab" "new since you looked"
key p
check "p pauses" "paused \\(p\\)" 5
sed -n '1503,1602p' "$fdir/all.csv" >> "$fdir/live.csv"
check_absent "paused: nothing more is read" "1601 rows"
key p
check "p resumes and catches up" "1601 rows · following" 15
printf '\x00\x01\x02binary\n' > "$fdir/live.csv.tmp"; cat "$fdir/live.csv.tmp" >> "$fdir/live.csv"; rm -f "$fdir/live.csv.tmp"
check "a line that is no record is reported with its file" "live\\.csv: " 15
key q
check "q quits back to the shell" "^e2e\\$ " 5
key "stty -a | tr ' ' '\n' | grep -x -e icanon -e echo | sort | tr '\n' ' '; echo" Enter
check "terminal is back in cooked mode after --follow" "echo icanon"
rm -rf "$fdir"

echo "== --follow --window: the views keep the last rows, the counts every row"
fdir="$(mktemp -d)"
"$bin" demo --rows 2000 --seed 5 -o "$fdir/all.csv" >/dev/null
head -n 1001 "$fdir/all.csv" > "$fdir/live.csv"
start "'$bin' --follow '$fdir/live.csv' --window 400"
check "the window is said in the header" "1000 rows · following.*window: last 400 rows \\(400 shown\\)" 30
sed -n '1002,1301p' "$fdir/all.csv" >> "$fdir/live.csv"
check "rows read are counted, the views keep 400" "1300 rows · following.*\\(400 shown\\) · [0-9]+ flag" 15
key 2
check "Summary describes the rows in the window" "^bytes_in +400 " 10
key q
check "q quits back to the shell" "^e2e\\$ " 5
rm -rf "$fdir"

echo "== a bad file exits 2 with one line"
start "'$bin' /nonexistent/file.csv; echo exit=\$?"
check "missing file message" "no such file" 5
check "exit code 2" "exit=2" 5

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
