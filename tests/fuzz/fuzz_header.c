/*
 * fuzz_header - libFuzzer target: what the milter reads of message headers: List-Id extraction
 * (list_id_extract), header value unfolding and trimming (header_value_trim) and the bulk
 * signals (header_signals_bulk). The input is "NAME\nVALUE".
 */
#include "enforce/classify.h"
#include "fuzz.h"

/* LLVMFuzzerTestOneInput - one header field */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *name = fuzz_string(data, size), *value, id[LIST_ID_HEADER_BUFSZ], trimmed[1024];

    if (name == NULL)
        return 0;
    value = fuzz_split(name, size);
    list_id_extract(value, id);
    list_id_extract(name, id);
    header_value_trim(value, trimmed, sizeof(trimmed));
    header_value_trim(value, trimmed, 1);
    header_signals_bulk(name, value);
    free(name);
    return 0;
}
