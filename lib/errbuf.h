/*
 * errbuf.h - the caller-supplied error buffer of library functions that
 * explain their failures ("char *errbuf, size_t errlen").
 */
#ifndef KR_ERRBUF_H
#define KR_ERRBUF_H

#include <stddef.h>

/* printf into errbuf (truncated to errlen); nothing if errbuf is NULL or
 * errlen 0; an empty string if formatting fails. */
void kr_errbuf(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
