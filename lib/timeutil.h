/*
 * timeutil.h - ISO 8601 times and durations, DNSSEC RRSIG times.
 * Times are int64_t seconds since the epoch, UTC.
 */
#ifndef KR_TIMEUTIL_H
#define KR_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/*
 * "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS" (or a space for T), optional fraction
 * ignored only if zero, zone "Z", "+HH:MM"/"-HH:MM"/"+HHMM", or none (= UTC).
 * Also "@SECONDS".  Strict ranges; anything else is KR_EMALFORMED.
 */
int kr_time_parse(const char *s, int64_t *t);
/* "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 21 bytes). */
int kr_time_format(int64_t t, char *buf, size_t size);
/* "YYYY-MM-DDTHH:MM:SS+00:00" (the ICANN KSR/SKR style) into buf (>= 26 bytes). */
int kr_time_format_icann(int64_t t, char *buf, size_t size);

/*
 * ISO 8601 duration: "P21D", "PT0S", "P1W", "P1DT12H", "PT1H30M15S".  Years and
 * months are refused (their length is ambiguous).  Result in seconds, >= 0.
 */
int kr_duration_parse(const char *s, int64_t *secs);
/* Shortest form: "P21D", "P1DT2H", "PT0S" into buf (>= 32 bytes). */
int kr_duration_format(int64_t secs, char *buf, size_t size);

/* RRSIG time "YYYYMMDDHHmmSS" or a decimal number of seconds. */
int kr_rrsig_time_parse(const char *s, uint32_t *t);
/* "YYYYMMDDHHmmSS" into buf (>= 15 bytes), t taken as seconds since 1970. */
int kr_rrsig_time_format(uint32_t t, char *buf, size_t size);
/* The absolute time of RRSIG time t nearest to ref (RFC 4034 3.1.5). */
int64_t kr_rrsig_time_abs(uint32_t t, int64_t ref);

#endif
