#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# make bench: xtcp beside the Linux stack, in one run, on throwaway
# namespaces. Every benchmark runs each system in turn, REPS times,
# alternating, and appends rows to bench/results/raw.csv; report.py turns
# them into REPORT.md and the plots. QUICK=1: short runs, same structure.
#
#   bench/run.sh [NAME...]   only these: xdp_cost syn_flood legit conn_rate
#                            bulk memory nginx proxy sender
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=$ROOT/build
. scripts/netns.sh
. bench/lib.sh

QUICK=${QUICK:-}
# QUICK measures the same things as the full run, with less of each: 3
# repetitions instead of 5, 1 s instead of 3 s per timed run, 10^6 instead
# of 10^7 runs per XDP cost figure, 1000 idle connections instead of 5000,
# one legit run per point instead of two (each still >= LEGIT_MIN attempts)
if [ -n "$QUICK" ] && [ "$QUICK" != 0 ]; then
	REPS=${REPS:-3}
	DUR=1; COST_REPEAT=1000000; IDLE_CONNS=1000; MODE=quick
	LEGIT_REPS=${LEGIT_REPS:-1}; LEGIT_MAXDUR=${LEGIT_MAXDUR:-10}
else
	REPS=${REPS:-5}
	DUR=3; COST_REPEAT=10000000; IDLE_CONNS=5000; MODE=full
	LEGIT_REPS=${LEGIT_REPS:-2}; LEGIT_MAXDUR=${LEGIT_MAXDUR:-30}
fi
# legitimate clients: at least this many attempts per run, so every point
# of every system stands on LEGIT_MIN x LEGIT_REPS; a run never goes past
# LEGIT_MAXDUR seconds (the report flags a point under 2000). The attempts
# come from LEGIT_CLIENTS clients in parallel on the client CPU, each one
# attempt after another, all together starting at most LEGIT_RATE attempts
# a second on one schedule: the legitimate load is the same for every
# system and point, small beside any flood rate, and a client waiting out
# a lost SYN (1 s, then 2 s more) leaves its turns to the others. Most
# clients idle at a point without loss; they are there for the points
# where a large share of attempts waits on a retransmission.
LEGIT_MIN=${LEGIT_MIN:-2000}
LEGIT_CLIENTS=${LEGIT_CLIENTS:-256}
LEGIT_RATE=${LEGIT_RATE:-2000}
OUT=${BENCH_OUT:-$ROOT/bench/results}	# BENCH_OUT: elsewhere, e.g. for a partial run
WORK=$(mktemp -d /tmp/xtcp-bench.XXXXXX)
RAW=$OUT/raw.csv
BENCHES=${*:-xdp_cost syn_flood legit conn_rate bulk memory nginx proxy sender}
# legit's flood rates come from syn_flood's capacities: run it first

