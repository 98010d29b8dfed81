#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/fileio.h"

int kr_read_file(const char *path, size_t cap, uint8_t **out, size_t *len)
{
	if (path == NULL || out == NULL || len == NULL)
		return KR_EINVAL;
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return KR_ESYS;
	int rc = KR_OK;
	size_t size = 0, alloc = 4096;
	uint8_t *buf = malloc(alloc + 1);
	if (buf == NULL) {
		rc = KR_ENOMEM;
		goto out;
	}
	for (;;) {
		if (size == alloc) {
			if (alloc > cap) {
				rc = KR_ETOOBIG;
				goto out;
			}
			size_t nalloc = alloc * 2;
			uint8_t *nb = realloc(buf, nalloc + 1);
			if (nb == NULL) {
				rc = KR_ENOMEM;
				goto out;
			}
			buf = nb;
			alloc = nalloc;
		}
		ssize_t n = read(fd, buf + size, alloc - size);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = KR_ESYS;
			goto out;
		}
		if (n == 0)
			break;
		size += (size_t)n;
	}
	if (size > cap) {
		rc = KR_ETOOBIG;
		goto out;
	}
	buf[size] = '\0';
	*out = buf;
	*len = size;
	buf = NULL; /* transferred */
out:
	free(buf);
	if (fd != STDIN_FILENO) {
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return rc;
}

struct kr_atomic {
	char *path;
	char *tmp; /* NULL when writing straight to stdout or a device */
	FILE *f;
	int close_f; /* f is ours to close (a device), not stdout */
};

int kr_atomic_begin(const char *path, mode_t mode, struct kr_atomic **out)
{
	if (path == NULL || out == NULL)
		return KR_EINVAL;
	struct kr_atomic *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return KR_ENOMEM;
	if (strcmp(path, "-") == 0) {
		a->f = stdout;
		*out = a;
		return KR_OK;
	}
	/* A device or pipe (/dev/null, /dev/stdout, a FIFO) is written in
	 * place: renaming a temporary file over it would replace the device. */
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		if ((a->f = fopen(path, "w")) == NULL) {
			kr_atomic_abort(a);
			return KR_ESYS;
		}
		a->close_f = 1;
		*out = a;
		return KR_OK;
	}
	a->path = strdup(path);
	size_t n = strlen(path) + 16;
	a->tmp = malloc(n);
	if (a->path == NULL || a->tmp == NULL) {
		kr_atomic_abort(a);
		return KR_ENOMEM;
	}
	snprintf(a->tmp, n, "%s.tmpXXXXXX", path);
	int fd = mkostemp(a->tmp, O_CLOEXEC);
	if (fd < 0) {
		free(a->tmp);
		a->tmp = NULL;
		kr_atomic_abort(a);
		return KR_ESYS;
	}
	if (fchmod(fd, mode) != 0 || (a->f = fdopen(fd, "w")) == NULL) {
		int saved = errno;
		close(fd);
		kr_atomic_abort(a);
		errno = saved;
		return KR_ESYS;
	}
	*out = a;
	return KR_OK;
}

FILE *kr_atomic_stream(struct kr_atomic *a)
{
	return a ? a->f : NULL;
}

static void free_atomic(struct kr_atomic *a)
{
	free(a->path);
	free(a->tmp);
	free(a);
}

void kr_atomic_abort(struct kr_atomic *a)
{
	if (a == NULL)
		return;
	int saved = errno;
	if (a->tmp != NULL) {
		if (a->f != NULL)
			fclose(a->f);
		unlink(a->tmp);
	} else if (a->close_f) {
		fclose(a->f);
	}
	free_atomic(a);
	errno = saved;
}

static int fsync_dir(const char *path)
{
	char *copy = strdup(path);
	if (copy == NULL)
		return KR_ENOMEM;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return KR_ESYS;
	int rc = fsync(fd) == 0 ? KR_OK : KR_ESYS;
	close(fd);
	return rc;
}

int kr_atomic_commit(struct kr_atomic *a)
{
	if (a == NULL)
		return KR_EINVAL;
	if (a->tmp == NULL) { /* stdout or a device */
		int rc = fflush(a->f) == 0 && !ferror(a->f) ? KR_OK : KR_ESYS;
		if (a->close_f && fclose(a->f) != 0)
			rc = KR_ESYS;
		free_atomic(a);
		return rc;
	}
	int rc = KR_ESYS;
	FILE *f = a->f;
	a->f = NULL;
	int ok = fflush(f) == 0 && !ferror(f) && fsync(fileno(f)) == 0;
	int saved = errno;
	if (fclose(f) != 0 && ok) {
		ok = 0;
		saved = errno;
	}
	if (ok && rename(a->tmp, a->path) == 0) {
		free(a->tmp);
		a->tmp = NULL;
		rc = fsync_dir(a->path);
		free_atomic(a);
		return rc;
	}
	if (ok)
		saved = errno;
	unlink(a->tmp);
	free_atomic(a);
	errno = saved;
	return rc;
}

int kr_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	struct kr_atomic *a = NULL;
	int rc = kr_atomic_begin(path, mode, &a);
	if (rc)
		return rc;
	if (len > 0 && fwrite(data, 1, len, kr_atomic_stream(a)) != len) {
		kr_atomic_abort(a);
		return KR_ESYS;
	}
	return kr_atomic_commit(a);
}
