/*
 * fuzz_journal - libFuzzer target: what optinctl journal verify, the journal index and forget
 * read from journal files, which anyone who can write the file may have edited: one line's
 * members (chain_scan), its chained hash (chain_hash) and its in-place redaction (chain_redact),
 * after which the hash must be the same. The input is one line.
 */
#include <stdio.h>

#include "journal/chain.h"
#include "fuzz.h"

/* LLVMFuzzerTestOneInput - one journal line */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = fuzz_string(data, size), before[CHAIN_HASH_BUFSZ], after[CHAIN_HASH_BUFSZ];
    char value[64];
    struct chain_line cl;

    if (line == NULL)
        return 0;
    if (chain_scan(line, size, &cl) == 0) {
        chain_value(line, &cl.recipient, value, sizeof(value));
        if (chain_hash(line, &cl, CHAIN_GENESIS, before) == 0 && cl.pd.present && chain_redact(line, &cl) == 0
            && (chain_scan(line, size, &cl) != 0 || chain_hash(line, &cl, CHAIN_GENESIS, after) != 0
                || strcmp(before, after) != 0))
            abort();                     /* a redaction must keep the line and its hash */
    }
    free(line);
    return 0;
}
