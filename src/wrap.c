/* SPDX-License-Identifier: MIT */
#include "wrap.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Below this, breaking lines helps nobody. */
#define WRAP_MIN 40

int wrap_width(FILE *f)
{
	struct winsize ws;
	const char *env = getenv("COLUMNS");

	if (!isatty(fileno(f)))
		return 0;
	if (!ioctl(fileno(f), TIOCGWINSZ, &ws) && ws.ws_col)
		return ws.ws_col >= WRAP_MIN ? ws.ws_col : 0;
	return env && atoi(env) >= WRAP_MIN ? atoi(env) : 0;
}

bool wrap_quote_at(const char *line, size_t len, size_t i, bool open)
{
	if (line[i] != '\'')
		return false;
	if (open)
		return i == 0 || strchr(" (", line[i - 1]);
	return i + 1 == len || strchr(" :,;.)?", line[i + 1]);
}

void wrap_line(FILE *f, const char *line, size_t len, int width)
{
	size_t indent = strspn(line, " "), start = 0, brk = 0, col = 0;
	size_t hang = indent + 2 < (size_t)width / 2 ? indent + 2 : 0;
	bool quoted = false, first = true;

	for (size_t i = 0; width && i < len; i++, col++) {
		if (wrap_quote_at(line, len, i, !quoted))
			quoted = !quoted;
		else if (line[i] == ' ' && !quoted && i > indent)
			brk = i;
		if (col + 1 < (size_t)width || brk <= start)
			continue;
		/* the line up to the last blank, then the rest from a hanging indent */
		fprintf(f, "%*s%.*s\n", first ? 0 : (int)hang, "", (int)(brk - start), line + start);
		start = brk + 1;
		col = hang + (i - start);
		first = false;
	}
	fprintf(f, "%*s%.*s\n", first ? 0 : (int)hang, "", (int)(len - start), line + start);
}

struct wrap {
	FILE *out;
	int width;
	char *buf;
	size_t len, cap;
};

static ssize_t wrap_write(void *cookie, const char *data, size_t size)
{
	struct wrap *w = cookie;

	for (size_t i = 0; i < size; i++) {
		if (data[i] == '\n') {
			wrap_line(w->out, w->buf, w->len, w->width);
			w->len = 0;
			continue;
		}
		if (w->len == w->cap) {
			char *more = realloc(w->buf, w->cap ? w->cap * 2 : 256);

			if (!more)
				return -1;
			w->buf = more;
			w->cap = w->cap ? w->cap * 2 : 256;
		}
		w->buf[w->len++] = data[i];
	}
	return (ssize_t)size;
}

static int wrap_end(void *cookie)
{
	struct wrap *w = cookie;

	if (w->len)
		fprintf(w->out, "%.*s", (int)w->len, w->buf);
	free(w->buf);
	free(w);
	return 0;
}

FILE *wrap_open(FILE *f)
{
	cookie_io_functions_t io = { .write = wrap_write, .close = wrap_end };
	int width = wrap_width(f);
	struct wrap *w = width ? calloc(1, sizeof(*w)) : NULL;
	FILE *s;

	if (!w)
		return f;
	w->out = f;
	w->width = width;
	fflush(f);
	s = fopencookie(w, "w", io);
	if (!s)
		free(w);
	return s ? s : f;
}

void wrap_close(FILE *w, FILE *f)
{
	if (w != f)
		fclose(w);
	fflush(f);
}
