/* binding.h - identity before action: which recipient a report may change (see binding.c) */
#ifndef OPTIN_FEEDBACK_BINDING_H
#define OPTIN_FEEDBACK_BINDING_H

#include "config/config.h"
#include "unsubscribe/token.h"
#include "unsubscribe/unsubscribe.h"
#include "unsubscribe/verp.h"

/* What binds a report to the recipient it names, if anything. */
enum fb_binding {
    FB_UNBOUND,      /* nothing: the report changes nothing for this recipient */
    FB_BOUND_VERP,   /* the signed VERP tag of the address it came back to names it */
    FB_BOUND_TOKEN,  /* an unsubscribe token in the returned message names it */
};

/* What a report carries that could bind it. */
struct fb_evidence {
    char verp_tag[VERP_TAG_BUFSZ];   /* from the envelope recipient it came to ("" none) */
    const struct unsub_found *token; /* the token found in the returned message, or NULL */
};

/* fb_binding_name - "verp", "token", "none" */
const char *fb_binding_name(enum fb_binding b);
/*
 * fb_evidence_verp - the tag of rcpt (the envelope recipient a report was delivered to) by
 * the global or any list's verp_return_path; 1 when one was found.
 */
int fb_evidence_verp(const struct optin_config *cfg, const char *rcpt, struct fb_evidence *ev);
/*
 * fb_bind - is the recipient block about addr (normalized) bound by the evidence, and to
 * which list (*list: the configured id, or a token's list that is no longer configured)? The VERP tag must verify for (list, addr) under the
 * key file; a token must open and name exactly addr. A list-level token binds no recipient.
 */
enum fb_binding fb_bind(const struct token_keys *keys, const struct optin_config *cfg,
                        const struct fb_evidence *ev, const char *addr, const char **list);

#endif
