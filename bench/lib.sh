#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Helpers of bench/run.sh, on top of the netns harness (scripts/netns.sh):
# pinning, CPU accounting, the flood's sink counters, servers up and down.
#
# CPU layout on this two-core machine: the server (xtcp's engine thread, or
# the kernel server, and the server veth's NAPI thread) owns CPU 1; clients,
# load generators and the flood generator own CPU 0.

SRV_CPU=1
CLI_CPU=0
PORT=80

# One CSV row: bench,metric,system,rep,value,unit
row() { echo "$1,$2,$3,$4,$5,$6" >> "$RAW"; }

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }

# CPU time (utime + stime) of a process and its threads, in seconds.
cpu_of() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f\n", ($14 + $15) / hz }' "/proc/$1/stat"
}

# Busy CPU time of the whole machine, all CPUs, in seconds.
cpu_total() {
	awk -v hz="$(getconf CLK_TCK)" '/^cpu / {
		printf "%.3f\n", ($2 + $3 + $4 + $7 + $8 + $9) / hz }' /proc/stat
}

# PID of the NAPI kthread of a threaded veth, by its name.
napi_pid() { pgrep -x "napi/$1-.*" | head -1 || true; }

# Give a veth a NAPI thread of its own, pinned to a CPU: receive work (the
# XDP program, the kernel's stack) then runs there, not on the sender's CPU.
napi_thread() { # NS DEV CPU
	ip netns exec "$1" sh -c "echo 1 > /sys/class/net/$2/threaded"
	local pid
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		pid=$(napi_pid "$2")
		[ -n "$pid" ] && break
		sleep 0.1
	done
	[ -n "$pid" ] || { log "$2: no NAPI thread"; return 1; }
	taskset -pc "$3" "$pid" >/dev/null
}

mac_of() { # NS DEV
	ip -n "$1" -j link show "$2" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])'
}

# The map of the sink on this run's client veth, by id: other runs on the
# machine (another bench, a test) may have a sink_stats of their own, and
# a dump by name would read them all.
sink_map() {
	local prog
	prog=$(ip -n "$NS_CLI" -j -d link show "$VETH_CLI" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["xdp"]["prog"]["id"])') ||
		return 1
	bpftool -j prog show id "$prog" | python3 -c '
import json, subprocess, sys
for m in json.load(sys.stdin)["map_ids"]:
    info = json.loads(subprocess.run(["bpftool", "-j", "map", "show", "id", str(m)],
                                     capture_output=True, text=True).stdout)
    if info["name"] == "sink_stats":
        print(m)'
}

# The sink's counters summed over CPUs: "syn_ack rst other passed".
sink_read() {
	bpftool -j map dump id "$SINK_MAP" | python3 -c '
import json, sys
tot = [0, 0, 0, 0]
for e in json.load(sys.stdin):
    for v in e["values"]:
        val = v["value"]
        if isinstance(val, dict):
            for i, k in enumerate(("syn_ack", "rst", "other_flood", "passed")):
                tot[i] += int(val[k])
        else:   # no BTF: raw bytes, four little-endian u64
            b = bytes(int(x, 16) for x in val)
            for i in range(4):
                tot[i] += int.from_bytes(b[8 * i:8 * i + 8], "little")
print(*tot)'
}

# The flood generator for $1 seconds, at its full rate or paced to $2
# frames per second; JSON on stdout.
flood_run() { # SECONDS [PPS]
	local rate=()
	[ -n "${2:-}" ] && [ "$2" != 0 ] && rate=(--rate "$2")
	in_cli taskset -c "$CLI_CPU" "$BUILD/xtcp-flood" --dev "$VETH_CLI" \
		--dst "$SRV4" --port "$PORT" --dst-mac "$SRV_MAC" --duration "$1" \
		--json "${rate[@]}"
}

# The same beside a legitimate client on the same CPU, at SCHED_IDLE once
# it is sending (flood_idle): the generator never sleeps (paced, it spins
# through the runs whose frame is not yet due), and at the normal policy it
# starved the client to a handful of connections per run; this way the
# client runs whenever it has work and the flood takes what is left, at
# the rate asked for as long as that leaves enough (the rate it achieved
# is reported beside). Run it in the background only: it execs, so $! is
# the generator itself, and SIGTERM ends it with its report.
flood_beside() { # SECONDS [PPS]
	local rate=()
	[ -n "${2:-}" ] && [ "$2" != 0 ] && rate=(--rate "$2")
	exec nsenter --net=/run/netns/"$NS_CLI" taskset -c "$CLI_CPU" \
		"$BUILD/xtcp-flood" --dev "$VETH_CLI" --dst "$SRV4" --port "$PORT" \
		--dst-mac "$SRV_MAC" --duration "$1" --json "${rate[@]}"
}

