/* csvload.h - two-pass CSV loading: columns by header name, checked records, spooled input, batches (see csvload.c) */
#ifndef OPTIN_CSVLOAD_H
#define OPTIN_CSVLOAD_H

#include <stddef.h>

#define CSVLOAD_SPELLINGS 3                  /* header spellings of one column */
#define CSVLOAD_MAX_COLUMNS 32               /* columns of a table, at most */
#define CSVLOAD_ERROR_CAP 100                /* record errors printed by csvload_check() */
#define CSVLOAD_SHOW_CHARS 60                /* characters of a bad value shown */
#define CSVLOAD_FIELD_HARD_MAX (1024 * 1024) /* a field this long stops the pass (not our CSV) */
#define CSVLOAD_LABEL_MAX 256                /* csvload_label() output, at most */

/* csvload_spec flags */
#define CSVLOAD_LOOSE_NAMES   0x01  /* header names match without case, blanks, '_' and '-' (else without case) */
#define CSVLOAD_OTHER_COLUMNS 0x02  /* a column not in the table, or named again, is skipped (else refused) */
#define CSVLOAD_TRIM          0x04  /* fields lose leading and trailing white space, quoted or not */
#define CSVLOAD_QUIET         0x08  /* no progress line on a terminal */
#define CSVLOAD_SKIP_INVALID  0x10  /* invalid records do not fail csvload_check() */

/* Header and record callbacks: the record (or header) is invalid, its errors reported. */
#define CSVLOAD_INVALID (-1)

struct csvload;
struct csvload_batch;

/* One column the caller reads; the table is indexed by the caller's column numbers. */
struct csvload_column {
    const char *names[CSVLOAD_SPELLINGS];  /* spellings matched in the header; names[0] is listed */
    const char *required;                  /* NULL, or what a header without it lacks ("an address column") */
};

/* One field of a data record, by column. */
struct csvload_field {
    const char *text;  /* its first spec.keep bytes, NUL-terminated; "" when empty or not in the header */
    size_t len;        /* its real length: more than spec.keep when cut */
    const char *name;  /* the column as the header spells it ("" when not in the header) */
};

/* A data record, handed to the record callback. */
struct csvload_record {
    const struct csvload_field *field;  /* field[col] for each column of the table */
    unsigned long line;                 /* physical line where the record starts */
    int apply;                          /* 0: csvload_check() (check only), 1: csvload_apply() */
};

/*
 * What to read and whom to tell. header (optional) runs once the header has been mapped;
 * record runs for each data record that has as many fields as the header. Both return 0,
 * CSVLOAD_INVALID after reporting with csvload_error(), or an exit status that stops the pass.
 */
struct csvload_spec {
    const char *progname;  /* in the progress line and the spool file's name: "optinctl" */
    const char *command;   /* in whole-file lines: "import FILE: ..."; also names the spool file */
    const struct csvload_column *columns;
    size_t ncolumns;
    size_t keep;           /* bytes of a field kept (longer values are cut, len tells) */
    unsigned flags;        /* CSVLOAD_* */
    int (*header)(struct csvload *cl, unsigned long line, void *arg);
    int (*record)(struct csvload *cl, const struct csvload_record *rec, void *arg);
    void *arg;
};

/* Counters of the last pass. */
struct csvload_stats {
    unsigned long rows;     /* data records */
    unsigned long invalid;  /* records refused */
    unsigned long errors;   /* csvload_error() calls, printed or not */
    unsigned long printed;  /* of those, printed */
};

/* Flush callback of a batch: commit rows[0, count); 0, or an exit status after reporting why. */
typedef int (*csvload_flush_fn)(struct csvload_batch *b, void *rows, size_t count, void *arg);

/* csvload_open - open path ("-": standard input), spooling what is not a regular file; 0 or a sysexits code */
int csvload_open(const struct csvload_spec *spec, const char *path, struct csvload **out);
/* csvload_check - pass 1: read everything, report each error (the first CSVLOAD_ERROR_CAP); 0 or a sysexits code */
int csvload_check(struct csvload *cl);
/* csvload_apply - pass 2, refused when the input changed: read again with apply set, then flush batch */
int csvload_apply(struct csvload *cl, struct csvload_batch *batch);
/* csvload_close - close the input and free everything */
void csvload_close(struct csvload *cl);

/* csvload_name - the input in diagnostics: the path, or "stdin" */
const char *csvload_name(const struct csvload *cl);
/* csvload_stats - the counters of the last (or current) pass */
const struct csvload_stats *csvload_stats(const struct csvload *cl);
/* csvload_has_column - is column col named in the header? */
int csvload_has_column(const struct csvload *cl, size_t col);
/* csvload_label - prefix and the input's base name ("stdin" for -), cut to outsz, unprintable bytes as '?' */
void csvload_label(const struct csvload *cl, const char *prefix, char *out, size_t outsz);

/* csvload_error - "FILE:LINE: WHAT: EXPECTED (got 'VAL')"; counted, printed in pass 1 up to the cap */
void csvload_error(struct csvload *cl, unsigned long line, const char *what, const char *expected,
                   const char *val, size_t len);
/* csvload_message - one diagnostic line through log_error(), the progress line erased first */
void csvload_message(struct csvload *cl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* csvload_batch_new - capacity rows of row_size bytes, committed by flush; NULL when out of memory */
struct csvload_batch *csvload_batch_new(struct csvload *cl, size_t row_size, size_t capacity,
                                        csvload_flush_fn flush, void *arg);
/* csvload_batch_add - copy row (of the record at line) into the batch, flush when full; 0 or flush's status */
int csvload_batch_add(struct csvload_batch *b, const void *row, unsigned long line);
/* csvload_batch_flush - commit the rows kept, if any; on failure report where the input stopped */
int csvload_batch_flush(struct csvload_batch *b);
/* csvload_batch_line - the line of row i of the batch being flushed */
unsigned long csvload_batch_line(const struct csvload_batch *b, size_t i);
/* csvload_batch_free - free a batch (its unflushed rows are dropped) */
void csvload_batch_free(struct csvload_batch *b);

#endif
