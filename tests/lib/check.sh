#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Shell side of the test harness: `check DESC CMD...` runs CMD and counts it;
# `check_done NAME` prints "NAME: N passed, N failed" for tests/run.sh.
CHECK_PASSED=0
CHECK_FAILED=0

check() {
	local desc=$1
	shift
	if "$@"; then
		CHECK_PASSED=$((CHECK_PASSED + 1))
		echo "  ok   $desc"
	else
		CHECK_FAILED=$((CHECK_FAILED + 1))
		echo "  FAIL $desc" >&2
	fi
}

check_done() {
	echo "$1: $CHECK_PASSED passed, $CHECK_FAILED failed"
	[ "$CHECK_FAILED" -eq 0 ]
}
