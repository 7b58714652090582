/*
 * NAME
 *	optinctl_mailto 1
 * SUMMARY
 *	optinctl mailto: the mail a recipient sends to the List-Unsubscribe mailto: address
 * SYNOPSIS
 *	#include "optinctl.h"
 *
 *	int	cmd_mailto(struct optinctl *ctl, int argc, char **argv);
 * DESCRIPTION
 *	cmd_mailto() implements "optinctl mailto [-r RECIPIENT]", run by a
 *	Postfix pipe(8) transport with the message on standard input. The
 *	token is taken from the recipient's address extension
 *	(unsubscribe+TOKEN@...) when it opens, else from the Subject, which
 *	the URI sets to "unsubscribe TOKEN" (a "Re:", other case, extra
 *	blanks and a literal "%20" are tolerated): unsub_extension_token()
 *	and unsub_text_token() of unsubscribe(3). The token names the list
 *	and the address; a list-level token (sent when one message went to
 *	several recipients) names no address, and then the From address is
 *	unsubscribed. The address is unsubscribed from that list with
 *	consent_feedback_unsubscribe() (source "mailto", actor
 *	"optinctl-mailto"); the history keeps the request's Message-ID.
 *	Applied twice, it changes nothing the second time.
 * DIAGNOSTICS
 *	One line per outcome on stderr ("optinctl: mailto: ..."), also to
 *	syslog when the configuration logs there. Exit status for Postfix
 *	(sysexits): 0 done; 65 (EX_DATAERR, Postfix bounces the message
 *	with the stderr text) when the input is no message, there is no
 *	token, it does not open, or a list-level token comes without a
 *	usable From; 75 (EX_TEMPFAIL, Postfix retries) when the store or
 *	the key file cannot be used; 64 for bad options (75 from main).
 * SEE ALSO
 *	optinctl(1), unsubscribe(3), consent(3), RFC 2369, RFC 6068, RFC 8058
 */

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <gmime/gmime.h>

#include "consent/consent.h"
#include "mail/addr.h"
#include "optinctl.h"
#include "pipe.h"
#include "unsubscribe/unsubscribe.h"
#include "util/log.h"

/* What one run writes, and what came of it. */
struct mailto_args {
    const char *list;
    const char *addr;
    struct feedback_note note;
    struct change_ctx cc;
    enum feedback_outcome outcome;
};

/* mailto_txn - write callback of mailto */
static int mailto_txn(struct store_txn *txn, void *arg)
{
    struct mailto_args *a = arg;

    return consent_feedback_unsubscribe(txn, a->list, a->addr, SUPPRESS_GLOBAL_UNSUB, &a->note,
                                        &a->cc, &a->outcome);
}

/* mailto_sender - the normalized From address, for a list-level token; 0 or -1 */
static int mailto_sender(const struct optinctl *ctl, GMimeMessage *msg, char out[ADDR_BUFSZ])
{
    InternetAddressList *from = g_mime_message_get_from(msg);
    InternetAddress *ia;
    const char *a;

    if (from == NULL || internet_address_list_length(from) != 1
        || !INTERNET_ADDRESS_IS_MAILBOX(ia = internet_address_list_get_address(from, 0))
        || (a = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia))) == NULL)
        return -1;
    return addr_normalize(a, strlen(a), ctl->addr_flags, out) == ADDR_OK ? 0 : -1;
}

/* mailto_token - the token of the message: the address extension, else the Subject; 65 on failure */
static int mailto_token(const struct token_keys *keys, GMimeMessage *msg, const char *rcpt,
                        struct unsub_found *tok)
{
    const char *subject = g_mime_message_get_subject(msg);
    char shown[CTL_PRINTABLE_BUFSZ];

    if (rcpt != NULL)
        unsub_extension_token(keys, rcpt, tok);
    if (tok->rc != 0 && subject != NULL)
        unsub_text_token(keys, subject, tok);
    if (tok->rc == 0)
        return EX_OK;
    if (tok->rc == UNSUB_NONE)
        log_notice("mailto: no unsubscribe token in the recipient address or the "
                   "Subject (expected \"unsubscribe TOKEN\"; Subject: %s)",
                   ctl_printable(subject ? subject : "", shown));
    else
        log_notice("mailto: the unsubscribe token is not valid: %s",
                   tok->rc == OPTIN_ETOKENFORGED ? "it does not verify (altered, or not made here)"
                   : optin_strerror(tok->rc));
    return EX_DATAERR;
}

