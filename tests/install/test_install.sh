#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# make install into a DESTDIR puts every file where an operator looks for
# it (the unit pointing at the installed binary, the man page with every
# command), and make uninstall takes exactly that away again.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
check "make install PREFIX=/usr DESTDIR=..." make -s install PREFIX=/usr DESTDIR="$D" >/dev/null
for f in usr/sbin/xtcp usr/bin/xtcp-flood usr/bin/xtcp-load usr/share/man/man8/xtcp.8 \
	 usr/share/bash-completion/completions/xtcp lib/systemd/system/xtcp@.service \
	 etc/xtcp/xtcp.conf.example usr/share/doc/xtcp/LICENSE; do
	check "installed $f" [ -s "$D/$f" ]
done
check "the unit runs the installed xtcp serve with its config" \
	grep -q '^ExecStart=/usr/sbin/xtcp serve %i $XTCP_OPTS$' "$D/lib/systemd/system/xtcp@.service"
check "the unit reloads with SIGHUP" \
	grep -q '^ExecReload=/bin/kill -HUP $MAINPID$' "$D/lib/systemd/system/xtcp@.service"
check "the unit reads /etc/xtcp/IFACE.conf" \
	grep -q '^EnvironmentFile=/etc/xtcp/%i.conf$' "$D/lib/systemd/system/xtcp@.service"
check "the installed binary runs" bash -c "'$D/usr/sbin/xtcp' --version | grep -q '^xtcp '"
for cmd in attach detach serve stats status acl; do
	check "the man page has a section for $cmd" \
		bash -c "MANWIDTH=100 man -l '$D/usr/share/man/man8/xtcp.8' 2>/dev/null | grep -q '^   xtcp $cmd\$'"
done
check "the man page shows serve's own options" \
	bash -c "MANWIDTH=100 man -l '$D/usr/share/man/man8/xtcp.8' 2>/dev/null | grep -q -- '--metrics ADDR:PORT'"
# the library: headers, pkg-config, an app built out of tree against them
for f in usr/lib/libxtcp.a usr/lib/libxtcp.so.0 usr/lib/libxtcp.so usr/lib/pkgconfig/xtcp.pc \
	 usr/include/xtcp/xtcp.h usr/include/xtcp/tcp/app.h usr/include/xtcp/apps/apploop.h; do
	check "installed $f" [ -e "$D/$f" ]
done
export PKG_CONFIG_SYSROOT_DIR="$D" PKG_CONFIG_PATH="$D/usr/lib/pkgconfig"
check "pkg-config knows xtcp" bash -c "pkg-config --cflags --libs xtcp | grep -q -- '-lxtcp'"
E=$(mktemp -d) && trap 'rm -rf "$D" "$E"' EXIT && cp examples/kv/kv.c examples/kv/Makefile "$E/"
check "examples/kv builds out of tree with pkg-config (shared)" make -s -C "$E" kv
check "... and runs against the installed libxtcp.so" \
	bash -c "LD_LIBRARY_PATH='$D/usr/lib' '$E/kv' 2>&1 | grep -q usage"
check "examples/kv links statically too (pkg-config --static)" bash -c \
	"cc -O2 \$(pkg-config --cflags xtcp) '$E/kv.c' -o '$E/kv-static' -L'$D/usr/lib' \
	 -Wl,-Bstatic -lxtcp -Wl,-Bdynamic \$(pkg-config --static --libs-only-l xtcp | sed 's/-lxtcp//')"
if [ "$(id -u)" -eq 0 ] && command -v nsenter >/dev/null; then
	# serve a real interface with it: SET, GET, QUIT from a Linux client
	. scripts/netns.sh
	KVLOG=$(mktemp)
	trap 'netns_cleanup; rm -rf "$D" "$E" "$KVLOG"' EXIT
	if netns_setup; then
		trap 'netns_cleanup; rm -rf "$D" "$E" "$KVLOG"' EXIT
		LD_LIBRARY_PATH="$D/usr/lib" nsenter --net=/run/netns/"$NS_SRV" \
			"$E/kv" "$VETH_SRV" 7000 >"$KVLOG" 2>&1 &
		kvpid=$!
		for _ in $(seq 100); do grep -q serving "$KVLOG" && break; sleep 0.1; done
		check "examples/kv serves $VETH_SRV through libxtcp" grep -q serving "$KVLOG"
		check "a Linux client: SET, GET, QUIT answered" in_cli timeout 20 python3 -c "
import socket
s = socket.create_connection(('$SRV4', 7000), timeout=10)
s.sendall(b'SET colour blue\nGET colour\nGET nothing\nQUIT\n')
d = b''
while True:
    b = s.recv(4096)
    if not b: break
    d += b
print('  kv answered:', d.decode().replace(chr(10), ' | '))
assert d == b'OK\nVALUE blue\nNOT_FOUND\nBYE\n'"
		kill -INT "$kvpid"
		for _ in $(seq 50); do kill -0 "$kvpid" 2>/dev/null || break; sleep 0.1; done
		check "examples/kv stops on SIGINT and detaches" \
			bash -c "! kill -0 $kvpid 2>/dev/null && grep -q 'stopped, detached' '$KVLOG'"
	fi
fi
check "make uninstall" make -s uninstall PREFIX=/usr DESTDIR="$D" >/dev/null
check "leaves no file behind" [ -z "$(find "$D" -type f)" ]
check_done "install"
