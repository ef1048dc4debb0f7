#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# netns layer (root): jumbo frames. A veth pair at MTU 9000: serve takes it
# with 4 KiB UMEM frames and multi-buffer AF_XDP (XDP_USE_SG), announces
# the MSS of the real MTU, echoes 50 MB byte-exact in segments of the full
# size, gathering and splitting frames of three UMEM frames each, and
# leaves every UMEM frame where it belongs; an MTU above what it serves is
# refused; at MTU 3818, the most one 4 KiB frame holds, no frame is split.
# A frame longer than the MTU serve started with is dropped and counted.
# Between 1500 and 9000 the engine's own segments stay at 1448: a cookie
# carries the client's MSS as an index into a table (include/xtcp/cookie.h)
# whose entries jump from 1460 to 8960.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/check.sh"
. "$here/../../scripts/netns.sh"

[ "$(id -u)" -eq 0 ] || { echo "netns/jumbo: needs root (skipped)"; exit 77; }
netns_setup || { echo "netns/jumbo: setup failed"; exit 1; }
CLIENT="$here/client.py"
LOG=$(mktemp)
OUT=$(mktemp)
trap 'rm -f "$LOG" "$OUT"; netns_cleanup' EXIT

engine_json() { # PYTHON-EXPR over e, the engine's counters
	in_srv "$XTCP" stats "$VETH_SRV" --json |
		python3 -c "import json, sys; e = json.load(sys.stdin)['engine']; print($1)"
}