# Flood frames the client veth has handed to its peer's ring so far.
veth_xdp_xmits() {
	in_cli ethtool -S "$VETH_CLI" | awk '/^ *tx_queue_[0-9]+_xdp_xmit:/ { x += $2 } END { print x + 0 }'
}

# Once the generator started by flood_beside is sending (at most 5 s),
# put it at SCHED_IDLE. It loads its program at the normal policy: at
# SCHED_IDLE on a busy CPU that took seconds, and a client started before
# the flood would measure a run partly unflooded.
flood_idle() { # PID
	local x0 x
	x0=$(veth_xdp_xmits)
	for _ in $(seq 100); do
		x=$(veth_xdp_xmits)
		[ "$x" -gt $((x0 + 1000)) ] && break
		sleep 0.05
	done
	[ "$x" -gt $((x0 + 1000)) ] || log "flood: not sending after 5 s"
	chrt -a -i -p 0 "$1"
}

# End a generator started by flood_beside, with its report: back at the
# normal policy first, or on a busy CPU the SCHED_IDLE generator may wait
# seconds for the CPU time it needs to see the signal.
flood_stop() { # PID
	chrt -a -o -p 0 "$1" 2>/dev/null
	kill -TERM "$1" 2>/dev/null
	wait "$1"
}

# The client's SYN retransmissions (TcpExt TCPSynRetrans of its namespace):
# each is a legitimate SYN or its SYN-ACK lost, at the veth's full ring
# when the flood outruns the server, or dropped by the server.
syn_retrans() {
	in_cli awk '/^TcpExt:/ { if (!n) { for (i = 1; i <= NF; i++) if ($i == "TCPSynRetrans") c = i; n = 1 } else print $c }' /proc/net/netstat
}

# Legitimate packets the veth ring refused so far, client to server. The
# client veth's tx_dropped sums three counters (veth_get_stats64): skbs
# veth_xmit could not put in the peer's ring, which on this veth are only
# the client kernel stack's packets, the legitimate ones (SYNs, ACKs,
# requests); XDP frames the peer's ring refused (ethtool
# tx_queue_N_xdp_xmit_errors: the flood); and the veth's own XDP_TX errors
# (rx_queue_N_xdp_tx_errors: the sink transmits nothing). This is the first:
# tx_dropped less the other two. Read it only while no flood runs: the two
# reads are tens of ms apart, and a flood adds thousands to each meanwhile.
veth_legit_drops() {
	in_cli sh -c "cat /proc/net/dev; ethtool -S $VETH_CLI" | awk -v dev="$VETH_CLI:" '
		$1 == dev { sub(/^ *[^:]*:/, ""); td = $12 }	# TX drop
		/^ *(tx_queue_[0-9]+_xdp_xmit_errors|rx_queue_[0-9]+_xdp_tx_errors):/ { x += $2 }
		END { print td - x }'
}

# Flood frames the generator has handed the client veth so far, taken or
# refused by the peer's ring (tx_queue_N_xdp_xmit and _errors): read around
# a client's run, the flood's rate during exactly that run.
veth_flood_frames() {
	in_cli ethtool -S "$VETH_CLI" |
		awk '/^ *tx_queue_[0-9]+_xdp_xmit(_errors)?:/ { x += $2 } END { print x + 0 }'
}

# Run a command in the background in the server namespace, pinned.
srv_start() { # CMD...
	nsenter --net=/run/netns/"$NS_SRV" taskset -c "$SRV_CPU" "$@" \
		>"$WORK/server.log" 2>&1 &
	SRV_PID=$!
}

srv_stop() {
	[ -n "${SRV_PID:-}" ] || return 0
	kill "$SRV_PID" 2>/dev/null
	for _ in $(seq 30); do
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$SRV_PID" 2>/dev/null
	wait "$SRV_PID" 2>/dev/null
	SRV_PID=
	return 0
}

