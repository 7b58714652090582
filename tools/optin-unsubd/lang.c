/*
 * NAME
 *	unsubd_lang 3
 * SUMMARY
 *	the language of optin-unsubd's pages: Accept-Language and ?lang=
 * SYNOPSIS
 *	#include "unsubd.h"
 *
 *	enum unsubd_lang unsubd_lang_choose(const char *lang_arg, const char *accept_language)
 *	enum unsubd_lang unsubd_lang_pick(const char *accept_language)
 *	int	unsubd_lang_parse(const char *tag)
 *	const char *unsubd_lang_tag(enum unsubd_lang lang)
 * DESCRIPTION
 *	The pages exist in English (the default) and Japanese. A ?lang=
 *	argument naming one of them ("en", "ja", any case) wins; it is what
 *	the link at the bottom of every page sends. Otherwise the language
 *	comes from Accept-Language (RFC 9110 section 12.5.4): each range
 *	with its q-value (default 1, q=0 refuses), matched on the primary
 *	subtag ("ja-JP" chooses Japanese), "*" standing for every language
 *	not named; the highest q wins, the earlier range on a tie, and
 *	English when nothing matches or the header is missing. An element
 *	with a malformed q-value is ignored, the rest of the header counts.
 * DIAGNOSTICS
 *	None: whatever the header holds, a language comes out.
 * SEE ALSO
 *	optin-unsubd(8), RFC 9110, RFC 4647
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "unsubd.h"

static const char *const lang_tags[LANG_COUNT] = {[LANG_EN] = "en", [LANG_JA] = "ja"};

/* unsubd_lang_tag - BCP 47 tag of a language */
const char *unsubd_lang_tag(enum unsubd_lang lang)
{
    return lang_tags[lang < LANG_COUNT ? lang : LANG_EN];
}

/* unsubd_lang_parse - a ?lang= value: one of our tags, else -1 */
int unsubd_lang_parse(const char *tag)
{
    for (int i = 0; tag && i < LANG_COUNT; i++)
        if (strcasecmp(tag, lang_tags[i]) == 0)
            return i;
    return -1;
}

/* parse_q - a q-value "q=0.8" (after the ';') as 0..1000; -1 when malformed */
static int parse_q(const char *p, const char *end)
{
    int q, scale = 100;

    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (end - p < 3 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=' || (p[2] != '0' && p[2] != '1'))
        return -1;
    q = p[2] == '1' ? 1000 : 0;
    p += 3;
    if (p < end && *p == '.')
        for (p++; p < end && *p >= '0' && *p <= '9' && scale > 0; p++, scale /= 10)
            q += (*p - '0') * scale;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p == end && q <= 1000 ? q : -1;
}

/* range_matches - does a language range (primary subtag compared) name our tag? */
static int range_matches(const char *range, size_t rlen, const char *tag)
{
    size_t tlen = strlen(tag);

    return rlen >= tlen && strncasecmp(range, tag, tlen) == 0 && (rlen == tlen || range[tlen] == '-');
}

/* unsubd_lang_pick - the language Accept-Language prefers among ours */
enum unsubd_lang unsubd_lang_pick(const char *header)
{
    int q_of[LANG_COUNT], pos_of[LANG_COUNT], star_q = -1, star_pos = 0, pos = 0;
    enum unsubd_lang best = LANG_EN;

    for (int i = 0; i < LANG_COUNT; i++)
        q_of[i] = -1, pos_of[i] = 0;
    for (const char *p = header; p && *p; pos++) {
        const char *end = p + strcspn(p, ","), *semi, *r = p;
        size_t rlen;
        int q = 1000;

        while (r < end && (*r == ' ' || *r == '\t'))
            r++;
        semi = memchr(r, ';', (size_t) (end - r));
        rlen = strcspn(r, " \t;,");
        if (semi && (q = parse_q(semi + 1, end)) < 0)
            q = -2;                               /* malformed element: ignored */
        if (q >= 0 && rlen == 1 && *r == '*' && star_q < 0)
            star_q = q, star_pos = pos;
        for (int i = 0; q >= 0 && i < LANG_COUNT; i++)
            if (q_of[i] < 0 && range_matches(r, rlen, lang_tags[i]))
                q_of[i] = q, pos_of[i] = pos;
        p = *end ? end + 1 : end;
    }
    for (int i = 0; i < LANG_COUNT; i++)
        if (q_of[i] < 0 && star_q >= 0)
            q_of[i] = star_q, pos_of[i] = star_pos;
    for (int i = 1; i < LANG_COUNT; i++)
        if (q_of[i] > 0 && (q_of[i] > q_of[best] || (q_of[i] == q_of[best] && pos_of[i] < pos_of[best])))
            best = (enum unsubd_lang) i;
    return best;
}

/* unsubd_lang_choose - the ?lang= override, else the header's choice */
enum unsubd_lang unsubd_lang_choose(const char *lang_arg, const char *accept_language)
{
    int lang = unsubd_lang_parse(lang_arg);

    return lang >= 0 ? (enum unsubd_lang) lang : unsubd_lang_pick(accept_language);
}
