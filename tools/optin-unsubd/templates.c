/*
 * NAME
 *	templates 3
 * SUMMARY
 *	the organisation's own unsubscribe and confirmation pages
 * SYNOPSIS
 *	#include "unsubd.h"
 *
 *	int	templates_load(const char *dir, struct page_templates **out, char *err, size_t errsz)
 *	void	templates_free(struct page_templates *t)
 *	const char *templates_for(const struct page_templates *t, enum unsubd_page page,
 *				  enum unsubd_lang lang)
 * DESCRIPTION
 *	A template folder (page_templates, global or per list) holds HTML
 *	files named KIND.LANG.html: unsubscribe, unsubscribed, confirm,
 *	confirmed and error, each in en and ja. A file that is absent leaves
 *	that page to the built-in one (pages.c), so a folder may hold only
 *	the English pages. A template is whole HTML with placeholders that
 *	pages.c fills in, every value HTML-escaped: {{title}}, {{text}},
 *	{{note}}, {{form}} (the one-button form, which the unsubscribe and
 *	confirm templates must hold: without it nobody could leave),
 *	{{list}} (display_name, else the id), {{list_id}}, {{address}} (the
 *	masked address), {{lang}}, {{other_lang}} and {{other_lang_name}}
 *	(for a link "?lang={{other_lang}}").
 *
 *	Everything is read and checked when the configuration is loaded (at
 *	start, -n and every reload), never while answering: at most 64 KiB a
 *	file, valid UTF-8, and no placeholder other than those.
 * DIAGNOSTICS
 *	templates_load() returns -1 with "FILE:LINE: reason" lines in err:
 *	the folder cannot be read or holds no template, a file cannot be
 *	read, is too large or not UTF-8, an unknown placeholder, a form
 *	template without {{form}}.
 * SEE ALSO
 *	optin-unsubd(8) PAGES, optin-milter.conf(5) page_templates
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/text.h"
#include "unsubd.h"

#define TEMPLATE_MAX (64 * 1024)

struct page_templates {
    char *text[TPL_COUNT][LANG_COUNT];
};

/* File names of the kinds, and whether each must hold {{form}}. */
static const struct {
    const char *name;
    int needs_form;
} kinds[TPL_COUNT] = {
    [TPL_UNSUBSCRIBE] = {"unsubscribe", 1},
    [TPL_UNSUBSCRIBED] = {"unsubscribed", 0},
    [TPL_CONFIRM] = {"confirm", 1},
    [TPL_CONFIRMED] = {"confirmed", 0},
    [TPL_ERROR] = {"error", 0},
};

/* Which template each page takes. */
static const enum template_kind page_kinds[PAGE_COUNT] = {
    [PAGE_UNSUB_FORM] = TPL_UNSUBSCRIBE, [PAGE_UNSUB_DONE] = TPL_UNSUBSCRIBED,
    [PAGE_UNSUB_ALREADY] = TPL_UNSUBSCRIBED, [PAGE_CONFIRM_FORM] = TPL_CONFIRM,
    [PAGE_CONFIRM_DONE] = TPL_CONFIRMED,
    [PAGE_CONFIRM_UNKNOWN] = TPL_ERROR, [PAGE_CONFIRM_EXPIRED] = TPL_ERROR,
    [PAGE_CONFIRM_REVOKED] = TPL_ERROR, [PAGE_BAD_LINK] = TPL_ERROR, [PAGE_UNKNOWN_LINK] = TPL_ERROR,
    [PAGE_BAD_FORM] = TPL_ERROR, [PAGE_NOT_FOUND] = TPL_ERROR, [PAGE_METHOD] = TPL_ERROR,
    [PAGE_TOO_LARGE] = TPL_ERROR, [PAGE_MEDIA_TYPE] = TPL_ERROR, [PAGE_RATE] = TPL_ERROR,
    [PAGE_ERROR] = TPL_ERROR, [PAGE_UNAVAILABLE] = TPL_ERROR,
};

/* The placeholders pages.c fills in. */
static const char *const placeholders[] = {
    "title", "text", "note", "form", "list", "list_id", "address", "lang", "other_lang",
    "other_lang_name", NULL,
};

/* is_placeholder - is name[0, len) one of ours? */
static int is_placeholder(const char *name, size_t len)
{
    for (size_t i = 0; placeholders[i]; i++)
        if (strlen(placeholders[i]) == len && strncmp(placeholders[i], name, len) == 0)
            return 1;
    return 0;
}

