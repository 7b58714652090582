/* audit.h - optinctl's compliance reports over the journal: the model and its renderings (see audit.c) */
#ifndef OPTINCTL_AUDIT_H
#define OPTINCTL_AUDIT_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#define AUDIT_COMPLAINT_LIMIT 0.003       /* Gmail and Yahoo bulk-sender rules: 0.3% */
#define AUDIT_OPTOUT_DAYS 2               /* Gmail and Yahoo: honour an unsubscribe within 2 days */
#define AUDIT_OPTOUT_BUSINESS_DAYS 10     /* CAN-SPAM: within 10 business days */

/* What a report covers. */
struct audit_query {
    int64_t since, until;                 /* [since, until); 0: unbounded */
    const char *list, *sender;            /* NULL: all */
    unsigned repeat_min;                  /* an address refused this often is listed (default 3) */
    unsigned top;                         /* how many senders, lists, addresses are listed */
};

/* json_text - a string member of a journal line or report object, or "" when absent */
static inline const char *json_text(json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));

    return v ? v : "";
}

/* verdict_delivered - does this verdict mean the message went to the recipient? */
int verdict_delivered(const char *verdict);
/* verdict_refused - does this verdict mean the recipient was refused or removed? */
int verdict_refused(const char *verdict);

/* report_html - the report as one self-contained HTML page (inline SVG, A4 print styles). */
void report_html(FILE *out, json_t *doc);
/* report_table - the report as terminal tables. */
void report_table(FILE *out, json_t *doc);
/* report_csv - the report as CSV rows: section,date,list,sender,address,verdict,reason,count,value. */
void report_csv(FILE *out, json_t *doc);

#endif