# Wait until something accepts on the server's port (a real handshake).
srv_wait() {
	for _ in $(seq 50); do
		in_cli python3 -c "import socket; socket.create_connection(('$SRV4', $PORT), 0.2).close()" \
			2>/dev/null && return 0
		sleep 0.1
	done
	log "server did not come up: $(tail -3 "$WORK/server.log")"
	return 1
}

# Server-side setups. Each leaves the server veth with an XDP program (so
# its NAPI runs and XDP_TX/redirects reach it) and nothing else behind.
srv_xdp() { # OBJ
	ip -n "$NS_SRV" link set dev "$VETH_SRV" xdpdrv off 2>/dev/null
	ip -n "$NS_SRV" link set dev "$VETH_SRV" xdpdrv obj "$1" sec xdp
}

srv_xdp_off() { ip -n "$NS_SRV" link set dev "$VETH_SRV" xdpdrv off 2>/dev/null; true; }

# The kernel's listener, with tcp_syncookies=$1 (1: when the queue
# overflows, 2: always).
kernel_up() { # SYNCOOKIES APP
	ip netns exec "$NS_SRV" sysctl -qw net.ipv4.tcp_syncookies="$1"
	srv_xdp "$BUILD/bpf/pass.bpf.o"
	srv_start "$BUILD/xtcp-kserver" --port "$PORT" --app "$2"
	srv_wait
}

xtcp_up() { # APP [serve options]
	local app=$1
	shift
	srv_xdp_off
	srv_start "$XTCP" serve "$VETH_SRV" --port "$PORT" --app "$app" "$@"
	srv_wait
}

# nftables SYNPROXY (RFC 4987's "SYN proxy" in netfilter) in front of a
# kernel listener: SYNs are untracked and answered with a cookie by
# netfilter; only a valid third ACK reaches the listener.
synproxy_up() {
	ip netns exec "$NS_SRV" sysctl -qw net.ipv4.tcp_timestamps=1
	ip netns exec "$NS_SRV" nft -f - <<NFT
table ip xtcp_bench {
	chain raw {
		type filter hook prerouting priority raw; policy accept;
		tcp dport $PORT tcp flags syn notrack
	}
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport $PORT ct state invalid,untracked synproxy mss 1460 wscale 7 timestamp sack-perm
		ct state invalid drop
	}
}
NFT
	ip netns exec "$NS_SRV" sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0
	kernel_up 2 http
}

synproxy_down() { ip netns exec "$NS_SRV" nft delete table ip xtcp_bench 2>/dev/null; true; }

reflector_up() { srv_xdp "$BUILD/bpf/reflect.bpf.o"; }

# Debian's nginx (worker_processes 1, pinned to the server CPU) serving a
# 16-byte page, with tcp_syncookies=$1; with $2 = xtcp, shielded by
# `xtcp attach --to kernel` in front of it.
nginx_up() { # SYNCOOKIES [xtcp]
	local d=$WORK/nginx
	mkdir -p "$d/www"
	printf 'xtcp says hello\n' >"$d/www/index.html"
	cat >"$d/nginx.conf" <<EOF
daemon off;
user root;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $d; proxy_temp_path $d;
	fastcgi_temp_path $d; uwsgi_temp_path $d; scgi_temp_path $d;
	keepalive_requests 1000000;
	server { listen $PORT backlog=4096; root $d/www; }
}
EOF
	ip netns exec "$NS_SRV" sysctl -qw net.ipv4.tcp_syncookies="$1"
	if [ "${2:-}" = xtcp ]; then
		srv_xdp_off
	else
		srv_xdp "$BUILD/bpf/pass.bpf.o"
	fi
	srv_start nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log"
	srv_wait || return 1
	if [ "${2:-}" = xtcp ]; then
		in_srv "$XTCP" attach "$VETH_SRV" --port "$PORT" --to kernel >/dev/null
	fi
}

