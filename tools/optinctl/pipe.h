/* pipe.h - what optinctl mailto and feedback share as Postfix pipe(8) commands (see pipe.c) */
#ifndef OPTINCTL_PIPE_H
#define OPTINCTL_PIPE_H

#include <gmime/gmime.h>

#include "optinctl.h"
#include "unsubscribe/token.h"
#include "util/text.h"

#define PIPE_DETAIL_MAX 200   /* characters of a report's detail kept in the history */
/* text_escape flags of a value shown in a log line or the history: printable ASCII, '?' */
#define PIPE_SHOWN (TEXT_ASCII | TEXT_QUESTION | TEXT_FOLD_BLANKS)

/* pipe_log_open - log lines to stderr, and to syslog too when the configuration logs there */
void pipe_log_open(const struct optinctl *ctl);
/* pipe_read_bytes - standard input, up to 256 MiB; NULL and *rc (65 too large, 75) on failure */
GByteArray *pipe_read_bytes(const char *what, int *rc);
/* pipe_read_message - the message on standard input, parsed; NULL and *rc (65 or 75) on failure */
GMimeMessage *pipe_read_message(const char *what, int *rc);
/* pipe_keys - the token keys, or NULL with *rc = EX_TEMPFAIL (missing or unusable key file) */
struct token_keys *pipe_keys(const struct optinctl *ctl, const char *what, int *rc);
/* pipe_store_write - open the store and run fn in one write transaction; EX_OK or EX_TEMPFAIL */
int pipe_store_write(struct optinctl *ctl, const char *what, store_write_fn fn, void *arg);

#endif
