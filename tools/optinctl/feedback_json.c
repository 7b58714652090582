/*
 * NAME
 *	optinctl_feedback_json 1
 * SUMMARY
 *	optinctl feedback --json: the decisions about one report as one JSON object
 * SYNOPSIS
 *	#include "feedback.h"
 *
 *	void	fb_json_print(const struct fb_run *run)
 * DESCRIPTION
 *	fb_json_print() writes one line of JSON (jansson) to standard output:
 *	dry_run, format (dsn, arf, jmrp, apple, ses, text, auto-reply, none),
 *	family (who wrote the report, or the auto-reply rule; null when not
 *	known), disposition (applied, dry-run, ignored, kept, logged: what
 *	became of the report as a whole), unusable (why it could not be
 *	used, or null), kept_in (the Maildir file), note, ignored (how many
 *	recipients were ignored), auth_failure_domain, and recipients: per
 *	recipient the address as stated, acted_on (normalized, null when it
 *	is no usable address), status, diagnostic (an excerpt), evidence
 *	(the phrase found, or null), kind (as classified), rule, verified
 *	(our token names a recipient: fb_verified()), binding (verp, token
 *	or none: binding(3); none means nothing is done), action (suppress,
 *	count-soft, unsubscribe, unsubscribe-all, none), list, and after a
 *	real run outcome and, for soft bounces, soft_count.
 * DIAGNOSTICS
 *	None; a value jansson cannot take (invalid UTF-8) is written as null.
 * SEE ALSO
 *	optinctl(1)
 */

#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "feedback.h"

/* The action a kind leads to, by what is done and whether a list is named. */
static const char *const fb_actions[] = {
    [FB_HARD] = "suppress", [FB_SOFT] = "count-soft",
    [FB_COMPLAINT] = "unsubscribe", [FB_OPTOUT] = "unsubscribe",
    [FB_IGNORED] = "none", [FB_AUTH_FAILURE] = "none",
};

/* fb_json_str - a string value, or null for NULL, "" or what is not UTF-8 */
static json_t *fb_json_str(const char *s)
{
    json_t *v = s != NULL && *s != '\0' ? json_string(s) : NULL;

    return v != NULL ? v : json_null();
}

/* fb_action_word - what is (or would be) done for one recipient */
static const char *fb_action_word(const struct fb_act *a)
{
    if (a->addr[0] == '\0' || a->binding == FB_UNBOUND
        || (unsigned) a->what >= sizeof(fb_actions) / sizeof(fb_actions[0]))
        return "none";
    if ((a->what == FB_COMPLAINT || a->what == FB_OPTOUT) && a->list == NULL)
        return "unsubscribe-all";
    return fb_actions[a->what];
}

/* fb_json_act - one recipient as an object */
static json_t *fb_json_act(const struct fb_run *run, const struct fb_act *a)
{
    json_t *o = json_object();

    json_object_set_new(o, "address", fb_json_str(a->stated));
    json_object_set_new(o, "acted_on", fb_json_str(a->addr));
    json_object_set_new(o, "status", fb_json_str(a->status));
    json_object_set_new(o, "diagnostic", fb_json_str(a->excerpt));
    json_object_set_new(o, "evidence", fb_json_str(a->evidence));
    json_object_set_new(o, "kind", json_string(fb_kind_name(a->kind)));
    json_object_set_new(o, "rule", fb_json_str(a->rule));
    json_object_set_new(o, "verified", json_boolean(fb_verified(&a->tok)));
    json_object_set_new(o, "binding", json_string(fb_binding_name(a->binding)));
    json_object_set_new(o, "action", json_string(fb_action_word(a)));
    json_object_set_new(o, "list", fb_json_str(a->list));
    if (!run->dry_run && a->addr[0] != '\0' && a->what < FB_ACTING_KINDS
        && a->binding != FB_UNBOUND) {
        json_object_set_new(o, "outcome", json_string(a->what == FB_SOFT && !a->soft_suppressed
                                                      ? "counted" : feedback_outcome_name(a->outcome)));
        if (a->what == FB_SOFT) {
            json_object_set_new(o, "soft_count", json_integer(a->soft_count));
            json_object_set_new(o, "soft_days", json_integer(a->soft_days));
        }
    }
    return o;
}

/* fb_disposition - what became of the report as a whole */
static const char *fb_disposition(const struct fb_run *run)
{
    int acting = 0;

    for (size_t i = 0; i < run->n; i++)
        acting |= run->acts[i].what < FB_ACTING_KINDS && run->acts[i].addr[0] != '\0'
                  && run->acts[i].binding != FB_UNBOUND;
    if (acting)
        return run->dry_run ? "dry-run" : "applied";
    if (run->why[0] != '\0')
        return run->kept[0] != '\0' ? "kept" : "logged";
    return "ignored";
}

/* fb_json_print - the report and every recipient, one line on standard output */
void fb_json_print(const struct fb_run *run)
{
    json_t *o = json_object(), *list = json_array();
    char *text;

    json_object_set_new(o, "dry_run", json_boolean(run->dry_run));
    json_object_set_new(o, "format", json_string(fb_format_name(run->format)));
    json_object_set_new(o, "family", fb_json_str(run->family));
    json_object_set_new(o, "disposition", json_string(fb_disposition(run)));
    json_object_set_new(o, "unusable", fb_json_str(run->why));
    json_object_set_new(o, "kept_in", fb_json_str(run->kept));
    json_object_set_new(o, "note", fb_json_str(run->note));
    json_object_set_new(o, "ignored", json_integer(run->ignored));
    json_object_set_new(o, "auth_failure_domain", fb_json_str(run->domain));
    for (size_t i = 0; i < run->n; i++)
        json_array_append_new(list, fb_json_act(run, &run->acts[i]));
    json_object_set_new(o, "recipients", list);
    if ((text = json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT)) != NULL)
        printf("%s\n", text);
    free(text);
    json_decref(o);
}
