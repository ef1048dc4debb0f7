#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# netns layer (root): nobody holds a slot forever, and serve notices its
# interface. http with short timeouts: a slowloris filling --max-conns 64
# locks a real client out no longer than the header timeout; a partial
# head gets 408, an idle kept-alive connection is closed; the 431 and a
# response before "Connection: close" arrive whole (lingering close, no
# RST). SIGHUP does not stop serve; deleting its veth does, cleanly.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/check.sh"
. "$here/../../scripts/netns.sh"

[ "$(id -u)" -eq 0 ] || { echo "netns/idle: needs root (skipped)"; exit 77; }
netns_setup || { echo "netns/idle: setup failed"; exit 1; }
SLOW="$here/slow.py"
LOG=$(mktemp)
OUT=$(mktemp)
trap 'rm -f "$LOG" "$OUT"; netns_cleanup' EXIT

check "serve http --max-conns 64 --header-timeout 2 --idle-timeout 2" \
	start_serve --port 80 --app http --max-conns 64 --time-wait 1 \
	--header-timeout 2 --idle-timeout 2

# ---- slowloris: 64 connections one byte a second, never a whole head
in_cli timeout 40 python3 "$SLOW" slowloris "$SRV4" 80 64 12 >"$OUT" 2>&1 &
slow=$!
for _ in $(seq 50); do grep -q connected "$OUT" && break; sleep 0.1; done
check "slowloris holds all 64 slots ($(head -1 "$OUT"))" \
	[ "$(conns)" -eq 64 -a "$(engine_counter refused_max_conns)" -eq 0 ]
t0=$(date +%s.%N)
got=0
for _ in $(seq 40); do	# a real client, every 0.25 s, for at most 10 s
	if in_cli curl -s --max-time 1 "http://$SRV4/" 2>/dev/null | grep -q 'Hello from xtcp'; then
		got=1
		break
	fi
	sleep 0.25
done
wait_s=$(python3 -c "import time; print(f'{time.time() - $t0:.1f}')")
echo "  curl got through after ${wait_s}s; refused meantime: $(engine_counter refused_max_conns)"
check "a real client gets in within the header timeout (2 s) + 3 s" \
	python3 -c "import sys; sys.exit(0 if $got and $wait_s < 5 else 1)"
wait "$slow"
tail -1 "$OUT" | sed 's/^/  /'
check "the server ended every slowloris connection" grep -q "64 of 64 connections ended" "$OUT"

# ---- per-request timeouts and lingering close
check "partial head: 408 and FIN within 4 s" in_cli timeout 10 python3 "$SLOW" partial "$SRV4" 80 4
check "idle kept-alive connection closed within 4 s" in_cli timeout 10 python3 "$SLOW" idle "$SRV4" 80 4
check "8 KiB head: the 431 arrives, then FIN (no RST)" in_cli timeout 10 python3 "$SLOW" big-head "$SRV4" 80
check "Connection: close with pipelined data after it: the response, then FIN" \
	in_cli timeout 10 python3 "$SLOW" close-pipelined "$SRV4" 80
sleep 2
check "nothing left behind" [ "$(conns)" -eq 0 -a "$(engine_counter flows)" -eq 0 ]

# ---- signals and the interface
kill -PIPE "$SERVE_PID"
kill -HUP "$SERVE_PID"
sleep 0.5
check "SIGPIPE and SIGHUP leave serve running" kill -0 "$SERVE_PID"
check "SIGHUP is logged as a reload" grep -q "SIGHUP" "$LOG"
ip -n "$NS_SRV" link set "$VETH_SRV" down
ip -n "$NS_SRV" link set "$VETH_SRV" up
sleep 0.5
check "interface down and up are logged" grep -q "interface down" "$LOG"
ip -n "$NS_SRV" link del "$VETH_SRV"
rc=
for _ in $(seq 50); do
	kill -0 "$SERVE_PID" 2>/dev/null || { wait "$SERVE_PID"; rc=$?; break; }
	sleep 0.1
done
check "veth deleted under serve: it exits 0 by itself (rc=${rc:-running})" [ "${rc:-x}" = 0 ]
check "with a message" grep -q "interface deleted" "$LOG"
check "and its pins are gone" [ ! -e "$(pins_of "$VETH_SRV")" ]
[ "${rc:-x}" = 0 ] || cat "$LOG" >&2

check_done "netns/idle"
