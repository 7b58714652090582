/*
 * NAME
 *	optinctl_pipe 1
 * SUMMARY
 *	what optinctl mailto and feedback share as Postfix pipe(8) commands
 * SYNOPSIS
 *	#include "pipe.h"
 *
 *	void	pipe_log_open(const struct optinctl *ctl)
 *	GByteArray *pipe_read_bytes(const char *what, int *rc)
 *	GMimeMessage *pipe_read_message(const char *what, int *rc)
 *	struct token_keys *pipe_keys(const struct optinctl *ctl, const char *what, int *rc)
 *	int	pipe_store_write(struct optinctl *ctl, const char *what, store_write_fn fn, void *arg)
 * DESCRIPTION
 *	Both commands read one message on standard input, as a Postfix
 *	pipe(8) transport hands it over, and answer with an exit status that
 *	Postfix acts on: 0 delivered, 65 (EX_DATAERR) bounce it with the
 *	stderr text (mailto only: feedback never returns a report), 75
 *	(EX_TEMPFAIL) keep it queued and retry.
 *
 *	pipe_log_open() sends the log lines (log_msg) to stderr, where
 *	Postfix takes them for the bounce or its own log, and also to syslog
 *	with the configured facility when log_target is "syslog"; the lines
 *	carry no severity word, like optinctl's other diagnostics.
 *
 *	pipe_read_bytes() reads standard input (up to 256 MiB);
 *	pipe_read_message() reads it and parses it with GMime (g_mime_init()
 *	is called there). pipe_keys() loads the
 *	token key file of the configuration. pipe_store_write() opens the
 *	consent store and runs fn in one write transaction.
 *
 *	what ("mailto", "feedback") starts every line logged here.
 * DIAGNOSTICS
 *	One log line per failure: "WHAT: standard input: REASON" (75 when
 *	it cannot be read, 65 when over 256 MiB), "WHAT: standard input is
 *	not a mail message" (65), "WHAT: token keys: REASON" (75), "WHAT:
 *	consent store not usable: retry later" and "WHAT: store: REASON:
 *	retry later" (75).
 * SEE ALSO
 *	optinctl(1), log(3), pipe(8)
 */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "pipe.h"
#include "util/log.h"

#define PIPE_INPUT_MAX (256u << 20)  /* a larger message is not ours to read */

/* pipe_log_open - stderr always (the pipe's status text), syslog as configured */
void pipe_log_open(const struct optinctl *ctl)
{
    const char *target = ctl->cfg->log_target;
    unsigned targets = LOG_TO_STDERR | LOG_UNLABELLED;

    if (target != NULL && strcmp(target, "syslog") == 0)
        targets |= LOG_TO_SYSLOG;
    log_open(ctl->progname, targets, log_facility(ctl->cfg->syslog_facility));
}

/* pipe_read_bytes - standard input into a new byte array; NULL and *rc on failure */
GByteArray *pipe_read_bytes(const char *what, int *rc)
{
    GByteArray *buf = g_byte_array_new();
    unsigned char chunk[65536];
    ssize_t n;

    while ((n = read(STDIN_FILENO, chunk, sizeof(chunk))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || buf->len + (size_t) n > PIPE_INPUT_MAX) {
            log_error("%s: standard input: %s", what,
                      n < 0 ? strerror(errno) : "message over 256 MiB");
            *rc = n < 0 ? EX_TEMPFAIL : EX_DATAERR;
            g_byte_array_unref(buf);
            return NULL;
        }
        g_byte_array_append(buf, chunk, (guint) n);
    }
    return buf;
}

/* pipe_read_message - the message on standard input, parsed; NULL and *rc on failure */
GMimeMessage *pipe_read_message(const char *what, int *rc)
{
    GMimeMessage *msg = NULL;
    GMimeParser *parser;
    GMimeStream *stream;
    GByteArray *buf;

    g_mime_init();
    if ((buf = pipe_read_bytes(what, rc)) == NULL)
        return NULL;
    stream = g_mime_stream_mem_new_with_byte_array(buf);   /* takes buf */
    parser = g_mime_parser_new_with_stream(stream);
    if (buf->len > 0)
        msg = g_mime_parser_construct_message(parser, NULL);
    g_object_unref(parser);
    g_object_unref(stream);
    if (msg == NULL || g_mime_message_get_mime_part(msg) == NULL) {
        log_warn("%s: standard input is not a mail message", what);
        *rc = EX_DATAERR;
        if (msg != NULL)
            g_object_unref(msg);
        return NULL;
    }
    return msg;
}

/* pipe_keys - the token keys, or NULL with *rc = EX_TEMPFAIL (missing or unusable key file) */
struct token_keys *pipe_keys(const struct optinctl *ctl, const char *what, int *rc)
{
    const char *path = ctl->cfg->keys != NULL ? ctl->cfg->keys : OPTIN_DEFAULT_KEYS;
    struct token_keys *keys = NULL;
    char err[512];

    *rc = 0;
    if (token_keys_load(path, &keys, err, sizeof(err)) == 0)
        return keys;
    log_error("%s: token keys: %s", what, err);
    *rc = EX_TEMPFAIL;      /* without keys no token can be read: keep the mail and retry */
    return NULL;
}

/* pipe_store_write - open the store and apply; an exit status (store trouble: EX_TEMPFAIL) */
int pipe_store_write(struct optinctl *ctl, const char *what, store_write_fn fn, void *arg)
{
    int rc;

    if (ctl_open_store(ctl, 0, 0) != EX_OK) {
        log_error("%s: consent store not usable: retry later", what);
        return EX_TEMPFAIL;
    }
    if ((rc = store_write(ctl->store, fn, arg)) != 0) {
        log_error("%s: store: %s: retry later", what,
                  rc < 0 ? optin_strerror(rc) : "a value the store refused");
        return EX_TEMPFAIL;
    }
    return EX_OK;
}
