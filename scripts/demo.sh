#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# `make demo`: two throwaway namespaces joined by veth; `xtcp serve --app
# http` on the server side, with no kernel listener; curl fetches a page,
# then fetches again while a bounded SYN flood runs, and both sides say
# what they saw. Everything made here is removed on exit, whatever the path.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/netns.sh"

[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (namespaces, XDP)" >&2; exit 1; }
PORT=80
FLOOD_SECONDS=${FLOOD_SECONDS:-5}
LOG=$(mktemp)

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

fetch() { # ADDR: one curl, its timing and the page
	in_cli curl -s -g --max-time 5 -o /dev/stdout \
		-w '  (curl: HTTP %{http_code}, connect %{time_connect}s, total %{time_total}s)\n' \
		"http://$1:$PORT/"
}

say "namespaces $NS_SRV (server, $SRV4) and $NS_CLI (client, $CLI4)"
netns_setup || exit 1
trap 'rm -f "$LOG"; netns_cleanup' EXIT

say "xtcp serve $VETH_SRV --port $PORT --app http (inside $NS_SRV)"
nsenter --net=/run/netns/"$NS_SRV" "$XTCP" serve "$VETH_SRV" --port "$PORT" \
	--app http --time-wait 2 >"$LOG" 2>&1 &
serve=$!
for _ in $(seq 300); do grep -q serving "$LOG" && break; sleep 0.1; done
cat "$LOG"
in_srv "$XTCP" status
echo "server kernel: listeners on :$PORT: $(in_srv ss -Hltn "sport = :$PORT" | wc -l)"

say "curl from the client, IPv4 and IPv6"
fetch "$SRV4"
fetch "[$SRV6]"

say "SYN flood for ${FLOOD_SECONDS}s from random sources (hping3); curl during it"
nsenter --net=/run/netns/"$NS_CLI" timeout "$FLOOD_SECONDS" \
	hping3 -q -S -p "$PORT" --rand-source --flood "$SRV4" >/dev/null 2>&1 &
flood=$!
sleep 1
in_srv "$XTCP" stats "$VETH_SRV" --watch --count 2 | grep -v '^$' &
watch=$!
for _ in 1 2 3; do
	fetch "$SRV4"
	sleep 0.5
done
wait "$watch" "$flood" 2>/dev/null

say "what the server saw (xtcp stats $VETH_SRV, non-zero lines)"
sleep 2.5	# TIME-WAIT is 2 s here
in_srv "$XTCP" stats "$VETH_SRV" | awk '/counters/ || $2 != 0'
echo
echo "client veth: $(cli_link_stat rx_packets) packets received (SYN-ACKs and replies), $(cli_link_stat rx_dropped) dropped"

say "the same counters through bpftool (engine, queue 0, first lines)"
bpftool map lookup pinned "$(pins_of "$VETH_SRV")/engine" key 0 0 0 0 | sed -n '1,16p'

say "stopping serve (SIGINT): it detaches and removes its pins"
kill -INT "$serve"
wait "$serve"
tail -1 "$LOG"
say "cleaning up"
netns_cleanup
trap - EXIT
rm -f "$LOG"
echo "removed $NS_SRV, $NS_CLI and their veth pair"
