/*
 * fuzz_script.c - libFuzzer harness for the ceremony script and rehearsal
 * answers readers (ceremony/script.c over libfyaml).  Any input is either
 * refused with a reason or gives a script whose steps are numbered ACT.STEP
 * in order, name only declared roles and carry exactly one action.
 * Seed corpus: tests/fuzz/corpus/fuzz_script (the shipped scripts and answers).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ceremony/script.h"
#include "lib/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("script", 0);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	char path[64], why[512];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct kr_script *s = NULL;
	struct kr_answers *a = NULL;
	if (kr_script_load(path, NULL, 0, &s, why, sizeof(why)) == KR_OK) {
		size_t act = 0, step = 0;
		for (size_t i = 0; i < s->nsteps; i++) {
			const struct kr_step *st = &s->steps[i];
			char want[48];
			if (st->act != act) {
				act = st->act;
				step = 0;
			}
			snprintf(want, sizeof(want), "%zu.%zu", act + 1, ++step);
			if (strcmp(want, st->id) != 0 || st->nroles == 0 || st->title == NULL ||
			    (st->kind == KR_STEP_RUN) != (st->argv != NULL) ||
			    (st->kind != KR_STEP_RUN) != (st->text != NULL))
				abort();
			for (size_t k = 0; k < st->nroles; k++)
				if (kr_script_role(s, st->roles[k]) == NULL)
					abort();
		}
		kr_script_free(s);
	} else if (why[0] == '\0') {
		abort(); /* a refusal always says why */
	}
	if (kr_answers_load(path, &a, why, sizeof(why)) == KR_OK)
		kr_answers_free(a);
	close(fd);
	return 0;
}
