#!/usr/bin/env bash
# The serving benchmark: bench/echo_server (gRPC with no work: the ceiling) and then gavel_server,
# each driven by the same gavel_loadgen settings: closed loop with 1 and 64 calls in flight, then
# open loop at 1.5x that server's closed-loop peak; for gavel_server also open loop at half its peak,
# auctions alone and then with an impression reported per winner and 5% clicks (real traffic).
# Prints QPS, p50/p99/p99.9 latency and server CPU per call (from /proc/PID/stat), plus Gavel/echo
# ratios and the real-traffic figures, and writes the results as JSON.
#
#   bench/run_serving_bench.sh                 # ~2 minutes: build, 1M-ad catalog, both servers
#   bench/run_serving_bench.sh --quick         # ~20 s of load (shorter runs, 100k ads)
#   bench/run_serving_bench.sh --catalog=FILE  # use an existing catalog instead of generating one
#   bench/run_serving_bench.sh --echo_only     # the ceiling alone
#
# Options: --ads=N (catalog size, default 1000000), --duration=S and --warmup=S (per run, seconds),
# --out=DIR (results; default bench/results), --no_build (use what is already built),
# --gavel_bin=PATH (a gavel_server binary to use instead of building //server:gavel_server),
# --gavel_args='--flag=value ...' (extra gavel_server flags, split on spaces), --aa (an A/A run:
# echo_server stands in for gavel_server, to show how far two identical servers disagree here).
# Only loopback addresses are used; the servers are killed on exit. When //server:gavel_server or
# //tools:catalog_gen does not exist yet, the script says so and runs the echo server alone.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
echo_only=0
build=1
ads=1000000
catalog=""
duration=""
warmup=""
out=bench/results
gavel_bin=""
gavel_args=""
aa=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --echo_only) echo_only=1 ;;
    --no_build) build=0 ;;
    --ads=*) ads=${arg#*=} ;;
    --catalog=*) catalog=${arg#*=} ;;
    --duration=*) duration=${arg#*=} ;;
    --warmup=*) warmup=${arg#*=} ;;
    --out=*) out=${arg#*=} ;;
    --gavel_bin=*) gavel_bin=${arg#*=} ;;
    --gavel_args=*) gavel_args=${arg#*=} ;;
    --aa) aa=1 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "run_serving_bench: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done
if ((quick)); then
  duration=${duration:-2.5}
  warmup=${warmup:-0.5}
  [[ "$*" == *--ads=* ]] || ads=100000
else
  duration=${duration:-15}
  warmup=${warmup:-2}
fi
mkdir -p "$out"
log() { echo "run_serving_bench: $*" >&2; }

target_exists() { bazel query --noshow_progress "$1" >/dev/null 2>&1; }
have_gavel=0
have_catalog_gen=0
build_gavel=0
if ((!echo_only)); then
  if [[ -n "$gavel_bin" ]] || ((aa)); then
    have_gavel=1
  elif target_exists //server:gavel_server; then
    have_gavel=1
    build_gavel=1
  else
    log "//server:gavel_server does not exist yet: echo server only"
  fi
  if target_exists //tools:catalog_gen; then have_catalog_gen=1; fi
fi
if ((have_gavel && !aa)) && [[ -z "$catalog" ]] && ((!have_catalog_gen)); then
  log "no --catalog and no //tools:catalog_gen: gavel_server has nothing to serve; echo server only"
  have_gavel=0
fi