/* line_of - the line number of p in text */
static unsigned line_of(const char *text, const char *p)
{
    unsigned line = 1;

    for (; text < p; text++)
        line += *text == '\n';
    return line;
}

/* check_template - placeholders known, {{form}} where needed; 0, or -1 with the reason in err */
static int check_template(const char *path, const char *text, int needs_form, char *err,
                          size_t errsz)
{
    const char *p = text, *end;
    int has_form = 0;

    while ((p = strstr(p, "{{")) != NULL) {
        end = strstr(p + 2, "}}");
        if (end == NULL || !is_placeholder(p + 2, (size_t) (end - p - 2))) {
            snprintf(err, errsz, "%s:%u: unknown placeholder %.*s (expected {{title}}, {{text}}, "
                     "{{note}}, {{form}}, {{list}}, {{list_id}}, {{address}}, {{lang}}, "
                     "{{other_lang}} or {{other_lang_name}})\n", path, line_of(text, p),
                     end ? (int) (end - p + 2) : 2, p);
            return -1;
        }
        has_form |= end - p == 6 && strncmp(p + 2, "form", 4) == 0;
        p = end + 2;
    }
    if (needs_form && !has_form) {
        snprintf(err, errsz, "%s: has no {{form}}: the page would have no button to press\n", path);
        return -1;
    }
    return 0;
}

/* read_template - one file into *out (NULL when it does not exist); 0 or -1 with err */
static int read_template(const char *path, char **out, char *err, size_t errsz)
{
    FILE *fp = fopen(path, "rb");
    char *text;
    size_t len;

    *out = NULL;
    if (fp == NULL) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errsz, "%s: cannot read: %s\n", path, strerror(errno));
        return -1;
    }
    if ((text = malloc(TEMPLATE_MAX + 1)) == NULL) {
        fclose(fp);
        snprintf(err, errsz, "%s: out of memory\n", path);
        return -1;
    }
    len = fread(text, 1, TEMPLATE_MAX + 1, fp);
    if (ferror(fp) || len > TEMPLATE_MAX || !text_utf8_valid(text, len) || memchr(text, '\0', len)) {
        snprintf(err, errsz, "%s: %s\n", path, ferror(fp) ? strerror(errno)
                 : len > TEMPLATE_MAX ? "larger than 64 KiB" : "not UTF-8 text");
        fclose(fp);
        free(text);
        return -1;
    }
    fclose(fp);
    text[len] = '\0';
    *out = text;
    return 0;
}

/* templates_load - every template of a folder, checked */
int templates_load(const char *dir, struct page_templates **out, char *err, size_t errsz)
{
    struct page_templates *t = calloc(1, sizeof(*t));
    char path[4096];
    int found = 0;

    *out = NULL;
    if (t == NULL) {
        snprintf(err, errsz, "%s: out of memory\n", dir);
        return -1;
    }
    for (int k = 0; k < TPL_COUNT; k++)
        for (int l = 0; l < LANG_COUNT; l++) {
            snprintf(path, sizeof(path), "%s/%s.%s.html", dir, kinds[k].name,
                     unsubd_lang_tag((enum unsubd_lang) l));
            if (read_template(path, &t->text[k][l], err, errsz) != 0
                || (t->text[k][l] && check_template(path, t->text[k][l], kinds[k].needs_form, err,
                                                    errsz) != 0)) {
                templates_free(t);
                return -1;
            }
            found += t->text[k][l] != NULL;
        }
    if (found == 0) {
        snprintf(err, errsz, "%s: no page template here (expected files such as unsubscribe.en.html, "
                 "see optin-unsubd(8))\n", dir);
        templates_free(t);
        return -1;
    }
    *out = t;
    return 0;
}

/* templates_free - every text, then the set */
void templates_free(struct page_templates *t)
{
    if (t == NULL)
        return;
    for (int k = 0; k < TPL_COUNT; k++)
        for (int l = 0; l < LANG_COUNT; l++)
            free(t->text[k][l]);
    free(t);
}

/* templates_for - the template a page takes in a language, or NULL for the built-in page */
const char *templates_for(const struct page_templates *t, enum unsubd_page page, enum unsubd_lang lang)
{
    if (t == NULL || page >= PAGE_COUNT || lang >= LANG_COUNT)
        return NULL;
    return t->text[page_kinds[page]][lang];
}
