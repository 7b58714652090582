/*
 * NAME
 *	callbacks 8
 * SUMMARY
 *	the libmilter callbacks of optin-milter
 * SYNOPSIS
 *	#include "milter.h"
 *
 *	struct smfiDesc optin_filter;
 * DESCRIPTION
 *	Thin glue: each callback gets the connection context, calls one
 *	function of policy/enforce/message.c, and maps its answer to SMFIS_* and
 *	smfi_setreply(). At MAIL the sender of list mail known from the
 *	envelope is checked (SPF) and MAIL itself may be refused or
 *	temp-failed; that works for Postfix non_smtpd_milters too, which
 *	only cannot take a refused RCPT. The connection context (cc_) lives from connect to
 *	close; the message context (mc_) from MAIL to end of message or
 *	abort, and holds a retained configuration generation so a reload
 *	never changes the rules in the middle of a message.
 *
 *	Negotiation switches off HELO, DATA, body and unknown-command steps
 *	(the body stays on, with SMFIS_SKIP where offered, while a list checks
 *	content: content(3)) and, where offered, the reply to each header.
 *	The lines of a transaction are journalled when it ends: msg_finish()
 *	at end of message (the receipts), msg_abort() otherwise. It asks for exactly
 *	the macros used: {daemon_name} at connect, i and {auth_authen} at
 *	MAIL, i and {rcpt_mailer} at RCPT, i at end of message. A missing
 *	{rcpt_mailer} means the MTA does not let us reply to RCPT (Postfix
 *	non_smtpd_milters): recipients are then decided at end of message.
 * DIAGNOSTICS
 *	Nothing is fatal: out of memory or a failing smfi_* call is logged
 *	and that one transaction temp-fails.
 * SEE ALSO
 *	message(3), libmilter's smfi_register(3)
 */

#include <arpa/inet.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "util/log.h"
#include "milter.h"
#include "util/timeutil.h"
#include "util/netaddr.h"

#define WANT_ACTIONS (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_DELRCPT | SMFIF_SETSYMLIST)
#define SKIP_STEPS (SMFIP_NOHELO | SMFIP_NOBODY | SMFIP_NOUNKNOWN | SMFIP_NODATA)

static pthread_mutex_t session_ids_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct msg_reply stopping_reply = {
    .rcode = "451", .xcode = "4.3.2", .text = "optin-milter is restarting, try again shortly"};
static unsigned long session_ids;

/* step_status - a message step as a milter status, with its reply */
static sfsistat step_status(SMFICTX *ctx, enum msg_step step, const struct msg_reply *reply)
{
    static const sfsistat statuses[] = {
        [MSG_CONTINUE] = SMFIS_CONTINUE, [MSG_ACCEPT] = SMFIS_ACCEPT,
        [MSG_REJECT] = SMFIS_REJECT, [MSG_TEMPFAIL] = SMFIS_TEMPFAIL,
        [MSG_DISCARD] = SMFIS_DISCARD,
    };

    if ((step == MSG_REJECT || step == MSG_TEMPFAIL) && reply && reply->rcode
        && smfi_setreply(ctx, (char *) reply->rcode, (char *) reply->xcode,
                         (char *) reply->text) != MI_SUCCESS)
        log_warn("setreply %s %s failed", reply->rcode, reply->xcode);
    return statuses[step];
}

/* msg_end - the current message of a connection ends: its journal lines (aborted unless finished) */
static void msg_end(struct conn_ctx *cc)
{
    if (cc == NULL || cc->cc_msg == NULL)
        return;
    msg_abort(&cc->cc_msg->mc_state);               /* nothing when msg_finish wrote them */
    transaction_end();
    msg_free(&cc->cc_msg->mc_state);
    gen_release(cc->cc_msg->mc_gen);
    free(cc->cc_msg);
    cc->cc_msg = NULL;
}

/* conn_get - the connection context, created on first use (negotiate or connect) */
static struct conn_ctx *conn_get(SMFICTX *ctx)
{
    struct conn_ctx *cc = smfi_getpriv(ctx);

    if (cc != NULL)
        return cc;
    if ((cc = calloc(1, sizeof(*cc))) == NULL)
        return NULL;
    pthread_mutex_lock(&session_ids_lock);
    cc->cc_id = ++session_ids;
    pthread_mutex_unlock(&session_ids_lock);
    session_begin();
    smfi_setpriv(ctx, cc);
    return cc;
}

/* body_wanted - does the current configuration check any list's content? */
static int body_wanted(void)
{
    struct generation *gen = gen_retain();
    int wanted = gen != NULL && config_reads_body(gen->cfg);

    gen_release(gen);
    return wanted;
}