[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (namespaces, XDP)" >&2; exit 1; }
for t in wrk nft gnuplot bpftool; do
	command -v $t >/dev/null || { echo "bench: $t missing: make deps" >&2; exit 1; }
done
mkdir -p "$OUT"
echo "bench,metric,system,rep,value,unit" > "$RAW"
bench_cleanup() { system_down; netns_cleanup; rm -rf "$WORK"; }
trap bench_cleanup EXIT

machine() {
	{
		echo "mode=$MODE"
		echo "reps=$REPS"
		echo "duration_s=$DUR"
		echo "idle_conns=$IDLE_CONNS"
		echo "legit_min=$LEGIT_MIN"
		echo "legit_reps=$LEGIT_REPS"
		echo "legit_clients=$LEGIT_CLIENTS"
		echo "legit_rate=$LEGIT_RATE"
		echo "legit_maxdur=$LEGIT_MAXDUR"
		echo "kernel=$(uname -r)"
		echo "cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
		echo "cores=$(nproc)"
		echo "mem=$(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"
		echo "date=$(date -u +%FT%TZ)"
		echo "commit=$(git rev-parse --short HEAD 2>/dev/null || echo none)"
		echo "wrk=$(wrk -v 2>&1 | head -1)"
	} > "$OUT/machine.txt"
}

# 1. ns per packet of the XDP paths (BPF_PROG_TEST_RUN, no interface)
bench_xdp_cost() {
	log "xdp_cost: $REPS reps of $COST_REPEAT runs"
	taskset -c "$SRV_CPU" "$BUILD/xtcp-xdpcost" --repeat "$COST_REPEAT" \
		--reps "$REPS" | tail -n +2 >> "$RAW"
}

# One flood of DUR seconds at the generator's full rate against whatever
# is up. Answers are counted at the client's sink; CPU is the server veth's
# NAPI thread, where all of the server's SYN work runs.
flood_once() { # SYSTEM REP
	local np s0 s1 c0 c1 gen ans
	np=$(napi_pid "$VETH_SRV")
	s0=$(sink_read); c0=$(cpu_of "$np")
	gen=$(flood_run "$DUR") || return 1
	s1=$(sink_read); c1=$(cpu_of "$np")
	python3 - "$1" "$2" "$gen" "$s0" "$s1" "$c0" "$c1" >> "$RAW" <<'PY'
import json, sys
sys_, rep, gen = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
s0, s1 = [list(map(int, a.split())) for a in sys.argv[4:6]]
c0, c1 = float(sys.argv[6]), float(sys.argv[7])
d = [b - a for a, b in zip(s0, s1)]
answers = d[0] + d[1] + d[2]   # the reflector answers SYN with SYN
secs = gen["seconds"]
print(f"syn_flood,answers_per_s,{sys_},{rep},{answers / secs:.0f},1/s")
print(f"syn_flood,generator_per_s,{sys_},{rep},{gen['rate']:.0f},1/s")
print(f"syn_flood,server_cpu,{sys_},{rep},{(c1 - c0) / secs:.3f},cores")
if answers:
    print(f"syn_flood,cpu_ns_per_answer,{sys_},{rep},{(c1 - c0) * 1e9 / answers:.1f},ns")
PY
}

# 2. SYN flood: answers per second and server CPU per answer
bench_syn_flood() {
	local rep sys
	for rep in $(seq "$REPS"); do
		for sys in xtcp linux-cookies synproxy reflector; do
			log "syn_flood: $sys rep $rep"
			system_up "$sys" http || return 1
			flood_once "$sys" "$rep" || return 1
			system_down
		done
	done
}

# The flood rates of the legitimate-client benchmark, "POINT:PPS ...":
# none; 2x and 4x what the kernel's cookie path answers on one core; 0.8x
# xtcp's own capacity; the generator's maximum (0: unpaced). The
# capacities are the medians of syn_flood's answers_per_s; without them
# (legit run alone), one calibration flood of each measures them first.
legit_rates() {
	local sys
	if ! grep -q '^syn_flood,answers_per_s,linux-cookies,' "$RAW" ||
	   ! grep -q '^syn_flood,answers_per_s,xtcp,' "$RAW"; then
		for sys in linux-cookies xtcp; do
			log "legit: calibrating $sys's capacity"
			system_up "$sys" http || return 1
			flood_once "$sys" cal || return 1
			system_down
		done
	fi
	python3 - "$RAW" <<'PY'
import csv, statistics, sys
v = {}
for r in csv.DictReader(open(sys.argv[1])):
    if r["bench"] == "syn_flood" and r["metric"] == "answers_per_s":
        v.setdefault(r["system"], []).append(float(r["value"]))
k, x = statistics.median(v["linux-cookies"]), statistics.median(v["xtcp"])
print(f"none:0 k2:{2 * k:.0f} k4:{4 * k:.0f} x08:{0.8 * x:.0f} max:0")
PY
}

# One point: the clients connect one connection after another each
# (connect, GET, read to EOF) for at least DUR seconds and LEGIT_MIN
# attempts in all while the generator floods at PPS beside them; the
# latencies go to a samples file per (point, system) so percentiles pool
# over the repetitions. Lost legitimate packets are counted twice over:
# the client's SYN retransmissions, and what the veth ring refused of the
# client's own (kernel stack) packets (veth_legit_drops in lib.sh, read
# before the flood starts and after it ends). The flood rate is the one
# during the client's run, from the veth's counters; the generator's own
# report (its whole run) is kept beside.
legit_once() { # SYSTEM REP POINT PPS
	local fpid= d0 d1 v0 v1 f0 f1 t0 t1 res gen='{}'
	d0=$(syn_retrans); v0=$(veth_legit_drops)
	if [ "$3" != none ]; then
		flood_beside $((LEGIT_MAXDUR + 5)) "$4" > "$WORK/flood.json" &
		fpid=$!
		flood_idle "$fpid"
	fi
	f0=$(veth_flood_frames); t0=$(date +%s.%N)
	res=$(in_cli taskset -c "$CLI_CPU" "$BUILD/xtcp-load" connect "$SRV4" "$PORT" \
		--duration "$DUR" --min "$LEGIT_MIN" --max-duration "$LEGIT_MAXDUR" \
		--clients "$LEGIT_CLIENTS" --rate "$LEGIT_RATE" \
		--samples "$WORK/legit-$3-$1.txt")
	local rc=$?
	f1=$(veth_flood_frames); t1=$(date +%s.%N)
	if [ -n "$fpid" ]; then
		flood_stop "$fpid" && gen=$(cat "$WORK/flood.json")
	fi
	[ $rc -eq 0 ] || return 1
	d1=$(syn_retrans); v1=$(veth_legit_drops)
	python3 - "$1" "$2" "$3" "$4" "$res" "$gen" $((d1 - d0)) "$WORK/legit.jsonl" \
		$((v1 - v0)) $((f1 - f0)) "$t0" "$t1" >> "$RAW" <<'PY'
import json, sys
s, rep, point, target = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
r, g, drops = json.loads(sys.argv[5]), json.loads(sys.argv[6]), int(sys.argv[7])
ring, frames = int(sys.argv[9]), int(sys.argv[10])
flood = frames / (float(sys.argv[12]) - float(sys.argv[11])) if point != "none" else 0
b = f"legit_{point}"
print(f"{b},success_pct,{s},{rep},{100 * r['success']:.3f},%")
print(f"{b},connect_p50,{s},{rep},{r['p50_us']:.1f},us")
print(f"{b},connect_p99,{s},{rep},{r['p99_us']:.1f},us")
print(f"{b},connect_p999,{s},{rep},{r['p999_us']:.1f},us")
print(f"{b},attempts,{s},{rep},{r['attempts']},1")
print(f"{b},flood_pps,{s},{rep},{flood:.0f},1/s")
print(f"{b},generator_pps,{s},{rep},{g.get('rate', 0):.0f},1/s")
print(f"{b},syn_retrans,{s},{rep},{drops},1")
print(f"{b},ring_drops,{s},{rep},{ring},1")
print(f"{b},seconds,{s},{rep},{r['seconds']:.2f},s")
with open(sys.argv[8], "a") as f:
    f.write(json.dumps({"point": point, "system": s, "rep": rep, "target": target,
                        "flood": flood, "attempts": r["attempts"],
                        "ok": r["ok"], "retrans": drops, "ring": ring,
                        "seconds": r["seconds"]}) + "\n")
PY
}

# Pool the repetitions of each (point, system): success over all attempts,
# percentiles over all latencies; bench/results/legit.csv.
legit_pool() {
	python3 - "$WORK" "$OUT/legit.csv" <<'PY'
import json, os, statistics, sys
work, out = sys.argv[1], sys.argv[2]
runs = {}
for line in open(os.path.join(work, "legit.jsonl")):
    r = json.loads(line)
    runs.setdefault((r["point"], r["system"]), []).append(r)
def pct(v, p):
    return v[min(len(v) - 1, int(p * (len(v) - 1) + 0.5))] if v else 0
with open(out, "w") as f:
    f.write("point,system,target_pps,flood_pps,runs,attempts,ok,success_pct,"
            "p50_us,p99_us,p999_us,syn_retrans,ring_drops,seconds\n")
    for (point, s), rs in runs.items():
        lat = []
        try:
            lat = sorted(float(x) for x in open(os.path.join(work, f"legit-{point}-{s}.txt")))
        except OSError:
            pass
        att, ok = sum(r["attempts"] for r in rs), sum(r["ok"] for r in rs)
        f.write(f"{point},{s},{rs[0]['target']},"
                f"{statistics.median(r['flood'] for r in rs):.0f},{len(rs)},{att},{ok},"
                f"{100 * ok / att if att else 0:.3f},{pct(lat, .5):.1f},"
                f"{pct(lat, .99):.1f},{pct(lat, .999):.1f},"
                f"{sum(r['retrans'] for r in rs)},{sum(r['ring'] for r in rs)},"
                f"{sum(r['seconds'] for r in rs):.1f}\n")
PY
}

# 3. legitimate clients at several flood rates (legit_rates), each system
# in turn, LEGIT_REPS times
bench_legit() {
	local rep sys pt rates
	rates=$(legit_rates) || return 1
	log "legit: flood points $rates"
	echo "legit_rates=$rates" >> "$OUT/machine.txt"
	rm -f "$WORK"/legit-*.txt "$WORK/legit.jsonl"
	for rep in $(seq "$LEGIT_REPS"); do
		for sys in xtcp linux linux-cookies; do
			system_up "$sys" http || return 1
			for pt in $rates; do
				log "legit: $sys ${pt%%:*} (${pt#*:}/s) rep $rep"
				legit_once "$sys" "$rep" "${pt%%:*}" "${pt#*:}" || return 1
			done
			system_down
		done
	done
	legit_pool
}

# The server's CPU: its process plus the server veth's NAPI thread.
srv_cpu() { awk "BEGIN { print $(cpu_of "$SRV_PID") + $(cpu_of "$(napi_pid "$VETH_SRV")") }"; }

# 4. HTTP/1.1 requests per second, new connection per request or keep-alive
bench_conn_rate() {
	local rep sys kind
	for rep in $(seq "$REPS"); do
		for sys in xtcp linux; do
			system_up "$sys" http || return 1
			for kind in close keepalive; do
				log "conn_rate: $sys $kind rep $rep"
				wrk_once "$sys" "$rep" "$kind" http || return 1
			done
			system_down
		done
	done
}

# 5. bulk transfer: one and eight connections, both directions
bench_bulk() {
	local rep sys app dir n c0 c1 out
	for rep in $(seq "$REPS"); do
		for sys in xtcp linux; do
			for app in source discard; do
				system_up "$sys" "$app" || return 1
				dir=--read
				[ "$app" = discard ] && dir=--write
				for n in 1 8; do
					log "bulk: $sys $app x$n rep $rep"
					c0=$(srv_cpu)
					out=$(in_cli taskset -c "$CLI_CPU" "$BUILD/xtcp-load" bulk \
						"$SRV4" "$PORT" $dir --conns $n --duration "$DUR") || return 1
					c1=$(srv_cpu)
					python3 - "$sys" "$rep" "${app}_x$n" "$c0" "$c1" "$out" \
						>> "$RAW" <<'PY'
import json, sys
s, rep, b = sys.argv[1:4]
c0, c1, r = float(sys.argv[4]), float(sys.argv[5]), json.loads(sys.argv[6])
print(f"bulk_{b},gbps,{s},{rep},{r['gbps']:.3f},Gbit/s")
cpu = (c1 - c0) / r["seconds"]
print(f"bulk_{b},server_cpu,{s},{rep},{cpu:.3f},cores")
if r["bytes"]:
    print(f"bulk_{b},cpu_ns_per_kb,{s},{rep},{(c1 - c0) * 1e9 / (r['bytes'] / 1024):.1f},ns")
PY
				done
				system_down
			done
		done
	done
}

slab_kb() { awk '/^Slab:/ {print $2}' /proc/meminfo; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# 6. memory: per half-open connection during a flood, per idle
# established connection. Slab is machine-wide and also holds the client's
# sockets, so the kernel server's share is its delta minus xtcp's (whose
# connections hold no kernel socket on the server side).
bench_memory() {
	local rep sys s0 s1 r0 r1 ipid ready half req
	for rep in $(seq "$REPS"); do
		for sys in xtcp linux; do
			log "memory: $sys rep $rep"
			system_up "$sys" http || return 1
			# half-open: a one-second flood, counted during it
			if [ "$sys" = linux ]; then
				ip netns exec "$NS_SRV" sysctl -qw net.ipv4.tcp_syncookies=0 \
					net.ipv4.tcp_max_syn_backlog=65536 net.core.somaxconn=65536
				srv_stop; srv_start "$BUILD/xtcp-kserver" --port "$PORT" \
					--app http --backlog 65536; srv_wait
			fi
			s0=$(slab_kb)
			flood_run 1 >/dev/null || return 1
			s1=$(slab_kb)
			if [ "$sys" = linux ]; then
				half=$(ip netns exec "$NS_SRV" ss -Htn state syn-recv | wc -l)
			else
				half=$(in_srv "$XTCP" stats "$VETH_SRV" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["flows"] + sum(v for k, v in d.get("engine", {}).items() if k.startswith("conn_")))')
			fi
			row memory half_open_count "$sys" "$rep" "$half" 1
			row memory half_open_slab_kb "$sys" "$rep" $((s1 - s0)) kB
			if [ "$half" -gt 0 ]; then
				row memory bytes_per_half_open "$sys" "$rep" \
					$(( (s1 - s0) * 1024 / half )) B
			else
				row memory bytes_per_half_open "$sys" "$rep" 0 B
			fi
			system_down
			[ "$sys" = linux ] && ip netns exec "$NS_SRV" sysctl -qw net.ipv4.tcp_syncookies=1
			# let SYN_RECV and TIME-WAIT leftovers go before counting again
			system_up "$sys" http || return 1
			sleep 1
			s0=$(slab_kb); r0=$(rss_kb "$SRV_PID")
			in_cli taskset -c "$CLI_CPU" "$BUILD/xtcp-load" idle "$SRV4" "$PORT" \
				--conns "$IDLE_CONNS" > "$WORK/idle.out" &
			ipid=$!
			ready=
			for _ in $(seq 600); do
				grep -q conns "$WORK/idle.out" && { ready=1; break; }
				kill -0 $ipid 2>/dev/null || break
				sleep 0.1
			done
			[ -n "$ready" ] || { log "idle connections did not come up"; return 1; }
			sleep 1
			s1=$(slab_kb); r1=$(rss_kb "$SRV_PID")
			kill $ipid; wait $ipid 2>/dev/null
			row memory idle_slab_kb "$sys" "$rep" $((s1 - s0)) kB
			row memory idle_rss_per_conn "$sys" "$rep" \
				$(( (r1 - r0) * 1024 / IDLE_CONNS )) B
			system_down
		done
	done
}


# One connect/GET series for the nginx and proxy benchmarks: with or
# without the generator at its full rate.
connect_once() { # SYSTEM REP FLOOD(0|1) [BENCH PREFIX, default legit]
	local tag=${4:-legit}_$([ "$3" = 1 ] && echo flood || echo quiet) res fpid=
	if [ "$3" = 1 ]; then
		flood_run $((DUR + 1)) > "$WORK/flood.json" &
		fpid=$!
		sleep 0.5
	fi
	res=$(in_cli taskset -c "$CLI_CPU" "$BUILD/xtcp-load" connect "$SRV4" "$PORT" \
		--duration "$DUR") || return 1
	[ -n "$fpid" ] && wait "$fpid"
	python3 - "$1" "$2" "$tag" "$res" >> "$RAW" <<'PY'
import json, sys
s, rep, tag, r = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
print(f"{tag},success_pct,{s},{rep},{100 * r['success']:.3f},%")
print(f"{tag},connect_p50,{s},{rep},{r['p50_us']:.1f},us")
print(f"{tag},connect_p99,{s},{rep},{r['p99_us']:.1f},us")
print(f"{tag},attempts,{s},{rep},{r['attempts']},1")
PY
}

# One wrk run of DUR s against whatever is up: rows of bench PREFIX_KIND.
wrk_once() { # SYSTEM REP close|keepalive PREFIX
	local sys=$1 rep=$2 kind=$3 c0 c1 out hdr=()
	[ "$kind" = close ] && hdr=(-H "Connection: close")
	c0=$(srv_cpu)
	out=$(in_cli taskset -c "$CLI_CPU" wrk -t1 -c32 -d"${DUR}s" \
		--latency "${hdr[@]}" "http://$SRV4:$PORT/") || return 1
	c1=$(srv_cpu)
	python3 - "$sys" "$rep" "$kind" "$c0" "$c1" "$DUR" "$out" "$4" >> "$RAW" <<'PY'
import re, sys
s, rep, kind = sys.argv[1:4]
c0, c1, dur, out = float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), sys.argv[7]
def lat(p):
    m = re.search(rf"^\s*{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    v, u = float(m.group(1)), m.group(2)
    return v * {"us": 1, "ms": 1e3, "s": 1e6}[u]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
cpu = (c1 - c0) / dur
b = f"{sys.argv[8]}_{kind}"
print(f"{b},req_per_s,{s},{rep},{rps:.0f},1/s")
print(f"{b},latency_p50,{s},{rep},{lat(50):.1f},us")
print(f"{b},latency_p99,{s},{rep},{lat(99):.1f},us")
print(f"{b},server_cpu,{s},{rep},{cpu:.3f},cores")
if cpu > 0:
    print(f"{b},req_per_cpu_s,{s},{rep},{rps / cpu:.0f},1/s")
print(f"{b},errors,{s},{rep},{int(non2xx.group(1)) if non2xx else 0},1")
PY
}

# 7. an unmodified nginx behind `xtcp attach --to kernel` beside nginx alone
# (tcp_syncookies=1 and =2): a real client one connection after another
# with and without the flood, and wrk with and without keep-alive. The
# rows name nginx behind xtcp `xtcp` and nginx alone `linux` (=1) and
# `linux-cookies` (=2), as the other benchmarks do.
bench_nginx() {
	local rep sys name flood kind
	command -v nginx >/dev/null || { log "nginx: not installed (make deps)"; return 1; }
	for rep in $(seq "$REPS"); do
		for sys in nginx-xtcp nginx-cookies1 nginx-cookies2; do
			case $sys in
			nginx-xtcp) name=xtcp ;;
			nginx-cookies1) name=linux ;;
			*) name=linux-cookies ;;
			esac
			system_up "$sys" || return 1
			for flood in 0 1; do
				log "nginx: $name flood=$flood rep $rep"
				connect_once "$name" "$rep" "$flood" nginx_legit || return 1
			done
			for kind in close keepalive; do
				log "nginx: $name wrk $kind rep $rep"
				wrk_once "$name" "$rep" "$kind" nginx_http || return 1
			done
			system_down
		done
	done
}

