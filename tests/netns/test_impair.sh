#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# netns layer (root): xtcp against real Linux clients through a wire that
# misbehaves on purpose (tests/tools/impair.c in a middle namespace).
# 100 MB each way (echo, compared by SHA-256) at 1% loss, 5% loss, 10%
# reordering, 5% duplication and 1% corruption, each within a stated time
# and with both ends' retransmit counters moving; a client whose window
# stays closed for 5 s gets every byte; a client that vanishes is aborted
# after the retry limit and leaves nothing behind.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/check.sh"
NETNS_MID=1
. "$here/../../scripts/netns.sh"

[ "$(id -u)" -eq 0 ] || { echo "netns/impair: needs root (skipped)"; exit 77; }
netns_setup || { echo "netns/impair: setup failed"; exit 1; }
CLIENT="$here/client.py"
LOG=$(mktemp)
ILOG=$(mktemp)
IMPAIR_PID=
trap 'rm -f "$LOG" "$ILOG"; netns_cleanup' EXIT
MB=${IMPAIR_MB:-100}

impair_stat() { # KEY: summed over both directions, from the last summary
	grep '^{' "$ILOG" | tail -1 | python3 -c "
import json, sys; d = json.load(sys.stdin)
print(d['a_to_b']['$1'] + d['b_to_a']['$1'])"
}

cli_retrans() { in_cli nstat -az TcpRetransSegs | awk '/TcpRetransSegs/ {print $2}'; }

# echo $MB MB each way through the impairment in ARGS, within LIMIT seconds
transfer() { # NAME LIMIT KEY ARGS...: KEY is the impair counter that must move
	local name=$1 limit=$2 key=$3 t0 t1 ok=0 r0 r1 c0 c1
	shift 3
	check "$name: the bridge runs" impair_start 600 "$@" || return
	r0=$(engine_counter retransmits)
	c0=$(cli_retrans)
	t0=$(date +%s.%N)
	in_cli timeout "$limit" python3 "$CLIENT" echo "$SRV4" 7 "$MB" && ok=1
	t1=$(date +%s.%N)
	impair_stop
	r1=$(engine_counter retransmits)
	c1=$(cli_retrans)
	echo "  $name: $(python3 -c "print(f'{$t1 - $t0:.1f}')") s (bound $limit s);" \
		"xtcp retransmits $((r1 - r0)), Linux client $((c1 - c0));" \
		"impair $key $(impair_stat "$key");" \
		"lost unchosen $(( $(impair_stat socket_dropped) + $(impair_stat send_failed) ))"
	check "$name: $MB MB each way byte-exact within $limit s" [ $ok = 1 ]
	check "$name: the impairment happened ($key > 0)" [ "$(impair_stat "$key")" -gt 0 ]
	# what the bridge lost without an impairment choosing it is counted
	# (its socket full, a send refused): the benchmark reports it
	check "$name: the bridge counts the frames it lost unchosen" \
		impair_stat socket_dropped
	if [ "$key" = duplicated ]; then
		# duplicates alone lose nothing: D-SACKs say so instead
		check "$name: duplicates seen as D-SACKs" [ "$(engine_counter dsacks_in)" -gt 0 ]
	else
		check "$name: xtcp retransmitted" [ $((r1 - r0)) -gt 0 ]
		check "$name: the Linux client retransmitted" [ $((c1 - c0)) -gt 0 ]
	fi
}

check "serve echo and source through the bridge" \
	start_serve --port 7,19 --app echo --time-wait 1
transfer "1% loss" 120 lost --loss 1
transfer "5% loss" 300 lost --loss 5
transfer "10% reordering" 120 reordered --reorder 10,2
transfer "5% duplication" 120 duplicated --dup 5
csum0=$(engine_counter drop_csum)
transfer "1% corruption" 120 corrupted --corrupt 1 --delay 0
check "corruption: xtcp's checksum check dropped the damaged segments" \
	[ $(( $(engine_counter drop_csum) - csum0 )) -gt 0 ]
# echo's runs of new data left through the kernel's GSO, cut before the
# bridge; the losses above were repaired across them
check "runs of new data through the kernel's GSO" [ "$(engine_counter tx_gso)" -gt 0 ]
sleep 1
check "no connection left but TIME-WAITs" [ "$(conns live)" -eq 0 ]
check "serve stops" stop_serve

# ---- the receiver's window closes for 5 s ----
check "serve source, 4 retries" \
	start_serve --port 19 --app source --time-wait 1 --retries 4 --rto-max 1000
impair_start 600
p0=$(engine_counter persist_probes)
check "zero window for 5 s, then 20 MB more, every byte exact" \
	in_cli timeout 60 python3 "$CLIENT" zerowin "$SRV4" 19 20
check "the closed window was probed" [ "$(engine_counter persist_probes)" -gt "$p0" ]

# ---- a client that vanishes mid-transfer ----
in_cli python3 "$CLIENT" vanish "$SRV4" 19 >"$ILOG.v" 2>&1 &
VPID=$!
for _ in $(seq 50); do grep -q reading "$ILOG.v" && break; sleep 0.1; done
check "the client is reading" grep -q reading "$ILOG.v"
a0=$(engine_counter retry_aborts)
impair_stop		# the wire is cut: nothing from either side passes
kill -9 $VPID 2>/dev/null
wait $VPID 2>/dev/null
rm -f "$ILOG.v"
# 4 timeouts of at most 1 s after the backoff: well under 10 s
for _ in $(seq 100); do
	[ "$(engine_counter retry_aborts)" -gt "$a0" ] && break
	sleep 0.1
done
check "the vanished client is aborted after the retry limit" \
	[ "$(engine_counter retry_aborts)" -gt "$a0" ]
check "it leaves no connection" [ "$(conns)" -eq 0 ]
check "it leaves no flow in XDP" [ "$(engine_counter flows)" -eq 0 ]
check "stats --conns answers" in_srv "$XTCP" stats "$VETH_SRV" --conns
check "serve stops" stop_serve
check_done "netns/impair"