/* mlfi_negotiate - ask for the actions we use, skip the steps we don't */
static sfsistat mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
                               unsigned long f2, unsigned long f3, unsigned long *pf0,
                               unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
    struct conn_ctx *cc = conn_get(ctx);

    (void) f2, (void) f3;
    if (cc == NULL)
        return SMFIS_REJECT;    /* the only refusal negotiate may give: no more of this session */
    if ((f0 & WANT_ACTIONS) != WANT_ACTIONS) {
        log_error("the MTA does not offer the actions optin-milter needs (header edits, "
                  "recipient removal): check milter_protocol");
        return SMFIS_REJECT;
    }
    *pf0 = WANT_ACTIONS | (f0 & SMFIF_CHGFROM);    /* the VERP sender, when the MTA offers it */
    cc->cc_chgfrom = (f0 & SMFIF_CHGFROM) != 0;
    *pf1 = (f1 & SKIP_STEPS) | (f1 & SMFIP_NR_HDR);
    if (body_wanted()) {                            /* a list checks content: the body, skippable */
        *pf1 = (*pf1 & ~(unsigned long) SMFIP_NOBODY) | (f1 & SMFIP_SKIP);
        cc->cc_skip = (f1 & SMFIP_SKIP) != 0;
    }
    *pf2 = *pf3 = 0;
    cc->cc_noreply_hdr = (f1 & SMFIP_NR_HDR) != 0;
    log_debug("negotiate: offered actions=0x%lx steps=0x%lx, agreed actions=0x%lx steps=0x%lx",
              f0, f1, *pf0, *pf1);
    smfi_setsymlist(ctx, SMFIM_CONNECT, "{daemon_name}");
    smfi_setsymlist(ctx, SMFIM_ENVFROM, "i {auth_authen}");
    smfi_setsymlist(ctx, SMFIM_ENVRCPT, "i {rcpt_mailer}");
    smfi_setsymlist(ctx, SMFIM_EOM, "i");
    return SMFIS_CONTINUE;
}

/* mlfi_connect - remember who connects and through which service */
static sfsistat mlfi_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
    struct conn_ctx *cc = conn_get(ctx);
    const char *daemon = smfi_getsymval(ctx, "{daemon_name}");

    (void) hostname;
    if (cc == NULL)
        return SMFIS_TEMPFAIL;
    net_sockaddr_format(hostaddr, cc->cc_client_addr, sizeof(cc->cc_client_addr));
    snprintf(cc->cc_daemon_name, sizeof(cc->cc_daemon_name), "%s", daemon ? daemon : "");
    log_debug("connect: client=%s daemon_name=%s", cc->cc_client_addr,
              cc->cc_daemon_name[0] ? cc->cc_daemon_name : "-");
    return SMFIS_CONTINUE;
}

/* mlfi_envfrom - a new message: retain the configuration, classify by envelope, check the sender */
static sfsistat mlfi_envfrom(SMFICTX *ctx, char **argv)
{
    struct conn_ctx *cc = conn_get(ctx);
    struct msg_reply reply = {0};
    char own_id[MSG_ID_BUFSZ];
    struct msg_ctx *mc;
    enum msg_step step;

    if (cc == NULL)
        return SMFIS_TEMPFAIL;
    msg_end(cc);        /* abort is not sent after every kind of message end */
    if (transaction_begin() != 0)
        return step_status(ctx, MSG_TEMPFAIL, &stopping_reply);
    if ((mc = calloc(1, sizeof(*mc))) == NULL || (mc->mc_gen = gen_retain()) == NULL) {
        free(mc);
        transaction_end();
        return SMFIS_TEMPFAIL;
    }
    snprintf(own_id, sizeof(own_id), "optin-%lu.%u", cc->cc_id, ++cc->cc_msgs);
    msg_init(&mc->mc_state, &mc->mc_gen->env, &cc->cc_session, own_id, cc->cc_client_addr,
             clock_now());
    cc->cc_msg = mc;
    msg_set_queue_id(&mc->mc_state, smfi_getsymval(ctx, "i"));
    msg_mail(&mc->mc_state, argv[0], smfi_getsymval(ctx, "{auth_authen}"),
             cc->cc_daemon_name[0] ? cc->cc_daemon_name : NULL);
    if (callback_enter() != 0) {
        msg_end(cc);                                /* stopping: nothing more is looked up */
        return SMFIS_TEMPFAIL;
    }
    step = msg_spf_mail(&mc->mc_state, &reply);     /* may wait for DNS, at most spf_timeout */
    callback_leave();
    if (step != MSG_CONTINUE)
        msg_end(cc);    /* MAIL refused: the message ends here */
    return step_status(ctx, step, &reply);
}

/* mlfi_envrcpt - decide now when the list is known and RCPT replies are allowed */
static sfsistat mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
    struct conn_ctx *cc = smfi_getpriv(ctx);
    struct msg_reply reply = {0};
    enum msg_step step;
    int non_smtpd;

    if (cc == NULL || cc->cc_msg == NULL)
        return SMFIS_TEMPFAIL;
    msg_set_queue_id(&cc->cc_msg->mc_state, smfi_getsymval(ctx, "i"));
    non_smtpd = smfi_getsymval(ctx, "{rcpt_mailer}") == NULL;
    if (callback_enter() != 0)
        return SMFIS_TEMPFAIL;                      /* stopping: the store may be closed */
    step = msg_rcpt(&cc->cc_msg->mc_state, argv[0], strlen(argv[0]), non_smtpd, &reply);
    callback_leave();
    return step_status(ctx, step, &reply);
}

