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
check "the unit reads /etc/xtcp/IFACE.conf" \
	grep -q '^EnvironmentFile=/etc/xtcp/%i.conf$' "$D/lib/systemd/system/xtcp@.service"
check "the installed binary runs" bash -c "'$D/usr/sbin/xtcp' --version | grep -q '^xtcp '"
for cmd in attach detach serve stats status acl; do
	check "the man page has a section for $cmd" \
		bash -c "MANWIDTH=100 man -l '$D/usr/share/man/man8/xtcp.8' 2>/dev/null | grep -q '^   xtcp $cmd\$'"
done
check "the man page shows serve's own options" \
	bash -c "MANWIDTH=100 man -l '$D/usr/share/man/man8/xtcp.8' 2>/dev/null | grep -q -- '--metrics ADDR:PORT'"
check "make uninstall" make -s uninstall PREFIX=/usr DESTDIR="$D" >/dev/null
check "leaves no file behind" [ -z "$(find "$D" -type f)" ]
check_done "install"
