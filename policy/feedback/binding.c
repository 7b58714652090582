/*
 * NAME
 *	binding 3
 * SUMMARY
 *	identity before action: which recipient a bounce or complaint may change
 * SYNOPSIS
 *	#include "feedback/binding.h"
 *
 *	int	fb_evidence_verp(cfg, rcpt, &ev)
 *	enum fb_binding fb_bind(keys, cfg, &ev, addr, &list)
 * DESCRIPTION
 *	Anyone can mail a report to the feedback address, and a report can
 *	name anyone. A report therefore changes state only for a recipient
 *	it is bound to, each recipient block on its own:
 * .IP \(bu
 *	by the signed VERP tag of the address the report came back to
 *	(verp(3)), which must verify for that recipient's address and one
 *	configured list; or
 * .IP \(bu
 *	by an unsubscribe token in the returned message whose address is
 *	exactly that recipient's; its list is the token's.
 * .PP
 *	A token of another address, a tag of another list or address, a
 *	list-level token, a tag or token that does not verify, or none at all
 *	binds nothing: the caller journals the report as unverified and
 *	changes nothing. Complaints follow the same rule.
 * DIAGNOSTICS
 *	None; nothing here logs or writes.
 * SEE ALSO
 *	verp(3), token(3), rules(3), optinctl(1)
 */

#include <string.h>

#include "feedback/binding.h"

static const char *const binding_names[] = {
    [FB_UNBOUND] = "none",
    [FB_BOUND_VERP] = "verp",
    [FB_BOUND_TOKEN] = "token",
};

/* fb_binding_name - the binding as the journal and --json name it */
const char *fb_binding_name(enum fb_binding b)
{
    return (unsigned) b < sizeof(binding_names) / sizeof(binding_names[0]) ? binding_names[b] : "?";
}

/* fb_evidence_verp - the VERP tag of the envelope recipient, by any configured pattern */
int fb_evidence_verp(const struct optin_config *cfg, const char *rcpt, struct fb_evidence *ev)
{
    ev->verp_tag[0] = '\0';
    if (rcpt == NULL)
        return 0;
    if (cfg->verp_return_path && verp_tag_of(cfg->verp_return_path, rcpt, ev->verp_tag) == 0)
        return 1;
    for (size_t i = 0; i < cfg->list_count; i++)
        if (cfg->lists[i].verp_return_path
            && verp_tag_of(cfg->lists[i].verp_return_path, rcpt, ev->verp_tag) == 0)
            return 1;
    return 0;
}

/* fb_bind - the binding of one recipient block, and its list */
enum fb_binding fb_bind(const struct token_keys *keys, const struct optin_config *cfg,
                        const struct fb_evidence *ev, const char *addr, const char **list)
{
    const struct list_def *l;

    *list = NULL;
    if (addr == NULL || addr[0] == '\0' || keys == NULL)
        return FB_UNBOUND;
    for (size_t i = 0; ev->verp_tag[0] && i < cfg->list_count; i++)
        if (verp_tag_list_is(ev->verp_tag, cfg->lists[i].id)
            && verp_tag_verify(keys, ev->verp_tag, cfg->lists[i].id, addr) == 0) {
            *list = cfg->lists[i].id;
            return FB_BOUND_VERP;
        }
    if (ev->token && ev->token->rc == 0 && ev->token->addr[0] != '\0'
        && strcmp(ev->token->addr, addr) == 0) {
        l = config_find_list(cfg, ev->token->list);
        *list = l ? l->id : ev->token->list;    /* a list no longer configured: still its own */
        return FB_BOUND_TOKEN;
    }
    return FB_UNBOUND;
}
