#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# doc/xtcp.8.in -> xtcp.8: the COMMANDS section is each command's own
# --help, so the page cannot drift from the program.
# Usage: scripts/manpage.sh XTCP_BINARY VERSION < doc/xtcp.8.in > xtcp.8
set -eu
xtcp=$1 version=$2
roff() { sed -e 's/\\/\\e/g' -e "s/^[.']/\\\\\\&&/" -e 's/-/\\-/g'; }
commands() {
	local cmd
	for cmd in $("$xtcp" --help | sed -n 's/^  \([a-z]*\) .*/\1/p'); do
		printf '.SS xtcp %s\n.nf\n' "$cmd"
		"$xtcp" "$cmd" --help | roff
		printf '.fi\n'
	done
}
body=$(commands)
while IFS= read -r line; do
	case $line in
	@COMMANDS@) printf '%s\n' "$body" ;;
	*) line=${line//@VERSION@/$version}
	   printf '%s\n' "${line//@DATE@/$(date -u +%Y-%m-%d)}" ;;
	esac
done