# Debian's nginx as the proxies' backend: its own config, pid and logs
# under $WORK, answering every request with a small 200; PROXY protocol.
NGINX_PID=
nginx_backend_up() {
	mkdir -p "$WORK/nginx"
	cat >"$WORK/nginx/nginx.conf" <<NGX
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
daemon off;
master_process off;
worker_processes 1;
events { worker_connections 4096; }
http {
	access_log off;
	keepalive_requests 1000000;
	client_body_temp_path $WORK/nginx/body;
	proxy_temp_path $WORK/nginx/proxy;
	fastcgi_temp_path $WORK/nginx/fastcgi;
	uwsgi_temp_path $WORK/nginx/uwsgi;
	scgi_temp_path $WORK/nginx/scgi;
	server {
		listen 127.0.0.1:8081 proxy_protocol reuseport;
		location / { return 200 "Hello from nginx\\n"; }
	}
}
NGX
	nsenter --net=/run/netns/"$NS_SRV" taskset -c "$CLI_CPU" nginx -c "$WORK/nginx/nginx.conf" \
		-p "$WORK/nginx" -e "$WORK/nginx/error.log" >"$WORK/nginx/out.log" 2>&1 &
	NGINX_PID=$!
	for _ in $(seq 50); do
		ip netns exec "$NS_SRV" ss -Hltn 'sport = :8081' | grep -q . && return 0
		sleep 0.1
	done
	log "nginx did not come up: $(tail -3 "$WORK/nginx/error.log" 2>/dev/null)"
	return 1
}

nginx_backend_down() {
	[ -n "$NGINX_PID" ] || return 0
	kill "$NGINX_PID" 2>/dev/null
	wait "$NGINX_PID" 2>/dev/null
	NGINX_PID=
}

haproxy_up() {
	cat >"$WORK/haproxy.cfg" <<HAP
global
	nbthread 1
	maxconn 8000
defaults
	mode tcp
	timeout connect 3s
	timeout client 30s
	timeout server 30s
frontend fe
	bind $SRV4:$PORT
	default_backend be
backend be
	server nginx 127.0.0.1:8081 send-proxy-v2
HAP
	srv_xdp "$BUILD/bpf/pass.bpf.o"
	srv_start haproxy -db -f "$WORK/haproxy.cfg"
	srv_wait
}

proxy_up() { # xtcp|haproxy
	case $1 in
	xtcp) xtcp_up proxy --backend 127.0.0.1:8081 --proxy-protocol v2 ;;
	haproxy) haproxy_up ;;
	esac || return 1
	napi_thread "$NS_SRV" "$VETH_SRV" "$SRV_CPU"
}

# Set up one system by name; `down` undoes whichever is up.
system_up() { # SYSTEM APP
	case $1 in
	xtcp) xtcp_up "$2" ;;
	linux) kernel_up 1 "$2" ;;
	linux-cookies) kernel_up 2 "$2" ;;
	synproxy) synproxy_up ;;
	reflector) reflector_up ;;
	nginx-xtcp) nginx_up 1 xtcp ;;
	nginx-cookies1) nginx_up 1 ;;
	nginx-cookies2) nginx_up 2 ;;
	*) log "unknown system $1"; return 1 ;;
	esac || return 1
	# (re)attaching XDP can restart the veth's NAPI thread: pin it again
	napi_thread "$NS_SRV" "$VETH_SRV" "$SRV_CPU"
}

system_down() {
	in_srv "$XTCP" detach "$VETH_SRV" >/dev/null 2>&1
	srv_stop
	synproxy_down
	srv_xdp_off
}

# The netns pair for benchmarks: the client veth runs the sink (a NAPI
# user, as the tests' XDP_PASS is). The server veth gets a NAPI thread
# pinned to the server's CPU, so the server's receive work (XDP, or the
# kernel's stack and its SYN-ACKs) runs there and not on the sender's CPU.
# The client veth has none: its receive work runs where the sender is, so
# CPU 0 keeps the flood generator to itself, and the server's CPU also pays
# for dropping each answer at the client's sink (the same for every system).
bench_netns_setup() {
	netns_setup || return 1
	ip -n "$NS_CLI" link set dev "$VETH_CLI" xdpdrv off
	ip -n "$NS_CLI" link set dev "$VETH_CLI" xdpdrv obj "$BUILD/bpf/sink.bpf.o" sec xdp
	ip -n "$NS_SRV" route add default via "$CLI4"
	# thousands of connections per run, and the client closes first in
	# some: give it every port and let it reuse its TIME-WAITs
	ip netns exec "$NS_CLI" sysctl -qw net.ipv4.ip_local_port_range="1024 65535" \
		net.ipv4.tcp_tw_reuse=1
	SINK_MAP=$(sink_map)
	[ -n "$SINK_MAP" ] || { log "no sink map on $VETH_CLI"; return 1; }
	srv_xdp "$BUILD/bpf/pass.bpf.o"
	napi_thread "$NS_SRV" "$VETH_SRV" "$SRV_CPU"
}
