/* Bounded reads and atomic writes: the target is replaced whole or not at
 * all, and no temporary file is left behind. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/error.h"
#include "lib/fileio.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/kr-fileio-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static int count_entries(void)
{
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_write_read(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "%s/out.xml", dir);
	assert_int_equal(kr_write_file_atomic(path, "first", 5, 0644), 0);
	assert_int_equal(kr_write_file_atomic(path, "second", 6, 0600), 0);
	uint8_t *buf = NULL;
	size_t len = 0;
	assert_int_equal(kr_read_file(path, 100, &buf, &len), 0);
	assert_int_equal(len, 6);
	assert_string_equal((char *)buf, "second");
	free(buf);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(kr_read_file(path, 5, &buf, &len), KR_ETOOBIG);
	assert_int_equal(count_entries(), 1);
}

static void test_abort_keeps_old(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "%s/keep.xml", dir);
	assert_int_equal(kr_write_file_atomic(path, "old", 3, 0644), 0);
	struct kr_atomic *a = NULL;
	assert_int_equal(kr_atomic_begin(path, 0644, &a), 0);
	fputs("partial new cont", kr_atomic_stream(a));
	kr_atomic_abort(a);
	uint8_t *buf = NULL;
	size_t len = 0;
	assert_int_equal(kr_read_file(path, 100, &buf, &len), 0);
	assert_string_equal((char *)buf, "old");
	free(buf);
	assert_int_equal(count_entries(), 2); /* out.xml from the last test, keep.xml */
}

static void test_errors(void **state)
{
	(void)state;
	uint8_t *buf = NULL;
	size_t len = 0;
	char path[128];
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(kr_read_file(path, 100, &buf, &len), KR_ESYS);
	assert_int_equal(errno, ENOENT);
	snprintf(path, sizeof(path), "%s/no/such/dir/file", dir);
	assert_int_equal(kr_write_file_atomic(path, "x", 1, 0644), KR_ESYS);
	/* A full disk, simulated with a file size limit: the write fails, the
	 * old file stays and no temporary file is left. */
	snprintf(path, sizeof(path), "%s/full.xml", dir);
	assert_int_equal(kr_write_file_atomic(path, "old", 3, 0644), 0);
	int before = count_entries();
	static char big[256 * 1024];
	memset(big, 'x', sizeof(big));
	struct rlimit old_lim, lim = {.rlim_cur = 4096, .rlim_max = RLIM_INFINITY};
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old_lim), 0);
	lim.rlim_max = old_lim.rlim_max;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	int rc = kr_write_file_atomic(path, big, sizeof(big), 0644);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old_lim), 0);
	assert_int_equal(rc, KR_ESYS);
	assert_int_equal(kr_read_file(path, 100, &buf, &len), 0);
	assert_string_equal((char *)buf, "old");
	free(buf);
	assert_int_equal(count_entries(), before);
}

/* /dev/null stays a device: a temporary file must never be renamed over it. */
static void test_device_target(void **state)
{
	(void)state;
	struct stat before, after;
	assert_int_equal(stat("/dev/null", &before), 0);
	assert_true(S_ISCHR(before.st_mode));
	assert_int_equal(kr_write_file_atomic("/dev/null", "discarded", 9, 0644), 0);
	assert_int_equal(stat("/dev/null", &after), 0);
	assert_true(S_ISCHR(after.st_mode));
	assert_int_equal(after.st_rdev, before.st_rdev);
	assert_int_equal(after.st_ino, before.st_ino);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_read),
		cmocka_unit_test(test_abort_keeps_old),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_device_target),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
