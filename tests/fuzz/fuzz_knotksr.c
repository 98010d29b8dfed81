/* libFuzzer harness: the Knot DNS KSR/SKR text reader (lib/knotksr.c), and
 * the SKR writer on whatever the reader accepts. */
#include <stdint.h>
#include <stdlib.h>

#include "lib/knotksr.h"
#include "lib/ksr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct kr_knot_ksr_opts opts = {.validity = 21 * 86400, .step = 7 * 86400};
	struct kr_ksr_doc *d = NULL;
	char err[256], *text = NULL;
	size_t len = 0;
	kr_knot_detect(data, size);
	if (kr_knot_ksr_parse(data, size, &opts, &d, err, sizeof(err)) == 0)
		kr_ksr_free(d);
	d = NULL;
	if (kr_knot_skr_parse(data, size, &d, err, sizeof(err)) == 0) {
		if (kr_knot_skr_write(d, 0, &text, &len, err, sizeof(err)) == 0)
			free(text);
		kr_ksr_free(d);
	}
	return 0;
}
