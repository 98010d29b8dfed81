/*
 * fileio.h - bounded reads and atomic writes.
 *
 * An atomic write goes to a temporary file beside the target (same
 * directory, so rename() is atomic), is flushed and fsync'd, closed with its
 * result checked, renamed over the target, and the directory is fsync'd.
 * Until kr_atomic_commit() succeeds the target is untouched; abort (or a
 * failed commit) removes the temporary file.  "-" as a path means stdout;
 * an existing device or FIFO (e.g. /dev/null) is written in place, never
 * replaced.
 */
#ifndef KR_FILEIO_H
#define KR_FILEIO_H

#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Read a whole file of at most cap bytes (KR_ETOOBIG beyond).  The buffer
 * gets a NUL after the data (not counted in *len); caller frees with free().
 * path "-" reads stdin. */
int kr_read_file(const char *path, size_t cap, uint8_t **out, size_t *len);

struct kr_atomic;

/* Start writing path with the given mode (e.g. 0644).  *out is the handle. */
int kr_atomic_begin(const char *path, mode_t mode, struct kr_atomic **out);
/* The stream to write to; stays valid until commit or abort. */
FILE *kr_atomic_stream(struct kr_atomic *a);
/* Flush, fsync, close, rename, fsync the directory; frees a.  On failure the
 * target is untouched and the temporary file removed. */
int kr_atomic_commit(struct kr_atomic *a);
/* Discard the temporary file; frees a.  NULL-safe. */
void kr_atomic_abort(struct kr_atomic *a);

/* The whole sequence for a buffer in memory. */
int kr_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

#endif
