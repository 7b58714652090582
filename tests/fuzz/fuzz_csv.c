/*
 * fuzz_csv - libFuzzer target: the two-pass CSV loader (csvload.c over libcsv): header mapping,
 * records of any shape, cut fields, the formula guard. The input is written to a temporary file
 * and checked (pass 1); its diagnostics go to standard error like libFuzzer's own.
 */
#include <stdio.h>
#include <unistd.h>

#include "fuzz.h"
#include "util/csvload.h"

static char path[FUZZ_PATH_MAX];

static const struct csvload_column columns[] = {
    {.names = {"address", "email"}, .required = "an address column"},
    {.names = {"list"}},
    {.names = {"source"}},
};

/* on_record - look at every field of a record */
static int on_record(struct csvload *cl, const struct csvload_record *rec, void *arg)
{
    size_t *total = arg;

    (void) cl;
    for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++)
        *total += strlen(rec->field[i].text) + rec->field[i].len;
    return 0;
}

/* LLVMFuzzerInitialize - the temporary file */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char dir[FUZZ_PATH_MAX];

    (void) argc;
    (void) argv;
    fuzz_tempdir("csv", dir);
    fuzz_path(dir, "rows.csv", path);
    return 0;
}

/* LLVMFuzzerTestOneInput - check one CSV file */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t total = 0;
    struct csvload_spec spec = {
        .progname = "fuzz", .command = "import", .columns = columns, .ncolumns = 3, .keep = 64,
        .record = on_record, .arg = &total,
    };
    struct csvload *cl;
    FILE *fp = fopen(path, "w");

    if (fp == NULL)
        return 0;
    fwrite(data, 1, size, fp);
    fclose(fp);
    if (csvload_open(&spec, path, &cl) == 0) {
        csvload_check(cl);
        csvload_close(cl);
    }
    return 0;
}
