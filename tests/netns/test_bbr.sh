#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# netns layer (root): `serve --cc bbr` against a real Linux client through
# the impairment bridge (tests/tools/impair.c, 5 ms each way): 20 MB read
# from the source app as fast as the client can, clean and at 1% loss,
# byte-exact, and the same with CUBIC beside it; at 1% loss BBR must take
# less time than CUBIC (the times and their ratio are printed). While a
# BBR transfer runs, `stats --conns` shows its mode and model; the
# bbr_bw_probes counter moves.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/check.sh"
NETNS_MID=1
. "$here/../../scripts/netns.sh"

[ "$(id -u)" -eq 0 ] || { echo "netns/bbr: needs root (skipped)"; exit 77; }
netns_setup || { echo "netns/bbr: setup failed"; exit 1; }
LOG=$(mktemp)
ILOG=$(mktemp)
CONNS=$(mktemp)
IMPAIR_PID=
trap 'rm -f "$LOG" "$ILOG" "$CONNS"; netns_cleanup' EXIT
MB=${BBR_MB:-20}

# read MB megabytes of the source app's stream (byte i is i % 251) at once;
# prints the seconds it took, fails on a wrong byte or an early end
bulk_read() { # LIMIT
	in_cli timeout "$1" python3 -c "
import socket, sys, time
n, pat = $MB << 20, bytes(range(251)) * 4200
s = socket.create_connection(('$SRV4', 19), timeout=30)
t0, pos = time.monotonic(), 0
while pos < n:
    b = s.recv(min(1 << 20, n - pos))
    if not b or b != pat[pos % 251:pos % 251 + len(b)]:
        sys.exit(1)
    pos += len(b)
print(f'{time.monotonic() - t0:.3f}')
"
}

declare -A took
for cc in bbr cubic; do
	check "serve source --cc $cc" start_serve --port 19 --app source --time-wait 1 --cc $cc
	for loss in 0 1; do
		args=(--delay 5)
		[ $loss = 0 ] || args+=(--loss $loss)
		check "$cc, ${loss}% loss: the bridge runs" impair_start 300 --seed 7 "${args[@]}"
		t=$(bulk_read 120) && ok=1 || ok=0
		impair_stop
		check "$cc, ${loss}% loss: $MB MB byte-exact" [ $ok = 1 ]
		took[$cc$loss]=${t:-120}
		echo "  $cc, ${loss}% loss, 5 ms each way: $MB MB in ${t:-?} s"
	done
	if [ $cc = bbr ]; then
		# the model while a transfer runs (1% loss, a longer read)
		impair_start 300 --seed 8 --delay 5 --loss 1
		MB=$((MB * 4)) bulk_read 120 >/dev/null &
		rpid=$!
		sleep 1.5
		in_srv "$XTCP" stats "$VETH_SRV" --conns >"$CONNS" 2>&1
		in_srv "$XTCP" stats "$VETH_SRV" --conns --json >"$CONNS.json" 2>&1
		wait $rpid
		impair_stop
		sed -n 's/^\t\(bbr:.*\)/  stats --conns: \1/p' "$CONNS" | head -1
		check "stats --conns: BBR's mode, bw, min_rtt and gains" \
			grep -Eq 'bbr:(Startup|Drain|ProbeBW_[A-Z]+|ProbeRTT) bw:[0-9.]+Mbps min_rtt:[0-9.]+ pacing_gain:[0-9.]+ cwnd_gain:[0-9.]+' "$CONNS"
		check "stats --conns --json: the bbr object" python3 -c "
import json, sys
c = [json.loads(l) for l in open('$CONNS.json') if l.startswith('{')]
b = [x['bbr'] for x in c if x.get('cc') == 'bbr' and 'bbr' in x]
sys.exit(0 if b and b[0]['bw'] > 0 and b[0]['min_rtt_us'] > 0 else 1)"
		rm -f "$CONNS.json"
		check "bandwidth probes counted" [ "$(engine_counter bbr_bw_probes)" -gt 0 ]
	fi
	check "serve stops" stop_serve
done
python3 -c "
b, c = ${took[bbr1]}, ${took[cubic1]}
print(f'  1% loss: bbr {b:.2f} s, cubic {c:.2f} s: bbr takes {b / c:.2f} of cubic\'s time')"
check "1% loss: BBR faster than CUBIC" \
	python3 -c "import sys; sys.exit(0 if ${took[bbr1]} < ${took[cubic1]} else 1)"
check_done "netns/bbr"
