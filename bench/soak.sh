#!/usr/bin/env bash
# The soak (issue 18): gavel_server on a generated catalog under open-loop gavel_loadgen traffic
# with an impression reported for every winner and a click for 5% of them, a SIGHUP reload every
# --reload_every seconds, for --duration. The token lifetimes and dedupe windows are shortened to
# --window (all five server flags; docs/billing.md, "Memory"), so memory reaches its plateau
# within minutes instead of the default 1 h / 48 h.
#
# Load runs as consecutive gavel_loadgen segments, two per reload period, with the SIGHUP sent in
# the middle of every other one, so half the segments have a reload in them and half do not. The
# server's RSS (VmRSS from /proc/PID/status) is sampled every --sample_every seconds. The report
# ($out/soak_report.txt, also printed) gives RSS over time, its min and max after warm-up (the
# first retention window plus one reload period), each segment's auction latency, and two verdicts:
#   RSS flat: yes|no (slope X MB/min after warm-up)
#       least squares over the samples after warm-up, leaving out those taken while a reload was
#       building (two snapshots alive); "yes" if the slope would add under 5% of the median RSS in
#       an hour.
#   p99 unchanged by reloads: yes|no (ratio R ...)
#       median auction p99 of the segments with a reload over the median of those without, first
#       segment left out (connections and caches warming); "yes" if R <= 1.25.
#
#   bench/soak.sh                          # 30 min, 1M ads, 1,500 auctions/s, 2-min windows
#   bench/soak.sh --ads=200000 --duration=600
#   bench/soak.sh --smoke                  # ~25 s, 10k ads, 2 reloads: the script works (CI)
#
# Options: --ads=N (catalog_gen size, default 1000000), --catalog=FILE (an existing JSON catalog
# instead of one generated with every budget x1000; a .binpb copy is written beside it for the
# server, whose reloads then parse binary), --rate=QPS (1500), --duration=S (1800),
# --reload_every=S (60), --window=DURATION (2m; 90s, 2m, 1h...), --sample_every=S (5),
# --threads=N (loadgen threads, 2), --out=DIR (default bench/results/soak; $TEST_TMPDIR/soak under
# bazel test), --no_build (use the -c opt binaries already built), --server=PATH --loadgen=PATH
# --catalog_gen=PATH (binaries to use instead of building; the smoke test passes its own).
# A generated catalog is kept in DIR's parent (catalog_N_budget_x1000.json) for the next run; the
# ledger is deleted on exit. Only loopback addresses are used; every process the script starts is
# killed on exit.
set -euo pipefail

smoke=0
build=1
ads=1000000
catalog=""
rate=1500
duration=1800
reload_every=60
window=2m
sample_every=5
threads=2
out=""
server_bin=""
loadgen_bin=""
catalog_gen_bin=""
given=" $* "
for arg in "$@"; do
  case "$arg" in
    --smoke) smoke=1 ;;
    --no_build) build=0 ;;
    --ads=*) ads=${arg#*=} ;;
    --catalog=*) catalog=${arg#*=} ;;
    --rate=*) rate=${arg#*=} ;;
    --duration=*) duration=${arg#*=} ;;
    --reload_every=*) reload_every=${arg#*=} ;;
    --window=*) window=${arg#*=} ;;
    --sample_every=*) sample_every=${arg#*=} ;;
    --threads=*) threads=${arg#*=} ;;
    --out=*) out=${arg#*=} ;;
    --server=*) server_bin=${arg#*=} ;;
    --loadgen=*) loadgen_bin=${arg#*=} ;;
    --catalog_gen=*) catalog_gen_bin=${arg#*=} ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "soak: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done
# The smoke proves the script end to end on a loaded 2-core CI machine: small and short, with the
# defaults an explicit flag did not override.
if ((smoke)); then
  [[ "$given" == *" --ads="* ]] || ads=10000
  [[ "$given" == *" --rate="* ]] || rate=200
  [[ "$given" == *" --duration="* ]] || duration=20
  [[ "$given" == *" --reload_every="* ]] || reload_every=10
  [[ "$given" == *" --window="* ]] || window=5s
  [[ "$given" == *" --sample_every="* ]] || sample_every=1
  [[ "$given" == *" --threads="* ]] || threads=1
fi
log() { echo "soak: $*" >&2; }
for v in ads rate duration reload_every sample_every threads; do
  [[ "${!v}" =~ ^[0-9]+$ ]] && ((${!v} > 0)) || { log "--$v must be a positive integer, got ${!v}"; exit 2; }
done
((reload_every >= 4)) || { log "--reload_every must be >= 4 s (two segments of >= 2 s), got $reload_every"; exit 2; }
window_s=$(python3 -c '
import re, sys
m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)", sys.argv[1])
if not m: sys.exit(1)
print(float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m.group(2)])' "$window") ||
  { log "--window must be a duration like 90s, 2m or 1h, got $window"; exit 2; }

