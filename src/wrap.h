/* SPDX-License-Identifier: MIT */
/*
 * Text that fits a terminal: lines longer than its width are broken at
 * blanks, never inside a 'quoted' value or command (which stays whole to be
 * pasted), and go on indented two more than the line's own indent. Where the
 * output is not a terminal, lines stay whole, for scripts and logs.
 */
#ifndef APCTL_WRAP_H
#define APCTL_WRAP_H

#include <stdbool.h>
#include <stdio.h>

/*
 * Whether the quote at line[i] opens a quoted value ('x after a blank, a
 * parenthesis or the start) or closes one (x' before a blank, punctuation or
 * the end); apostrophes inside words do neither.
 */
bool wrap_quote_at(const char *line, size_t len, size_t i, bool open);
/* The width of the terminal f writes to, or 0 when f is not a terminal. */
int wrap_width(FILE *f);
/* Writes line (len bytes, without its newline) and a newline to f, broken to width. */
void wrap_line(FILE *f, const char *line, size_t len, int width);
/* A stream that writes to f through wrap_line(), or f itself where it is no terminal. */
FILE *wrap_open(FILE *f);
/* Ends a stream of wrap_open(f). */
void wrap_close(FILE *w, FILE *f);

#endif
