/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Minimal test harness: CHECK counts a passed or failed assertion and says
 * where a failure is, and in which test when a table of named tests runs
 * (check_run: all of them, the ones a name or part of a name picks, or a
 * list); check_done prints "NAME: N passed, N failed", which tests/run.sh
 * adds up.
 */
#ifndef XTCP_CHECK_H
#define XTCP_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_passed, check_failed;
/* the test check_run is running, named in every failure */
static const char *check_test __attribute__((unused));

#define CHECK(cond, ...)						\
	do {								\
		if (cond) {						\
			check_passed++;					\
		} else {						\
			check_failed++;					\
			fprintf(stderr, "FAIL %s%s%s:%d: ",		\
				check_test ? check_test : "",		\
				check_test ? ": " : "", __FILE__, __LINE__); \
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

struct check_case {
	const char *name;
	void (*fn)(void);
};
#define CHECK_CASE(fn) { #fn, fn }

/* Does the pattern pick this test? A name that is some test's whole name
 * picks that test alone; otherwise every test whose name contains it. */
static inline bool check_picked(const struct check_case *t, size_t n,
				const char *name, const char *pat)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].name, pat))
			return !strcmp(name, pat);
	return strstr(name, pat) != NULL;
}

/*
 * The main of a table of tests: `PROG` runs every test, `PROG PAT...` the
 * tests the patterns pick, `--list` prints the names, `-v` names each test
 * as it passes. reset runs before each test and once at the end (to free
 * what the last one left). Returns check_done's exit status, or
 * EXIT_FAILURE when a pattern picks nothing.
 */
static inline int check_run(const char *suite, const struct check_case *t, size_t n,
			    void (*reset)(void), int argc, char **argv)
{
	bool list = false, verbose = false;
	int npat = 0, ran = 0;

	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--list")) {
			list = true;
		} else if (!strcmp(argv[a], "-v")) {
			verbose = true;
		} else if (argv[a][0] == '-') {
			fprintf(stderr, "usage: %s [-v] [--list] [TEST|PART-OF-NAME]...\n",
				argv[0]);
			return EXIT_FAILURE;
		} else {
			bool any = false;

			for (size_t i = 0; i < n && !any; i++)
				any = check_picked(t, n, t[i].name, argv[a]);
			if (!any) {
				fprintf(stderr, "%s: no test matches '%s' (--list names them)\n",
					suite, argv[a]);
				return EXIT_FAILURE;
			}
			npat++;
		}
	}
	for (size_t i = 0; i < n; i++) {
		bool pick = !npat;
		int failed = check_failed;

		for (int a = 1; a < argc && !pick; a++)
			pick = argv[a][0] != '-' && check_picked(t, n, t[i].name, argv[a]);
		if (!pick)
			continue;
		if (list) {
			printf("%s\n", t[i].name);
			continue;
		}
		if (reset)
			reset();
		check_test = t[i].name;
		t[i].fn();
		check_test = NULL;
		ran++;
		if (check_failed > failed)
			fprintf(stderr, "FAIL %s: %d check(s) failed\n", t[i].name,
				check_failed - failed);
		else if (verbose)
			printf("  ok   %s\n", t[i].name);
	}
	if (list)
		return EXIT_SUCCESS;
	if (reset)
		reset();
	printf("%s: %d test(s) run\n", suite, ran);
	return check_done(suite);
}

#endif /* XTCP_CHECK_H */
