/* SPDX-License-Identifier: MIT */
/* Text that other programs read back: UTF-8 as RFC 3629 has it. */
#ifndef APCTL_UTF8_H
#define APCTL_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Whether the len bytes of s are UTF-8: no overlong forms, surrogates or code points past U+10FFFF. */
bool utf8_valid(const char *s, size_t len);

#endif
