/*
 * NAME
 *	classify 3
 * SUMMARY
 *	tell list mail from transactional mail
 * SYNOPSIS
 *	#include "enforce/classify.h"
 *
 *	const struct list_def *classify_envelope(cfg, sender, auth_user, daemon_name)
 *	const struct list_def *classify_list_id(cfg, id)
 *	int	list_id_extract(const char *value, char out[LIST_ID_HEADER_BUFSZ])
 *	int	header_signals_bulk(const char *name, const char *value)
 *	int	header_value_trim(const char *value, char *out, size_t outsz)
 * DESCRIPTION
 *	A list matches when any one of its match keys matches. Lists are
 *	tried in the order of the configuration file; the first wins.
 *
 *	classify_envelope() is what is known at MAIL and RCPT time: the
 *	envelope sender against match.envelope_from glob patterns (fnmatch,
 *	case-insensitive, so VERP senders such as
 *	bounce-news-*@lists.example match), the SASL login against
 *	match.auth_user, and the Postfix {daemon_name} of a bulk-only
 *	service against match.daemon_name. A null sender matches no pattern.
 *
 *	classify_list_id() matches the id of a List-Id header
 *	(list_id_extract(): RFC 2919, an optional phrase then <id>, folds
 *	allowed) against match.list_id, case-insensitively.
 *
 *	header_signals_bulk() tells a header that marks bulk mail:
 *	Precedence: bulk, list or junk; List-Id; List-Unsubscribe or
 *	List-Unsubscribe-Post already present.
 * DIAGNOSTICS
 *	None; pure functions over the configuration, safe from any thread.
 * SEE ALSO
 *	RFC 2919, optin-milter.conf(5)
 */

#include <ctype.h>
#include <fnmatch.h>
#include <string.h>
#include <strings.h>

#include "mail/addr.h"
#include "enforce/classify.h"

/* in_list - exact (case-insensitive) membership */
static int in_list(const struct string_list *sl, const char *value)
{
    if (value == NULL || *value == 0)
        return 0;
    for (size_t i = 0; i < sl->count; i++)
        if (strcasecmp(sl->items[i], value) == 0)
            return 1;
    return 0;
}

/* glob_match - any glob of the list matches the address */
static int glob_match(const struct string_list *sl, const char *addr)
{
    if (addr == NULL || *addr == 0)
        return 0;
    for (size_t i = 0; i < sl->count; i++)
        if (fnmatch(sl->items[i], addr, FNM_CASEFOLD) == 0)
            return 1;
    return 0;
}

/* classify_envelope - list known from the envelope and the session */
const struct list_def *classify_envelope(const struct optin_config *cfg, const char *sender,
                                         const char *auth_user, const char *daemon_name)
{
    char norm[ADDR_BUFSZ];
    const char *from = NULL;

    if (sender && addr_normalize(sender, strlen(sender), ADDR_FOLD_LOCAL, norm) == ADDR_OK)
        from = norm;
    for (size_t i = 0; i < cfg->list_count; i++) {
        const struct list_def *l = &cfg->lists[i];

        if (glob_match(&l->match_envelope_from, from) || in_list(&l->match_auth_user, auth_user)
            || in_list(&l->match_daemon_name, daemon_name))
            return l;
    }
    return NULL;
}

/* classify_list_id - list named by a List-Id */
const struct list_def *classify_list_id(const struct optin_config *cfg, const char *id)
{
    for (size_t i = 0; i < cfg->list_count; i++)
        if (in_list(&cfg->lists[i].match_list_id, id))
            return &cfg->lists[i];
    return NULL;
}

/* header_value_trim - unfold and trim a header value */
int header_value_trim(const char *value, char *out, size_t outsz)
{
    size_t o = 0;

    while (*value == ' ' || *value == '\t' || *value == '\r' || *value == '\n')
        value++;
    for (; *value; value++) {
        char c = *value == '\r' || *value == '\n' || *value == '\t' ? ' ' : *value;

        if (c == ' ' && (o == 0 || out[o - 1] == ' '))
            continue;       /* a fold is one space */
        if (o + 1 >= outsz)
            return -1;
        out[o++] = c;
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = 0;
    return 0;
}

/* list_id_extract - "<id>" of a List-Id value, lowercased */
int list_id_extract(const char *value, char out[LIST_ID_HEADER_BUFSZ])
{
    const char *open = strrchr(value, '<'), *close;
    size_t len;

    if (open == NULL || (close = strchr(open, '>')) == NULL)
        return -1;
    len = (size_t) (close - open - 1);
    if (len == 0 || len >= LIST_ID_HEADER_BUFSZ)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) open[1 + i];

        if (c <= ' ' || c >= 0x7f)
            return -1;
        out[i] = (char) tolower(c);
    }
    out[len] = 0;
    return 0;
}

/* header_signals_bulk - does this header mark bulk mail? */
int header_signals_bulk(const char *name, const char *value)
{
    static const char *const list_headers[] = {"List-Id", "List-Unsubscribe",
                                               "List-Unsubscribe-Post"};
    static const char *const bulk_precedence[] = {"bulk", "list", "junk"};
    char prec[32];

    for (size_t i = 0; i < sizeof(list_headers) / sizeof(list_headers[0]); i++)
        if (strcasecmp(name, list_headers[i]) == 0)
            return 1;
    if (strcasecmp(name, "Precedence") != 0 || header_value_trim(value, prec, sizeof(prec)) < 0)
        return 0;
    for (size_t i = 0; i < sizeof(bulk_precedence) / sizeof(bulk_precedence[0]); i++)
        if (strcasecmp(prec, bulk_precedence[i]) == 0)
            return 1;
    return 0;
}