repo=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z "$out" ]]; then
  if [[ -n "${TEST_TMPDIR:-}" ]]; then out=$TEST_TMPDIR/soak; else out=$repo/bench/results/soak; fi
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [[ -z "$server_bin" || -z "$loadgen_bin" || ( -z "$catalog_gen_bin" && -z "$catalog" ) ]]; then
  if ((build)); then
    log "building gavel_server, gavel_loadgen and catalog_gen (-c opt --config=opt)"
    (cd "$repo" && bazel build -c opt --config=opt --jobs=2 //:gavel_server //:gavel_loadgen //:catalog_gen) >&2
  fi
  bin=$(cd "$repo" && bazel info -c opt --config=opt bazel-bin 2>/dev/null)
  server_bin=${server_bin:-$bin/server/gavel_server}
  loadgen_bin=${loadgen_bin:-$bin/tools/loadgen/gavel_loadgen}
  catalog_gen_bin=${catalog_gen_bin:-$bin/tools/catalog_gen}
fi
abs() { [[ "$1" == /* ]] && echo "$1" || echo "$PWD/$1"; }
server_bin=$(abs "$server_bin")
loadgen_bin=$(abs "$loadgen_bin")
[[ -n "$catalog_gen_bin" ]] && catalog_gen_bin=$(abs "$catalog_gen_bin")

# The catalog: JSON for the load generator's queries, binary for the server (start-up and every
# reload parse it; docs/performance.md, "Start-up"). Budgets x1000: with the default ones, 5% clicks
# at 1,500/s spent a 200k-ad catalog's campaigns out so fast that winners per auction fell from
# 3.7 to 1.7 in ten minutes, and the traffic (and the state it makes) shrank as the soak went on.
if [[ -z "$catalog" ]]; then
  catalog=$(dirname "$out")/catalog_${ads}_budget_x1000.json
  if [[ ! -s "$catalog" ]]; then
    log "generating a ${ads}-ad catalog in $catalog"
    "$catalog_gen_bin" --ads="$ads" --seed=1 --budget_scale=1000 --out="$catalog" >&2
  fi
fi
catalog=$(abs "$catalog")
binpb=${catalog%.json}.binpb
if [[ ! -s "$binpb" || "$binpb" -ot "$catalog" ]]; then
  [[ -n "$catalog_gen_bin" ]] || { log "no $binpb and no --catalog_gen to write it"; exit 2; }
  log "writing $binpb"
  "$catalog_gen_bin" --from="$catalog" --out="$binpb" >&2
fi
queries=$out/queries.tsv
"$loadgen_bin" --catalog="$catalog" --dump_queries="$queries" >&2

# The server, the RSS sampler and the running load segment: killed on exit (a finished segment's
# pid is dropped, so a reused pid is never signalled).
pids=()
loadgen_pid=""
cleanup() {
  for pid in "${pids[@]}" $loadgen_pid; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}" $loadgen_pid; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$out/ledger"
}
trap cleanup EXIT INT TERM

# Every line the server writes to stderr, prefixed with the time (reload start and end come from
# here).
rm -rf "$out/ledger" "$out"/segment_*.json "$out"/segment_*.log
: >"$out/server.stdout"
"$server_bin" --listen=127.0.0.1:0 --insecure_no_client_auth --catalog="$binpb" --ledger_dir="$out/ledger" \
  --click_token_ttl="$window" --impression_token_ttl="$window" --event_id_retention="$window" \
  --impression_event_id_retention="$window" --repeat_click_window="$window" \
  >"$out/server.stdout" 2> >(while IFS= read -r line; do echo "$EPOCHREALTIME $line"; done >"$out/server.stderr") &
server_pid=$!
pids+=("$server_pid")
deadline=$((SECONDS + 600))
port=""
while [[ -z "$port" ]]; do
  if [[ "$(<"$out/server.stdout")" =~ listening\ on\ 127\.0\.0\.1:([0-9]+) ]]; then
    port=${BASH_REMATCH[1]}
  elif ! kill -0 "$server_pid" 2>/dev/null || ((SECONDS > deadline)); then
    log "gavel_server did not start; its stderr:"
    tail -20 "$out/server.stderr" >&2
    exit 1
  else
    sleep 0.2
  fi
done
t0=$EPOCHREALTIME
log "gavel_server pid $server_pid on 127.0.0.1:$port; $duration s at $rate auctions/s, reload every $reload_every s, windows $window"

# Per sample: time, VmRSS, RssAnon (heap and stacks: what a leak grows) in kB, and threads.
(
  while kill -0 "$server_pid" 2>/dev/null; do
    sample=$(awk '/^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 } /^Threads:/ { t = $2 }
                  END { if (r != "") print r, a, t }' "/proc/$server_pid/status" 2>/dev/null) || break
    [[ -n "$sample" ]] && echo "$EPOCHREALTIME $sample"
    sleep "$sample_every"
  done
) >"$out/rss.tsv" &
pids+=("$!")

clk_tck=$(getconf CLK_TCK)
# utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat, counted after the
# ')' that ends the command name).
cpu_ticks() {
  local stat
  stat=$(<"/proc/$1/stat")
  stat=${stat##*) }
  read -r -a f <<<"$stat"
  echo $((f[11] + f[12]))
}
# Busy clock ticks of the whole machine (every process): total minus idle and iowait.
machine_busy_ticks() {
  local cpu user nice system idle iowait irq softirq steal rest
  read -r cpu user nice system idle iowait irq softirq steal rest </proc/stat
  echo $((user + nice + system + irq + softirq + steal))
}

# Segments: half a reload period each; a reload in the middle of every even-numbered one. Each
# segment's .time file holds its start and end, and the server's and the machine's CPU ticks at
# both, so the report can say how much CPU everything else on the machine took meanwhile.
seg_ms=$((reload_every * 1000 / 2))
segments=$(((duration * 1000 + seg_ms - 1) / seg_ms))
: >"$out/reloads.tsv"
for ((i = 0; i < segments; i++)); do
  seg_start="$EPOCHREALTIME $(cpu_ticks "$server_pid") $(machine_busy_ticks)"
  "$loadgen_bin" --target="127.0.0.1:$port" --queries="$queries" --rate="$rate" \
    --threads="$threads" --seed=$((i + 1)) --warmup=1s --duration=$((seg_ms - 1000))ms \
    --impression_rate=1 --click_rate=0.05 --json --progress=false \
    >"$out/segment_$i.json" 2>"$out/segment_$i.log" &
  loadgen_pid=$!
  if ((i % 2 == 0)); then
    sleep "$((seg_ms / 2000)).$(printf '%03d' $((seg_ms / 2 % 1000)))"
    echo "$EPOCHREALTIME" >>"$out/reloads.tsv"
    kill -HUP "$server_pid"
  fi
  wait "$loadgen_pid" || log "segment $i: gavel_loadgen exited $? (see $out/segment_$i.log)"
  loadgen_pid=""
  echo "$seg_start $EPOCHREALTIME $(cpu_ticks "$server_pid") $(machine_busy_ticks)" \
    >"$out/segment_$i.time"
done

# Let the last reload finish before the report reads the server's log.
sent=$(wc -l <"$out/reloads.tsv")
deadline=$((SECONDS + 120))
while (($(grep -c 'reloaded catalog\|reload failed' "$out/server.stderr" || true) < sent)) &&
  ((SECONDS < deadline)); do
  sleep 0.5
done
kill "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true

python3 - "$out" "$t0" "$segments" "$rate" "$duration" "$reload_every" "$window" "$window_s" \
  "$catalog" "$clk_tck" <<'EOF' | tee "$out/soak_report.txt"
import json, os, platform, re, statistics, sys, time

out, t0, segments, rate, duration, reload_every, window, window_s, catalog, clk_tck = sys.argv[1:]
t0, segments, window_s, clk_tck = float(t0), int(segments), float(window_s), int(clk_tck)
reload_every = float(reload_every)
rel = lambda t: float(t) - t0

sent = [rel(l) for l in open(f"{out}/reloads.tsv").read().split()]
done, failed = [], 0
for line in open(f"{out}/server.stderr"):
    if "reloaded catalog" in line:
        done.append(rel(line.split()[0]))
    elif "reload failed" in line:
        failed += 1
        done.append(rel(line.split()[0]))
# Reloads are handled one at a time in order: the k-th end belongs to the k-th signal.
reloads = [(s, done[k] if k < len(done) else None) for k, s in enumerate(sent)]
busy = [(s, e if e is not None else float("inf")) for s, e in reloads]
rss, extra = [], {}
for line in open(f"{out}/rss.tsv"):
    t, kb, anon_kb, threads = line.split()
    rss.append((rel(t), int(kb) / 1024))
    extra[rel(t)] = (int(anon_kb) / 1024, int(threads))
warm = window_s + reload_every

cpu = "unknown"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
print(f"Soak, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {cpu}, "
      f"{os.cpu_count()} cpus, {platform.system()} {platform.release()}")
print(f"catalog {os.path.basename(catalog)}, {rate} auctions/s open loop with an impression per "
      f"winner and 5% clicks, {duration} s, SIGHUP every {reload_every:g} s, windows {window}")
durations = [e - s for s, e in reloads if e is not None]
print(f"reloads: {len(sent)} sent, {len(done) - failed} completed, {failed} failed"
      + (f", {min(durations):.1f}-{max(durations):.1f} s each" if durations else ""))
print()

print("RSS over time (MB; anon = RssAnon, heap and stacks; * = a reload was building)")
print(f"  {'t':>9} {'RSS':>8}  {'anon':>8} {'threads':>8}")
step = max(1, len(rss) // 40)
for t, mb in rss[::step]:
    mark = "*" if any(s <= t <= e for s, e in busy) else " "
    anon, threads = extra[t]
    print(f"  {t:7.0f} s {mb:8.1f}{mark} {anon:8.1f} {threads:8d}")
after = [(t, mb) for t, mb in rss if t >= warm]
calm = [(t, mb) for t, mb in after if not any(s <= t <= e for s, e in busy)]
if after:
    line = (f"after warm-up (t >= {warm:.0f} s: first retention window + one reload period): "
            f"min {min(mb for _, mb in after):.1f} MB, max {max(mb for _, mb in after):.1f} MB")
    if calm:
        line += (f"; between reloads min {min(mb for _, mb in calm):.1f}, "
                 f"max {max(mb for _, mb in calm):.1f}")
    print(line)
else:
    print(f"after warm-up (t >= {warm:.0f} s): no samples (run longer than the warm-up)")
print()

print("Per segment: auction latency from each call's intended send time; events/s ingested, event")
print("errors and event-call p99; others = cores every other process on the machine used meanwhile")
print("(above ~0.1, the segment shared its cores and its latency is noisy)")
print(f"{'segment':>8}{'start s':>9}{'reload':>8}{'QPS':>8}{'p50 ms':>9}{'p99 ms':>9}"
      f"{'p99.9 ms':>10}{'errors':>8}{'not sent':>10}{'events/s':>10}{'ev err':>8}{'ev p99 ms':>11}"
      f"{'others':>8}")
rows = []
for i in range(segments):
    try:
        r = json.load(open(f"{out}/segment_{i}.json"))
        t_start, server_a, busy_a, t_end, server_b, busy_b = map(
            float, open(f"{out}/segment_{i}.time").read().split())
    except (OSError, ValueError):
        print(f"{i:8d}  (no report: see segment_{i}.log)")
        continue
    start, end = rel(t_start), rel(t_end)
    others = ((busy_b - busy_a) - (server_b - server_a)) / clk_tck - r["client_cpu_s"]
    others = max(0.0, others) / (t_end - t_start)
    with_reload = any(s < end and e > start for s, e in busy)
    e = r["events"]
    lat = r["latency_us"]
    rows.append((i, with_reload, lat["p99"] / 1000))
    print(f"{i:8d}{start:9.0f}{'yes' if with_reload else 'no':>8}{r['qps']:8.0f}{lat['p50'] / 1000:9.2f}"
          f"{lat['p99'] / 1000:9.2f}{lat['p999'] / 1000:10.2f}{sum(r['errors'].values()):8d}"
          f"{r['not_sent']:10d}{(e['impressions'] + e['clicks']) / r['duration_s']:10.0f}"
          f"{sum(e['rpc_errors'].values()):8d}{e['latency_us']['p99'] / 1000:11.2f}{others:7.2f}c")
print()

if len(calm) >= 3:
    xs = [t / 60 for t, _ in calm]
    ys = [mb for _, mb in calm]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
    median = statistics.median(ys)
    flat = abs(slope) * 60 < 0.05 * median
    third = max(1, len(ys) // 3)
    print(f"RSS flat: {'yes' if flat else 'no'} (slope {slope:+.2f} MB/min after warm-up; "
          f"{len(calm)} samples between reloads, median {median:.0f} MB: "
          f"{statistics.median(ys[:third]):.0f} in the first third, "
          f"{statistics.median(ys[-third:]):.0f} in the last; yes = under 5% of it per hour)")
else:
    print(f"RSS flat: unknown (slope n/a MB/min after warm-up: {len(calm)} samples between reloads "
          f"after t = {warm:.0f} s; run longer)")
measured = rows[1:]
with_r = [p for _, w, p in measured if w]
without = [p for _, w, p in measured if not w]
if with_r and without:
    a, b = statistics.median(with_r), statistics.median(without)
    ratio = a / b if b else float("inf")
    print(f"p99 unchanged by reloads: {'yes' if ratio <= 1.25 else 'no'} (ratio {ratio:.2f}: "
          f"median p99 {a:.2f} ms over {len(with_r)} segments with a reload, {b:.2f} ms over "
          f"{len(without)} without; yes = ratio <= 1.25)")
else:
    print("p99 unchanged by reloads: unknown (ratio n/a: need segments with and without a reload "
          "after the first)")
EOF