# 8. Proxies in front of one nginx (Debian's, in the server namespace on
# 127.0.0.1:8081 with proxy_protocol, pinned to the client's CPU for both):
# HAProxy (mode tcp, send-proxy-v2, one thread) and xtcp's proxy app
# (--proxy-protocol v2), each on the server CPU; wrk with keep-alive and
# Connection: close; legitimate clients during a SYN flood.
bench_proxy() {
	local rep sys kind flood
	command -v nginx >/dev/null && command -v haproxy >/dev/null ||
		{ log "proxy: nginx or haproxy missing: make deps"; return 1; }
	nginx_backend_up || return 1
	for rep in $(seq "$REPS"); do
		for sys in xtcp haproxy; do
			log "proxy: $sys rep $rep"
			proxy_up "$sys" || { nginx_backend_down; return 1; }
			for kind in close keepalive; do
				wrk_once "$sys" "$rep" "$kind" proxy || { nginx_backend_down; return 1; }
			done
			for flood in 0 1; do
				connect_once "$sys" "$rep" "$flood" proxy_legit ||
					{ nginx_backend_down; return 1; }
			done
			system_down
		done
	done
	nginx_backend_down
}

# 9. the sender on a bad path (issue 16): xtcp beside Linux through the
# impairment bridge, in three namespaces of its own (bench/sender.sh)
bench_sender() {
	RAW=$RAW OUT=$OUT QUICK=$QUICK BUILD=$BUILD bench/sender.sh
}

machine
bench_netns_setup || exit 1
trap bench_cleanup EXIT		# netns_setup set its own
SRV_MAC=$(mac_of "$NS_SRV" "$VETH_SRV")
# each section's wall time, to the log and machine.txt (time_s_NAME=)
for b in $BENCHES; do
	declare -F "bench_$b" >/dev/null || { echo "bench: no benchmark $b" >&2; exit 2; }
done
for b in $BENCHES; do
	t0=$(date +%s.%N)
	"bench_$b" || { log "$b failed"; exit 1; }
	t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
	log "$b: $t s"
	echo "time_s_$b=$t" >> "$OUT/machine.txt"
done
echo "time_s_all=$SECONDS" >> "$OUT/machine.txt"	# since run.sh started
python3 bench/report.py "$OUT" || exit 1
log "report: $OUT/REPORT.md ($SECONDS s since run.sh started)"