frames_accounted() { # all frames where they belong when idle
	in_srv "$XTCP" stats "$VETH_SRV" --json | python3 -c "
import json, sys; e = json.load(sys.stdin)['engine']
t = e['umem_frames']
ok = e['umem_fill'] == t // 2 and e['umem_tx_free'] == t // 2 and e['umem_tx_busy'] == 0
print(f\"  umem: {e['umem_fill']} on the fill ring, {e['umem_tx_free']} TX free, {e['umem_tx_busy']} TX busy, of {t}\")
sys.exit(0 if ok else 1)"
}

check "both ends at MTU 9000, client XDP as xdp.frags" netns_mtu 9000
# --no-gso: every segment through AF_XDP, so the multi-buffer TX path is
# what sends them (with GSO, runs of new data leave through the kernel)
check "serve echo at MTU 9000" start_serve --port 7 --app echo --time-wait 1 --no-gso
fsz=$(engine_json "e['umem_bytes'] // e['umem_frames']")
echo "  UMEM frames of $fsz bytes"
check "UMEM frames of 4096 bytes" [ "${fsz:-0}" -eq 4096 ]
check "serve says so" grep -Eq "MTU 9000: UMEM of [0-9]+ frames of 4096 bytes per queue \([0-9]+ MiB\), multi-buffer" "$LOG"
mss=$(in_srv "$XTCP" status 2>/dev/null | sed -n 's/.*mss \([0-9]*\/[0-9]*\).*/\1/p')
echo "  announced MSS (IPv4/IPv6): ${mss:-?}"
check "MSS from the real MTU: 8960/8940" [ "${mss:-}" = 8960/8940 ]

# a live connection: the engine's view of its MSS
coproc HOLD { in_cli timeout 60 python3 "$CLIENT" hold "$SRV4" 7; }
read -r -t 10 lport <&"${HOLD[0]}"
echo "first line" >&"${HOLD[1]}"
read -r -t 10 same <&"${HOLD[0]}"
check "a connection echoes (local port ${lport:-?})" [ "${same:-}" = same ]
conn_mss=$(in_srv "$XTCP" stats "$VETH_SRV" --conns --json 2>/dev/null |
	python3 -c "import json, sys; print(max(json.loads(l)['mss'] for l in sys.stdin if l.strip()))" 2>/dev/null)
echo "  engine: connection mss ${conn_mss:-?}"
check "the engine sends segments of 8948 bytes (MSS less timestamps)" [ "${conn_mss:-0}" -ge 8948 ]
exec {HOLD[1]}>&-
wait "$HOLD_PID" 2>/dev/null

so0=$(engine_json "e['segs_out'], e['bytes_out'], e['segs_in'], e['bytes_in']")
check "50 MB echoed byte-exact, both directions at once (IPv4)" \
	bash -c "nsenter --net=/run/netns/$NS_CLI timeout 120 python3 $CLIENT echo $SRV4 7 50 >$OUT"
cat "$OUT"
read -r smss rmss < <(sed -n 's/.* mss \([0-9]*\) rcvmss \([0-9]*\).*/\1 \2/p' "$OUT")
check "the client sent segments of ${smss:-?} bytes and received ${rmss:-?}" \
	[ "${smss:-0}" -ge 8948 ] && [ "${rmss:-0}" -ge 8948 ]
read -r sout bout sin bin < <(engine_json "e['segs_out'], e['bytes_out'], e['segs_in'], e['bytes_in']" | tr -d '(),')
read -r sout0 bout0 sin0 bin0 < <(echo "$so0" | tr -d '(),')
pout=$(( (bout - bout0) / (sout - sout0 + 1) ))
pin=$(( (bin - bin0) / (sin - sin0 + 1) ))
echo "  engine: $(( sout - sout0 )) segments out, $pout payload bytes each on average; $(( sin - sin0 )) in, $pin each"
check "payload per segment far above an MTU-1500 segment's 1448 both ways" \
	[ "$pout" -gt 4000 ] && [ "$pin" -gt 4000 ]
multi=$(engine_json "e['rx_multi'], e['tx_multi'], e['drop_rx_long'], e['drop_meta']" | tr -d '(),')
read -r rxm txm rxl dm <<<"$multi"
echo "  frames in several UMEM frames: $rxm received, $txm sent; dropped long $rxl, no metadata $dm"
check "jumbo frames gathered on RX and split on TX" [ "$rxm" -gt 1000 ] && [ "$txm" -gt 1000 ]
check "none dropped as too long or without metadata" [ "$rxl" -eq 0 ] && [ "$dm" -eq 0 ]
check "5 MB echoed byte-exact (IPv6)" in_cli timeout 60 python3 "$CLIENT" echo "$SRV6" 7 5
sleep 1.5
check "every UMEM frame accounted for" frames_accounted
check "no connection left" [ "$(conns)" -eq 0 ]
check "stop serve" stop_serve

# an MTU above what xtcp serves: refused before anything is touched
ip -n "$NS_SRV" link set dev "$VETH_SRV" mtu 9500
refused() {
	local out
	out=$(in_srv timeout 10 "$XTCP" serve "$VETH_SRV" --port 7 --app echo 2>&1) && return 1
	echo "  ${out##*] }"
	grep -q 'above the 9216' <<<"$out"
}
check "MTU 9500 refused, the limit named" refused
check "nothing attached after the refusal" bash -c "! ip -n $NS_SRV link show $VETH_SRV | grep -q xdp"

# between the two: 4 KiB frames, one per frame, no multi-buffer socket
# (though veth hands XDP frames over about 3,500 bytes in parts)
check "both ends at MTU 3818" netns_mtu 3818
check "serve echo at MTU 3818" start_serve --port 7 --app echo --time-wait 1
sed 's/^/    /' "$LOG"
check "UMEM frames of 4096 bytes" [ "$(engine_json "e['umem_bytes'] // e['umem_frames']")" -eq 4096 ]
check "20 MB echoed byte-exact at MTU 3818" \
	bash -c "nsenter --net=/run/netns/$NS_CLI timeout 60 python3 $CLIENT echo $SRV4 7 20 >$OUT"
cat "$OUT"
# the client sends segments of the MSS the SYN-ACK announced; ours are
# bounded by the cookie's MSS table (1460 is its entry below 8960)
check "the client sent segments of 3766 bytes" grep -q " mss 3766 " "$OUT"
read -r sin bin < <(engine_json "e['segs_in'], e['bytes_in']" | tr -d '(),')
echo "  engine: $sin segments in, $(( bin / sin )) payload bytes each on average"
check "the engine took them whole: above 1448 bytes a segment" [ $(( bin / sin )) -gt 1448 ]
check "each frame in one UMEM frame" [ "$(engine_json "e['rx_multi'] + e['tx_multi']")" -eq 0 ]
check "runs of new data left through the kernel's GSO, none refused" \
	[ "$(engine_json "e['tx_gso']")" -gt 0 ] && [ "$(engine_json "e['tx_gso_fallback']")" -eq 0 ]
check "stop serve" stop_serve

# A frame longer than the MTU serve started with (the MTU raised under it):
# gathered parts overflow, the frame is dropped and counted, the frames
# after it are read as before, and no UMEM frame is lost.
check "both ends at MTU 4000" netns_mtu 4000
check "serve echo at MTU 4000" start_serve --port 7 --app echo --time-wait 1
check "multi-buffer from MTU 3819 up" grep -q "MTU 4000: .*multi-buffer" "$LOG"
coproc HOLD { in_cli timeout 60 python3 "$CLIENT" hold "$SRV4" 7; }
read -r -t 10 lport <&"${HOLD[0]}"
echo "first line" >&"${HOLD[1]}"
read -r -t 10 same <&"${HOLD[0]}"
check "a connection echoes (local port ${lport:-?})" [ "${same:-}" = same ]
check "MTU raised to 9000 under the running serve" netns_mtu 9000
in_cli timeout 10 hping3 -q -A -s "${lport:-1}" -k -p 7 -d 8000 -c 20 -i u2000 \
	"$SRV4" >/dev/null 2>&1
sleep 0.5
long=$(engine_json "e['drop_rx_long']")
echo "  20 frames of 8054 bytes on the live flow: drop_rx_long $long"
check "each counted as too long" [ "${long:-0}" -eq 20 ]
echo "after them" >&"${HOLD[1]}"
read -r -t 10 same <&"${HOLD[0]}"
check "the live connection still echoes" [ "${same:-}" = same ]
exec {HOLD[1]}>&-
wait "$HOLD_PID" 2>/dev/null
sleep 1.5
check "every UMEM frame accounted for" frames_accounted
check "stop serve" stop_serve

check_done "netns/jumbo"