/* mailto_detail - the history detail: how the address was found, and the request's Message-ID */
static const char *mailto_detail(const struct unsub_found *tok, GMimeMessage *msg,
                                 char out[PIPE_DETAIL_MAX + sizeof(TEXT_CUT_MARK)])
{
    const char *msgid = g_mime_message_get_message_id(msg);
    char raw[PIPE_DETAIL_MAX];

    snprintf(raw, sizeof(raw), "%s%s%s%s", tok->addr[0] ? "" : "list-level token: From; ",
             msgid ? "message-id <" : "", msgid ? msgid : "", msgid ? ">" : "");
    /* out has room for all of raw: nothing is cut a second time */
    return text_escape(raw, strlen(raw), 0, PIPE_SHOWN, out, PIPE_DETAIL_MAX + sizeof(TEXT_CUT_MARK));
}

/* mailto_usage - synopsis of mailto */
static int mailto_usage(int asked)
{
    fputs("usage: optinctl [global options] mailto [-r RECIPIENT] < MESSAGE\n"
          "  -r, --recipient ADDRESS  the envelope recipient (Postfix pipe: ${recipient});\n"
          "                           a token in its extension (unsubscribe+TOKEN@) is used\n"
          "MESSAGE is the mail sent to the List-Unsubscribe mailto: address; without a token\n"
          "in the recipient, its Subject must be \"unsubscribe TOKEN\".\n",
          asked ? stdout : stderr);
    return asked ? EX_OK : EX_USAGE;
}

/* mailto_options - the recipient of -r (NULL when not given); -1 to go on, else an exit status */
static int mailto_options(int argc, char **argv, const char **rcpt)
{
    static const struct option opts[] = {
        {"recipient", required_argument, NULL, 'r'}, {"help", no_argument, NULL, 'h'}, {0}};
    int c;

    optind = 0;
    while ((c = getopt_long(argc, argv, "hr:", opts, NULL)) != -1) {
        if (c != 'r')
            return mailto_usage(c == 'h');
        *rcpt = optarg;
    }
    return optind == argc ? -1 : mailto_usage(0);
}

/* cmd_mailto - optinctl mailto: the unsubscribe mail of one recipient on standard input */
int cmd_mailto(struct optinctl *ctl, int argc, char **argv)
{
    struct mailto_args a = {.cc = {.now = ctl->now, .source = "mailto", .actor = "optinctl-mailto"}};
    struct unsub_found tok = UNSUB_FOUND_NONE;
    struct token_keys *keys = NULL;
    GMimeMessage *msg = NULL;
    const char *rcpt = NULL;
    char from[ADDR_BUFSZ], detail[PIPE_DETAIL_MAX + sizeof(TEXT_CUT_MARK)];
    int rc;

    if ((rc = mailto_options(argc, argv, &rcpt)) != -1)
        return rc;
    pipe_log_open(ctl);
    if ((msg = pipe_read_message("mailto", &rc)) == NULL
        || (keys = pipe_keys(ctl, "mailto", &rc)) == NULL
        || (rc = mailto_token(keys, msg, rcpt, &tok)) != EX_OK)
        goto done;
    a.list = tok.list;
    a.addr = tok.addr;
    if (tok.addr[0] == '\0') {   /* a list-level token: the sender unsubscribes itself */
        if (mailto_sender(ctl, msg, from) != 0) {
            log_notice("mailto: list-level token for %s and no usable From address", tok.list);
            rc = EX_DATAERR;
            goto done;
        }
        a.addr = from;
    }
    a.note.detail = mailto_detail(&tok, msg, detail);
    if ((rc = pipe_store_write(ctl, "mailto", mailto_txn, &a)) == EX_OK)
        log_info("mailto: unsubscribed %s from list %s (%s)", a.addr, a.list,
                 feedback_outcome_name(a.outcome));
done:
    token_keys_free(keys);
    if (msg != NULL)
        g_object_unref(msg);
    return rc;
}
