/* files.h - the journal's files: finding the rotated ones, reading lines, redacting in place (see files.c) */
#ifndef OPTIN_JOURNAL_FILES_H
#define OPTIN_JOURNAL_FILES_H

#include <stddef.h>
#include <sys/types.h>

#include "journal/chain.h"

/* journal_files - PATH and its rotated copies (PATH.N, PATH.N.gz, PATH-DATE...), oldest first; 0 or -errno. */
int journal_files(const char *path, char ***out, size_t *n);
/* journal_files_free - free what journal_files returned. */
void journal_files_free(char **files, size_t n);

/* journal_line_fn - one line (no newline, NUL-terminated, writable), its number and offset; non-zero stops */
typedef int journal_line_fn(char *line, size_t len, unsigned long lineno, off_t offset, void *arg);
/* journal_read - every line of a plain or gzip'd file, in order; 0, fn's non-zero, or -errno. */
int journal_read(const char *file, journal_line_fn *fn, void *arg);
/* journal_read_from - the same, from an offset of the (uncompressed) text on. */
int journal_read_from(const char *file, off_t from, journal_line_fn *fn, void *arg);

/* journal_match_fn - should this line be redacted? */
typedef int journal_match_fn(const char *line, const struct chain_line *cl, void *arg);
/* journal_redact_file - redact the lines match picks (chain_redact): in place, or a gzip'd file rewritten
 * and renamed; *count lines changed; 0 or -errno. */
int journal_redact_file(const char *file, journal_match_fn *match, void *arg, size_t *count);

#endif
