#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# netns layer (root): the benchmark's legitimate client, `xtcp-load connect`,
# against the kernel's server (xtcp-kserver). One client counts every
# attempt; several clients (--clients) share one tally and one latency
# distribution; --rate caps the starts of all of them together; and while
# a third of the SYNs are dropped (nftables in the server namespace), many
# clients still reach their attempts in a few seconds where one client,
# paying a 1 s retransmission per lost SYN, cannot.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/check.sh"
. "$here/../../scripts/netns.sh"

[ "$(id -u)" -eq 0 ] || { echo "netns/load: needs root (skipped)"; exit 77; }
command -v nft >/dev/null || { echo "netns/load: nft missing (skipped)"; exit 77; }
netns_setup || { echo "netns/load: setup failed"; exit 1; }
SRV=
trap '[ -n "$SRV" ] && kill "$SRV" 2>/dev/null; netns_cleanup' EXIT
PORT=8080
SAMPLES=$(mktemp -u /tmp/xtcp-load-samples.XXXXXX)

in_srv "$BUILD/xtcp-kserver" --port "$PORT" --app http >/dev/null 2>&1 &
SRV=$!
up() { in_cli bash -c "exec 3<>/dev/tcp/$SRV4/$PORT" 2>/dev/null; }
for _ in $(seq 50); do up && break; sleep 0.1; done
check "kserver up" up

load() { # ARGS... -> JSON of xtcp-load connect
	in_cli "$BUILD/xtcp-load" connect "$SRV4" "$PORT" "$@"
}
field() { # JSON KEY
	python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}
ge() { python3 -c 'import sys; sys.exit(not float(sys.argv[1]) >= float(sys.argv[2]))' "$1" "$2"; }
lt() { python3 -c 'import sys; sys.exit(not float(sys.argv[1]) < float(sys.argv[2]))' "$1" "$2"; }

# ---- one client, no cap ----
j=$(load --duration 1 --min 300)
echo "  one client: $j"
check "one client: at least --min attempts" ge "$(field "$j" attempts)" 300
check "one client: every attempt answered" [ "$(field "$j" ok)" = "$(field "$j" attempts)" ]
check "one client: reports clients 1" [ "$(field "$j" clients)" = 1 ]

# ---- eight clients at 1000 attempts/s in all ----
rm -f "$SAMPLES"
j=$(load --duration 1 --min 800 --clients 8 --rate 1000 --samples "$SAMPLES")
echo "  8 clients at 1000/s: $j"
a=$(field "$j" attempts)
check "8 clients: at least --min attempts" ge "$a" 800
check "8 clients: every attempt answered" [ "$(field "$j" ok)" = "$a" ]
check "8 clients: reports clients 8, rate 1000" \
	[ "$(field "$j" clients)/$(field "$j" rate)" = 8/1000 ]
# 800 starts 1 ms apart take at least 0.8 s; uncapped they took far less
check "8 clients: the rate holds (attempts / seconds <= 1050)" \
	lt "$(python3 -c "print($a / $(field "$j" seconds))")" 1050
check "8 clients: one latency per answered attempt in --samples" \
	[ "$(wc -l < "$SAMPLES")" = "$(field "$j" ok)" ]
rm -f "$SAMPLES"

# ---- a third of the SYNs dropped ----
in_srv nft -f - <<NFT
table ip xtcp_load_test {
	chain in {
		type filter hook input priority filter; policy accept;
		tcp dport $PORT tcp flags & (syn | ack) == syn numgen random mod 3 == 0 drop
	}
}
NFT
check "nft drops a third of the SYNs" bash -c "nsenter --net=/run/netns/$NS_SRV nft list table ip xtcp_load_test >/dev/null"
j=$(load --duration 1 --min 400 --max-duration 4)
echo "  one client, SYN loss: $j"
a1=$(field "$j" attempts)
j=$(load --duration 1 --min 400 --max-duration 10 --clients 128 --rate 1000)
echo "  128 clients at 1000/s, SYN loss: $j"
a=$(field "$j" attempts)
check "one client under SYN loss: short of 400 attempts in 4 s" lt "$a1" 400
check "128 clients under SYN loss: 400 attempts" ge "$a" 400
check "128 clients under SYN loss: within 8 s" lt "$(field "$j" seconds)" 8
check "128 clients under SYN loss: p99 shows the retransmissions (>= 0.9 s)" \
	ge "$(field "$j" p99_us)" 900000

check_done "netns/load"
