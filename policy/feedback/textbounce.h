/* textbounce.h - the failed recipients of a bounce written for people (see textbounce.c) */
#ifndef OPTIN_FEEDBACK_TEXTBOUNCE_H
#define OPTIN_FEEDBACK_TEXTBOUNCE_H

#include <stddef.h>

#include "mail/addr.h"

#define TB_RCPT_MAX 32           /* recipients read from one notice */
#define TB_DIAG_MAX 600          /* bytes of text kept about one recipient, with the NUL */

/* The message around the notice, as the caller read it. */
struct tb_input {
    const char *subject;         /* decoded; NULL: none */
    const char *from;            /* the From field as written; NULL: none */
    const char *text;            /* the notice, decoded to text, NUL-terminated */
    const char *const *skip;     /* NULL-terminated: addresses that are no recipient (From, To) */
};

/* One recipient the notice says failed. */
struct tb_recipient {
    char addr[ADDR_BUFSZ];       /* as the text writes it */
    char diag[TB_DIAG_MAX];      /* the text about it: blanks folded */
};

/* What a notice says. */
struct tb_result {
    const char *family;          /* "qmail", "exim", "gmail", ... or "generic"; NULL: no bounce */
    int strong;                  /* told by a signature no person writes (else by From or Subject) */
    int delayed;                 /* a warning only: nothing has failed yet */
    size_t copy_at;              /* where the returned message starts in text (strlen: none) */
    size_t n;
    struct tb_recipient rcpt[TB_RCPT_MAX];
};

/* tb_family - which software or provider wrote a bounce notice; NULL: it is none we know */
const char *tb_family(const struct tb_input *in, int *strong);
/* tb_scan - family, recipients and the diagnostic of each; 0, or -1 when no family is known */
int tb_scan(const struct tb_input *in, struct tb_result *out);
/* tb_copy_start - where the returned message starts in a notice (strlen(text) when it has none) */
size_t tb_copy_start(const char *text);
/* tb_html_text - malloc'd text of an HTML notice: tags dropped, entities decoded; NULL: no memory */
char *tb_html_text(const char *html);

#endif