targets=(//bench:echo_server //tools/loadgen:gavel_loadgen)
((build_gavel)) && targets+=(//server:gavel_server)
((have_gavel && have_catalog_gen && !aa)) && [[ -z "$catalog" ]] && targets+=(//tools:catalog_gen)
if ((build)); then
  log "building ${targets[*]}"
  bazel build -c opt --config=opt --jobs=2 "${targets[@]}" >&2
fi
bin=$(bazel info -c opt --config=opt bazel-bin 2>/dev/null)
((aa)) && gavel_bin="$bin/bench/echo_server"
[[ -n "$gavel_bin" ]] || gavel_bin="$bin/server/gavel_server"

if ((have_gavel && !aa)) && [[ -z "$catalog" ]]; then
  catalog="$out/catalog_${ads}.json"
  if [[ ! -s "$catalog" ]]; then
    log "generating a ${ads}-ad catalog in $catalog"
    "$bin/tools/catalog_gen" --ads="$ads" --seed=1 --out="$catalog" >&2
  fi
fi

# Every server and child this script starts; all are killed on exit.
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

clk_tck=$(getconf CLK_TCK)
# utime + stime of a process in seconds. Fields 14 and 15 of /proc/PID/stat, counted after the
# ')' that ends the command name (which may itself contain spaces).
cpu_seconds() {
  local stat
  stat=$(<"/proc/$1/stat")
  stat=${stat##*) }
  read -r -a f <<<"$stat"
  awk -v u="${f[11]}" -v s="${f[12]}" -v t="$clk_tck" 'BEGIN { printf "%.2f", (u + s) / t }'
}

# Busy CPU seconds of the whole machine (all processes) from /proc/stat: total minus idle and iowait.
machine_busy_seconds() {
  local cpu user nice system idle iowait irq softirq steal rest
  read -r cpu user nice system idle iowait irq softirq steal rest </proc/stat
  awk -v b="$((user + nice + system + irq + softirq + steal))" -v t="$clk_tck" 'BEGIN { printf "%.2f", b / t }'
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server NAME COMMAND...: starts it on a loopback port, waits until it prints its
# "listening on" line or accepts connections (gavel_server may take a while to load the catalog),
# and sets server_pid and server_port.
start_server() {
  local name=$1
  shift
  server_port=$(free_port)
  exec {server_fd}< <(exec "$@" --listen="127.0.0.1:$server_port" 2>"$out/$name.stderr")
  server_pid=$!
  pids+=("$server_pid")
  local line deadline=$((SECONDS + 600))
  while ((SECONDS < deadline)); do
    if read -r -t 0.2 -u "$server_fd" line; then
      [[ "$line" =~ ^listening\ on\ 127\.0\.0\.1:([0-9]+)$ ]] && { server_port=${BASH_REMATCH[1]}; return 0; }
    elif (exec 9<>"/dev/tcp/127.0.0.1/$server_port") 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      log "$name exited before listening; its stderr:"
      tail -20 "$out/$name.stderr" >&2
      exit 1
    fi
  done
  log "$name did not start listening within 600 s"
  exit 1
}

loadgen_args=(--threads=2 --seed=1 --duration="${duration}s" --warmup="${warmup}s" --json --progress=false)
if [[ -n "$catalog" ]]; then
  # Parse the catalog once: its Zipf-weighted keyword queries and page ids go to a query file that
  # every run reads in milliseconds.
  "$bin/tools/loadgen/gavel_loadgen" --catalog="$catalog" --dump_queries="$out/queries.tsv"
  loadgen_args+=(--queries="$out/queries.tsv")
fi

# run_load SERVER RUN ARGS...: one gavel_loadgen run against the current server; writes
# $out/SERVER_RUN.json with the server's CPU seconds and CPU per call added (the text report is in
# $out/SERVER_RUN.log). CPU per call divides by every completed call, warmup included, because the
# CPU reading spans the whole run.
run_load() {
  local server=$1 run=$2
  shift 2
  local cpu_before cpu_after busy_before busy_after t_before t_after
  cpu_before=$(cpu_seconds "$server_pid")
  busy_before=$(machine_busy_seconds)
  t_before=$(date +%s.%N)
  "$bin/tools/loadgen/gavel_loadgen" --target="127.0.0.1:$server_port" "${loadgen_args[@]}" "$@" \
    >"$out/${server}_${run}.raw.json" 2>"$out/${server}_${run}.log"
  t_after=$(date +%s.%N)
  busy_after=$(machine_busy_seconds)
  cpu_after=$(cpu_seconds "$server_pid")
  python3 - "$out/${server}_${run}.raw.json" "$out/${server}_${run}.json" "$server" "$run" \
    "$cpu_before" "$cpu_after" "$busy_before" "$busy_after" "$t_before" "$t_after" <<'EOF'
import json, sys
raw, dest, server, run = sys.argv[1:5]
cpu_before, cpu_after, busy_before, busy_after, t_before, t_after = map(float, sys.argv[5:])
r = json.load(open(raw))
r["server"] = server
r["run"] = run
r["server_cpu_s"] = round(cpu_after - cpu_before, 3)
r["server_cpu_us_per_call"] = round(1e6 * r["server_cpu_s"] / max(1, r["all_completed"]), 2)
# CPU the rest of the machine used meanwhile (other engineers' builds and tests on a shared box),
# in cores: a run that had to share its cores with others is marked as such in the table.
elapsed = t_after - t_before
others = (busy_after - busy_before) - r["server_cpu_s"] - r["client_cpu_s"]
r["other_cpu_cores"] = round(max(0.0, others) / elapsed, 2)
r["elapsed_s"] = round(elapsed, 3)
json.dump(r, open(dest, "w"))
print(f'  {server:5} {run:6} {r["qps"]:9.0f} qps  p50 {r["latency_us"]["p50"]:8.1f}  '
      f'p99 {r["latency_us"]["p99"]:8.1f}  p99.9 {r["latency_us"]["p999"]:8.1f} us  '
      f'cpu {r["server_cpu_us_per_call"]:6.1f} us/call  errors {sum(r["errors"].values())}  '
      f'not sent {r["not_sent"]}  others {r["other_cpu_cores"]:.2f} cores', file=sys.stderr)
EOF
  rm -f "$out/${server}_${run}.raw.json"
}

peak_qps() { python3 -c 'import json, sys; print(max(json.load(open(f))["qps"] for f in sys.argv[1:]))' "$@"; }

bench_server() {
  local name=$1
  shift
  start_server "$name" "$@"
  log "$name listening on 127.0.0.1:$server_port (pid $server_pid)"
  run_load "$name" c1 --concurrency=1
  run_load "$name" c64 --concurrency=64
  local rate
  rate=$(python3 -c "print(round(1.5 * $(peak_qps "$out/${name}_c1.json" "$out/${name}_c64.json")))")
  run_load "$name" open --rate="$rate"
  if [[ $name == gavel ]] && ((!aa)); then
    # Real traffic (issue 18): at half the closed-loop peak, auctions alone and then with an
    # impression reported for every winner and a click for 5% of them, as an ad-serving client does.
    rate=$(python3 -c "print(round(0.5 * $(peak_qps "$out/${name}_c1.json" "$out/${name}_c64.json")))")
    run_load "$name" half --rate="$rate"
    run_load "$name" events --rate="$rate" --impression_rate=1 --click_rate=0.05
  fi
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
}

servers=(echo)
bench_server echo "$bin/bench/echo_server"
if ((have_gavel)); then
  servers+=(gavel)
  read -r -a extra <<<"$gavel_args"
  rm -rf "$out/ledger"
  # Loopback only, so no client keys (bench/auth_bench measures the key lookup on its own).
  ((aa)) || extra=(--catalog="$catalog" --ledger_dir="$out/ledger" --insecure_no_client_auth "${extra[@]}")
  bench_server gavel "$gavel_bin" "${extra[@]}"
fi

python3 - "$out" "$duration" "$warmup" "${catalog:-none}" "${servers[@]}" <<'EOF'
import json, os, platform, sys, time
out, duration, warmup, catalog, servers = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
runs = {(s, r): json.load(open(f"{out}/{s}_{r}.json")) for s in servers
        for r in ("c1", "c64", "open", "half", "events") if os.path.exists(f"{out}/{s}_{r}.json")}
cpu = "unknown"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
print(f"Serving benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {cpu}, "
      f"{open('/proc/cpuinfo').read().count('processor')} cpus, {platform.system()} {platform.release()}")
print("client CPU: the load generator's, in cores; others: cores used by every other process on the")
print("machine during the run (on a shared machine, anything above ~0.1 means the numbers are noisy)")
print()
head = (f"{'server':7}{'run':16}{'QPS':>10}{'p50 us':>10}{'p99 us':>10}{'p99.9 us':>10}"
        f"{'CPU us/call':>13}{'client CPU':>12}{'errors':>8}{'not sent':>10}{'others':>8}")
print(head)
print("-" * len(head))
for (s, r), j in runs.items():
    label = {"c1": "1 in flight", "c64": "64 in flight", "open": f"open {j['rate']:.0f}/s",
             "half": f"half {j['rate']:.0f}/s", "events": f"+events {j['rate']:.0f}/s"}[r]
    lat = j["latency_us"]
    print(f"{s:7}{label:16}{j['qps']:10.0f}{lat['p50']:10.1f}{lat['p99']:10.1f}{lat['p999']:10.1f}"
          f"{j['server_cpu_us_per_call']:13.1f}{j['client_cpu_s'] / j['elapsed_s']:11.2f}c"
          f"{sum(j['errors'].values()):8d}{j['not_sent']:10d}{j['other_cpu_cores']:7.2f}c")
ratios = {}
traffic = {}
if ("gavel", "events") in runs:
    half, ev = runs[("gavel", "half")], runs[("gavel", "events")]
    e = ev["events"]
    traffic = {
        "auction_p99_ratio": round(ev["latency_us"]["p99"] / half["latency_us"]["p99"], 2)
        if half["latency_us"]["p99"] else None,
        "events_per_s": round((e["impressions"] + e["clicks"]) / ev["elapsed_s"]),
        "events_per_auction": round((e["impressions"] + e["clicks"]) / max(1, ev["requests"]), 2),
        "event_rpc_errors": e["rpc_errors"],
        "events_not_sent": e["not_sent"],
        "event_p99_us": e["latency_us"]["p99"],
    }
    print()
    print("Real traffic at half the peak (gavel): auction p99 with events / without x"
          f"{traffic['auction_p99_ratio']} (goal <= 2), events {traffic['events_per_s']}/s "
          f"({traffic['events_per_auction']} per auction), event errors {traffic['event_rpc_errors']}, "
          f"not sent {traffic['events_not_sent']}, event p99 {traffic['event_p99_us']:.0f} us")
if "gavel" in servers:
    print()
    print("Gavel / echo")
    for r in ("c1", "c64", "open"):
        g, e = runs[("gavel", r)], runs[("echo", r)]
        def ratio(a, b):
            return round(a / b, 2) if b else None
        ratios[r] = {
            "qps": ratio(g["qps"], e["qps"]),
            "p50": ratio(g["latency_us"]["p50"], e["latency_us"]["p50"]),
            "p99": ratio(g["latency_us"]["p99"], e["latency_us"]["p99"]),
            "p999": ratio(g["latency_us"]["p999"], e["latency_us"]["p999"]),
            "cpu_per_call": ratio(g["server_cpu_us_per_call"], e["server_cpu_us_per_call"]),
        }
        x = ratios[r]
        # Open loop runs each server at 1.5x its own peak, so its ratios compare overloads of the
        # same degree, not the same offered rate.
        rates = f"  (offered {g['rate']:.0f}/s vs {e['rate']:.0f}/s)" if r == "open" else ""
        print(f"  {r:5} QPS x{x['qps']}  p50 x{x['p50']}  p99 x{x['p99']}  p99.9 x{x['p999']}  "
              f"CPU/call x{x['cpu_per_call']}{rates}")
summary = {
    "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "cpu": cpu,
    "cpus": open("/proc/cpuinfo").read().count("processor"),
    "kernel": platform.release(),
    "settings": {"duration_s": float(duration), "warmup_s": float(warmup), "catalog": catalog,
                 "loadgen_threads": 2, "max_outstanding": 1000},
    "runs": [dict(j) for j in runs.values()],
    "ratios_gavel_over_echo": ratios,
    "real_traffic": traffic,
}
json.dump(summary, open(f"{out}/serving_bench.json", "w"), indent=1)
print()
print(f"results: {out}/serving_bench.json")
EOF
