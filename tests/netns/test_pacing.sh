#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# netns layer (root): pacing and delivery-rate estimation end to end. A
# Linux client echoes 20 MB through the impairment bridge (5 ms each way)
# with xtcp's default pacing, then with --no-pacing; while it runs,
# `stats --conns --json` is read: paced, the connection shows a pacing
# rate and a delivery rate, and the engine counts held segments and rate
# samples; unpaced, no pacing rate and no held segment, the delivery rate
# still measured. Both byte-exact.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/check.sh"
NETNS_MID=1
. "$here/../../scripts/netns.sh"

[ "$(id -u)" -eq 0 ] || { echo "netns/pacing: needs root (skipped)"; exit 77; }
netns_setup || { echo "netns/pacing: setup failed"; exit 1; }
CLIENT="$here/client.py"
LOG=$(mktemp)
ILOG=$(mktemp)
SLOG=$(mktemp)
IMPAIR_PID=
trap 'rm -f "$LOG" "$ILOG" "$SLOG"; netns_cleanup' EXIT

impair_start 300 --delay 5
sleep 0.3
check "the bridge runs, 5 ms each way" kill -0 "$IMPAIR_PID"

# the established connection's largest pacing and delivery rates (bytes/s)
# over the samples taken while the client runs
rates() {
	python3 -c "
import json, sys
p = d = 0
for line in open('$SLOG'):
    if not line.startswith('{'):
        continue
    c = json.loads(line)
    if c.get('state') != 'ESTABLISHED' or c.get('lport') != 7:
        continue
    p = max(p, c['pacing_rate'])
    d = max(d, c['delivery_rate'])
print(p, d)"
}

run() { # NAME: echo 20 MB, reading stats --conns every 0.2 s meanwhile
	local name=$1 ok=0 t0 t1 cpid
	: >"$SLOG"
	t0=$(date +%s.%N)
	in_cli timeout 60 python3 "$CLIENT" echo "$SRV4" 7 20 >"$LOG.c" 2>&1 &
	cpid=$!
	while kill -0 $cpid 2>/dev/null; do
		in_srv "$XTCP" stats "$VETH_SRV" --conns --json >>"$SLOG" 2>/dev/null
		sleep 0.2
	done
	wait $cpid && ok=1
	t1=$(date +%s.%N)
	echo "  $name: $(cat "$LOG.c"); $(python3 -c "print(f'{$t1 - $t0:.2f}')") s"
	rm -f "$LOG.c"
	check "$name: 20 MB each way byte-exact" [ $ok = 1 ]
}

check "serve echo (paced by default)" start_serve --port 7 --app echo --time-wait 1
h0=$(engine_counter pacing_holds)
s0=$(engine_counter rate_samples)
run "paced"
read -r pace deliv < <(rates)
holds=$(( $(engine_counter pacing_holds) - h0 ))
samples=$(( $(engine_counter rate_samples) - s0 ))
echo "  paced: pacing_rate up to $pace B/s, delivery_rate up to $deliv B/s;" \
	"$holds segments held, $samples rate samples"
check "paced: stats --conns shows a pacing rate" [ "${pace:-0}" -gt 0 ]
check "paced: and a delivery rate" [ "${deliv:-0}" -gt 0 ]
check "paced: segments were held by pacing" [ "$holds" -gt 0 ]
check "paced: rate samples were taken" [ "$samples" -gt 0 ]
check "serve stops" stop_serve

check "serve echo --no-pacing" start_serve --port 7 --app echo --time-wait 1 --no-pacing
h0=$(engine_counter pacing_holds)
run "unpaced"
read -r pace deliv < <(rates)
echo "  unpaced: pacing_rate up to $pace B/s, delivery_rate up to $deliv B/s"
check "--no-pacing: no pacing rate" [ "${pace:-1}" -eq 0 ]
check "--no-pacing: nothing held" [ "$(engine_counter pacing_holds)" -eq "$h0" ]
check "--no-pacing: the delivery rate is still measured" [ "${deliv:-0}" -gt 0 ]
check "serve stops" stop_serve
impair_stop
check_done "netns/pacing"
