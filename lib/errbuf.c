/*
 * errbuf.c - formatting into caller-supplied error buffers.
 */
#include "lib/errbuf.h"

#include <stdarg.h>
#include <stdio.h>

void kr_errbuf(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!errbuf || !errlen)
		return;
	va_start(ap, fmt);
	if (vsnprintf(errbuf, errlen, fmt, ap) < 0)
		errbuf[0] = '\0';
	va_end(ap);
}
