/* libFuzzer entry for the starter's op-list reader and the setuid starter's config parser (starter.c,
 * starter_fuzz_one); built and run by bench/starter-fuzz.sh, never installed. */
#include <stddef.h>
#include <stdint.h>

int starter_fuzz_one(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return starter_fuzz_one(data, size);
}
