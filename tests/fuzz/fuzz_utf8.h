/*
 * fuzz_utf8.h - the fuzz targets' check that an error message is
 * well-formed UTF-8 whenever the text was: the server sends it as a JSON
 * string, which must be UTF-8.
 */
#ifndef SB_FUZZ_UTF8_H
#define SB_FUZZ_UTF8_H

#include <stddef.h>

/* 1 if s[0..len) is well-formed UTF-8 (shortest forms, no surrogates). */
static inline int fuzz_utf8_ok(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned c = u[i], n = c < 0x80 ? 0 : c < 0xc2 ? 9 :
			   c < 0xe0 ? 1 : c < 0xf0 ? 2 : c < 0xf5 ? 3 : 9;
		unsigned cp = n == 1 ? c & 0x1f : n == 2 ? c & 0x0f : c & 0x07;

		if (n == 9 || len - i <= n)	/* bad lead, or cut short */
			return 0;
		for (unsigned k = 1; k <= n; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (u[i + k] & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += n + 1;
	}
	return 1;
}

#endif
