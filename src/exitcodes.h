/* SPDX-License-Identifier: MIT */
/* apctl's exit codes (DESIGN: interfaces; the man page's EXIT STATUS). */
#ifndef APCTL_EXITCODES_H
#define APCTL_EXITCODES_H

enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,  /* a write was refused, an I/O error */
	EXIT_USAGE = 2,    /* bad command line or value */
	EXIT_NOTFOUND = 3, /* no such mdev, device or root */
	EXIT_REFUSED = 4,  /* validation ahead of time refused; nothing written */
	EXIT_TIMEOUT = 5,  /* waiting for the AP bus or a guest timed out */
};

#endif
