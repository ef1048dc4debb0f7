/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Minimal test harness: CHECK counts a passed or failed assertion and says
 * where a failure is; check_done prints "NAME: N passed, N failed", which
 * tests/run.sh adds up.
 */
#ifndef XTCP_CHECK_H
#define XTCP_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int check_passed, check_failed;

#define CHECK(cond, ...)						\
	do {								\
		if (cond) {						\
			check_passed++;					\
		} else {						\
			check_failed++;					\
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);			\
			fputc('\n', stderr);				\
		}							\
	} while (0)

#define CHECK_EQ(a, b, what)						\
	CHECK((unsigned long long)(a) == (unsigned long long)(b),	\
	      "%s: got %llu (0x%llx), want %llu (0x%llx)", what,	\
	      (unsigned long long)(a), (unsigned long long)(a),		\
	      (unsigned long long)(b), (unsigned long long)(b))

static inline int check_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
	return check_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* XTCP_CHECK_H */
