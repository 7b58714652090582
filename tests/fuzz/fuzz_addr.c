/*
 * fuzz_addr - libFuzzer target: address normalization and IDN (addr_normalize with and
 * without folding, addr_normalize_domain, addr_mta_form). Nothing may crash or read out of
 * bounds, no result may be longer than ADDR_MAX_LEN, and a normalized address normalizes to
 * itself.
 */
#include <stdio.h>

#include "fuzz.h"
#include "mail/addr.h"

/* LLVMFuzzerTestOneInput - one input, both flag sets */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[ADDR_BUFSZ], again[ADDR_BUFSZ], mta[ADDR_BUFSZ * 2];

    for (unsigned flags = 0; flags <= ADDR_FOLD_LOCAL; flags += ADDR_FOLD_LOCAL) {
        if (addr_normalize((const char *) data, size, flags, out) != ADDR_OK)
            continue;
        if (strlen(out) > ADDR_MAX_LEN)
            abort();
        if (addr_normalize(out, strlen(out), flags, again) != ADDR_OK || strcmp(out, again) != 0)
            abort();                       /* normalization is idempotent */
    }
    addr_normalize_domain((const char *) data, size, out);
    addr_mta_form((const char *) data, size, mta, sizeof(mta));
    return 0;
}
