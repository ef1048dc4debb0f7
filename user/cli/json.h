/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * JSON output of the CLI. Every object a command prints carries
 * "schema": XTCP_JSON_SCHEMA, raised when a field changes meaning or goes
 * away (new fields may appear without it). Strings that come from outside
 * (interface names may hold quotes) go through json_str.
 */
#ifndef XTCP_CLI_JSON_H
#define XTCP_CLI_JSON_H

#include <stdio.h>

#define XTCP_JSON_SCHEMA 1

/* s as a JSON string, quotes included (RFC 8259 7). */
static inline void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

#endif /* XTCP_CLI_JSON_H */