/* mlfi_header - note what a header says */
static sfsistat mlfi_header(SMFICTX *ctx, char *name, char *value)
{
    struct conn_ctx *cc = smfi_getpriv(ctx);

    if (cc && cc->cc_msg)
        msg_header(&cc->cc_msg->mc_state, name, value);
    return cc && cc->cc_noreply_hdr ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* mlfi_body - keep the start of a list message's body for its content check */
static sfsistat mlfi_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
    struct conn_ctx *cc = smfi_getpriv(ctx);

    if (cc == NULL || cc->cc_msg == NULL)
        return SMFIS_TEMPFAIL;
    if (msg_body(&cc->cc_msg->mc_state, chunk, len) && cc->cc_skip)
        return SMFIS_SKIP;                          /* the rest of the body is not needed */
    return SMFIS_CONTINUE;
}

/* mlfi_eoh - accept at once mail that cannot be list mail */
static sfsistat mlfi_eoh(SMFICTX *ctx)
{
    struct conn_ctx *cc = smfi_getpriv(ctx);
    enum msg_step step;

    if (cc == NULL || cc->cc_msg == NULL)
        return SMFIS_TEMPFAIL;
    if ((step = msg_eoh(&cc->cc_msg->mc_state)) == MSG_ACCEPT)
        msg_end(cc);
    return step_status(ctx, step, NULL);
}

/* apply_plan - carry out the end-of-message edits; -1 when the MTA refused one */
static int apply_plan(SMFICTX *ctx, const struct conn_ctx *cc, const struct eom_plan *plan)
{
    int rc = MI_SUCCESS;

    if (plan->new_sender && cc->cc_chgfrom)
        rc = smfi_chgfrom(ctx, (char *) plan->new_sender, NULL);
    else if (plan->new_sender)
        log_warn("the MTA does not let the milter change the envelope sender: no VERP return path");

    for (size_t i = 0; i < plan->ndelrcpt && rc == MI_SUCCESS; i++)
        rc = smfi_delrcpt(ctx, (char *) plan->delrcpt[i]);
    for (size_t i = 0; i < plan->nops && rc == MI_SUCCESS; i++) {
        const struct hdr_op *op = &plan->ops[i];

        if (op->add)
            rc = smfi_addheader(ctx, (char *) op->name, op->value);
        else
            rc = smfi_chgheader(ctx, (char *) op->name, op->index, op->value);
    }
    return rc == MI_SUCCESS ? 0 : -1;
}

/* mlfi_eom - strip, add the unsubscribe headers, answer */
static sfsistat mlfi_eom(SMFICTX *ctx)
{
    struct conn_ctx *cc = smfi_getpriv(ctx);
    struct eom_plan plan;
    sfsistat status;

    if (cc == NULL || cc->cc_msg == NULL)
        return SMFIS_TEMPFAIL;
    msg_set_queue_id(&cc->cc_msg->mc_state, smfi_getsymval(ctx, "i"));
    if (callback_enter() != 0) {
        msg_end(cc);                                /* stopping: the store may be closed */
        return SMFIS_TEMPFAIL;
    }
    msg_eom(&cc->cc_msg->mc_state, &plan);
    callback_leave();
    if (plan.failed || (plan.step == MSG_CONTINUE && apply_plan(ctx, cc, &plan) != 0)) {
        log_error("%s: %s: message temp-failed", cc->cc_msg->mc_state.id,
                  plan.failed ? "out of memory" : "the MTA refused a header or recipient change");
        plan.step = MSG_TEMPFAIL;
        plan.reply = (struct msg_reply){.rcode = "451", .xcode = "4.3.0",
                                        .text = "consent filter could not edit the message"};
    }
    plan.step = msg_finish(&cc->cc_msg->mc_state, plan.step, &plan.reply);   /* the receipts */
    status = step_status(ctx, plan.step, &plan.reply);
    msg_plan_free(&plan);
    msg_end(cc);
    return status;
}

/* mlfi_abort - the message ends without end of message */
static sfsistat mlfi_abort(SMFICTX *ctx)
{
    msg_end(smfi_getpriv(ctx));
    return SMFIS_CONTINUE;
}

/* mlfi_close - the session ends */
static sfsistat mlfi_close(SMFICTX *ctx)
{
    struct conn_ctx *cc = smfi_getpriv(ctx);

    if (cc == NULL)
        return SMFIS_CONTINUE;
    msg_end(cc);
    free(cc);
    smfi_setpriv(ctx, NULL);
    session_end();
    return SMFIS_CONTINUE;
}

struct smfiDesc optin_filter = {
    .xxfi_name = "optin-milter",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = WANT_ACTIONS | SMFIF_CHGFROM,
    .xxfi_connect = mlfi_connect,
    .xxfi_envfrom = mlfi_envfrom,
    .xxfi_envrcpt = mlfi_envrcpt,
    .xxfi_header = mlfi_header,
    .xxfi_eoh = mlfi_eoh,
    .xxfi_body = mlfi_body,
    .xxfi_eom = mlfi_eom,
    .xxfi_abort = mlfi_abort,
    .xxfi_close = mlfi_close,
    .xxfi_negotiate = mlfi_negotiate,
};
