/*
 * NAME
 *	audit_render 1
 * SUMMARY
 *	optinctl report's renderings: terminal tables, CSV, one HTML page
 * SYNOPSIS
 *	#include "audit.h"
 *
 *	void	report_table(FILE *out, json_t *doc)
 *	void	report_csv(FILE *out, json_t *doc)
 *	void	report_html(FILE *out, json_t *doc)
 * DESCRIPTION
 *	Each renders the model audit.c builds, and nothing else, so every
 *	format shows the same figures. The CSV is one table in long form,
 *	section,date,list,sender,address,verdict,reason,count,value, that a
 *	spreadsheet pivots; cells that a spreadsheet would run as a formula
 *	are prefixed with an apostrophe. The HTML page holds everything it
 *	shows: inline CSS with A4 print rules, one inline SVG bar chart per
 *	figure (deliveries and refusals per day, complaint rate per list
 *	against the 0.3% line), no script, no external resource; every
 *	figure of a chart is also in a table, so a printed copy loses
 *	nothing. Every text from the journal is escaped.
 * DIAGNOSTICS
 *	None: write errors show at fclose() in the caller.
 * SEE ALSO
 *	audit.c, optinctl(1)
 */

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "audit.h"
#include "util/text.h"

#define CHART_W 640
#define CHART_H 180

/* n - an integer member, or 0 */
static json_int_t n(json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}

/* day_sum - the day's lines whose verdict delivered (want 1) or refused (want 2) */
static json_int_t day_sum(json_t *day, int want)
{
    json_t *verdicts = json_object_get(day, "verdicts"), *v;
    const char *k;
    json_int_t total = 0;

    json_object_foreach(verdicts, k, v)
        if ((want == 1 && verdict_delivered(k)) || (want == 2 && verdict_refused(k) && !verdict_delivered(k)))
            total += json_integer_value(v);
    return total;
}

/* ---- terminal tables ---- */

/* table_counts - "  key  n" for each member */
static void table_counts(FILE *out, const char *title, json_t *obj)
{
    const char *k;
    json_t *v;

    fprintf(out, "%s\n", title);
    json_object_foreach(obj, k, v)
        fprintf(out, "  %-28s %10lld\n", k, (long long) json_integer_value(v));
}

/* report_table - the report for a terminal */
void report_table(FILE *out, json_t *doc)
{
    json_t *row;
    size_t i;

    fprintf(out, "optin-milter report, %s to %s, %lld journal lines\n",
            json_is_string(json_object_get(doc, "since")) ? json_text(doc, "since") : "the start",
            json_is_string(json_object_get(doc, "until")) ? json_text(doc, "until") : "now",
            (long long) n(doc, "lines"));
    table_counts(out, "\nverdicts", json_object_get(json_object_get(doc, "totals"), "verdicts"));
    table_counts(out, "\nreasons", json_object_get(json_object_get(doc, "totals"), "reasons"));
    fprintf(out, "\n%-10s %10s %10s\n", "day", "delivered", "refused");
    json_array_foreach(json_object_get(doc, "days"), i, row)
        fprintf(out, "%-10s %10lld %10lld\n", json_text(row, "date"), (long long) day_sum(row, 1),
                (long long) day_sum(row, 2));
    fprintf(out, "\n%-16s %10s %10s %9s %10s %9s\n", "list", "delivered", "complaints", "rate",
            "hard", "rate");
    json_array_foreach(json_object_get(doc, "lists"), i, row)
        fprintf(out, "%-16s %10lld %10lld %8.3f%% %10lld %8.3f%%%s\n", json_text(row, "list"),
                (long long) n(row, "delivered"), (long long) n(row, "complaints"),
                100 * json_real_value(json_object_get(row, "complaint_rate")), (long long) n(row, "hard_bounces"),
                100 * json_real_value(json_object_get(row, "bounce_rate")),
                json_is_true(json_object_get(row, "over_limit")) ? "  OVER 0.3%" : "");
    fprintf(out, "\nrefusals by sender\n");
    json_array_foreach(json_object_get(doc, "refusals_by_sender"), i, row)
        fprintf(out, "  %-40s %8lld\n", json_text(row, "sender"), (long long) n(row, "refusals"));
    fprintf(out, "\nrefusals by list\n");
    json_array_foreach(json_object_get(doc, "refusals_by_list"), i, row)
        fprintf(out, "  %-40s %8lld\n", json_text(row, "list"), (long long) n(row, "refusals"));
    fprintf(out, "\naddresses refused %lld times or more\n", (long long) n(doc, "repeat_min"));
    json_array_foreach(json_object_get(doc, "repeated_refusals"), i, row)
        fprintf(out, "  %-40s %8lld  %s\n", json_text(row, "address"), (long long) n(row, "refusals"),
                json_text(row, "last_reason"));
    if (!json_is_true(json_object_get(doc, "optouts_known"))) {
        fprintf(out, "\nopt-outs: the consent store could not be read\n");
        return;
    }
    fprintf(out, "\nopt-outs and the last mail after them\n");
    json_array_foreach(json_object_get(doc, "optouts"), i, row)
        fprintf(out, "  %-32s %-10s %s  last after: %s%s%s\n", json_text(row, "address"), json_text(row, "list"),
                json_text(row, "time"), json_is_string(json_object_get(row, "last_send_after"))
                ? json_text(row, "last_send_after") : "none",
                json_is_true(json_object_get(row, "over_2_days")) ? "  OVER 2 DAYS" : "",
                json_is_true(json_object_get(row, "over_10_business_days")) ? "  OVER 10 BUSINESS DAYS" : "");
}

/* ---- CSV ---- */

/* csv_cell - one quoted cell, guarded against spreadsheet formulas */
static void csv_cell(FILE *out, const char *v, int last)
{
    fputc('"', out);
    if (text_cell_guarded(v, strlen(v)))
        fputc('\'', out);
    for (; *v; v++) {
        if (*v == '"')
            fputc('"', out);
        fputc(*v, out);
    }
    fputs(last ? "\"\r\n" : "\",", out);
}

/* csv_row - section,date,list,sender,address,verdict,reason,count,value */
static void csv_row(FILE *out, const char *section, const char *date, const char *list,
                    const char *sender, const char *address, const char *verdict, const char *reason,
                    long long count, const char *value)
{
    char num[32];

    snprintf(num, sizeof(num), "%lld", count);
    csv_cell(out, section, 0), csv_cell(out, date, 0), csv_cell(out, list, 0);
    csv_cell(out, sender, 0), csv_cell(out, address, 0), csv_cell(out, verdict, 0);
    csv_cell(out, reason, 0), csv_cell(out, num, 0), csv_cell(out, value, 1);
}

/* report_csv - the report as long-form CSV */
void report_csv(FILE *out, json_t *doc)
{
    json_t *row, *v;
    const char *k;
    char value[64];
    size_t i;

    fputs("section,date,list,sender,address,verdict,reason,count,value\r\n", out);
    json_object_foreach(json_object_get(json_object_get(doc, "totals"), "verdicts"), k, v)
        csv_row(out, "total", "", "", "", "", k, "", (long long) json_integer_value(v), "");
    json_object_foreach(json_object_get(json_object_get(doc, "totals"), "reasons"), k, v)
        csv_row(out, "total", "", "", "", "", "", k, (long long) json_integer_value(v), "");
    json_array_foreach(json_object_get(doc, "days"), i, row) {
        json_object_foreach(json_object_get(row, "verdicts"), k, v)
            csv_row(out, "day", json_text(row, "date"), "", "", "", k, "", (long long) json_integer_value(v), "");
        json_object_foreach(json_object_get(row, "reasons"), k, v)
            csv_row(out, "day", json_text(row, "date"), "", "", "", "", k, (long long) json_integer_value(v), "");
    }
    json_array_foreach(json_object_get(doc, "lists"), i, row) {
        snprintf(value, sizeof(value), "%.6f", json_real_value(json_object_get(row, "complaint_rate")));
        csv_row(out, "list-delivered", "", json_text(row, "list"), "", "", "", "", (long long) n(row, "delivered"), "");
        csv_row(out, "list-complaints", "", json_text(row, "list"), "", "", "", "complaint",
                (long long) n(row, "complaints"), value);
        snprintf(value, sizeof(value), "%.6f", json_real_value(json_object_get(row, "bounce_rate")));
        csv_row(out, "list-hard-bounces", "", json_text(row, "list"), "", "", "", "hard",
                (long long) n(row, "hard_bounces"), value);
    }
    json_array_foreach(json_object_get(doc, "refusals_by_sender"), i, row)
        csv_row(out, "refusals-by-sender", "", "", json_text(row, "sender"), "", "", "", (long long) n(row, "refusals"), "");
    json_array_foreach(json_object_get(doc, "refusals_by_list"), i, row)
        csv_row(out, "refusals-by-list", "", json_text(row, "list"), "", "", "", "", (long long) n(row, "refusals"), "");
    json_array_foreach(json_object_get(doc, "repeated_refusals"), i, row)
        csv_row(out, "repeated-refusal", "", "", "", json_text(row, "address"), "", json_text(row, "last_reason"),
                (long long) n(row, "refusals"), "");
    json_array_foreach(json_object_get(doc, "optouts"), i, row)
        csv_row(out, "opt-out", json_text(row, "time"), json_text(row, "list"), "", json_text(row, "address"),
                json_is_true(json_object_get(row, "over_10_business_days")) ? "over-10-business-days"
                : json_is_true(json_object_get(row, "over_2_days")) ? "over-2-days" : "in-time",
                json_text(row, "how"), (long long) n(row, "delay_seconds"), json_text(row, "last_send_after"));
}

/* ---- HTML ---- */

/* h - text escaped for HTML */
static void h(FILE *out, const char *t)
{
    for (; *t; t++) {
        if (*t == '<')
            fputs("&lt;", out);
        else if (*t == '>')
            fputs("&gt;", out);
        else if (*t == '&')
            fputs("&amp;", out);
        else if (*t == '"')
            fputs("&quot;", out);
        else
            fputc(*t, out);
    }
}

/* html_counts - a two-column table of {key: n} */
static void html_counts(FILE *out, const char *id, const char *head, json_t *obj)
{
    const char *k;
    json_t *v;

    fprintf(out, "<table id=\"%s\"><tr><th>%s</th><th>lines</th></tr>\n", id, head);
    json_object_foreach(obj, k, v) {
        fputs("<tr><td>", out);
        h(out, k);
        fprintf(out, "</td><td class=\"n\">%lld</td></tr>\n", (long long) json_integer_value(v));
    }
    fputs("</table>\n", out);
}

/* html_day_chart - deliveries (blue) and refusals (red) per day as stacked bars */
static void html_day_chart(FILE *out, json_t *days)
{
    size_t count = json_array_size(days), i;
    json_int_t top = 1;
    json_t *row;

    json_array_foreach(days, i, row)
        if (day_sum(row, 1) + day_sum(row, 2) > top)
            top = day_sum(row, 1) + day_sum(row, 2);
    fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" "
            "aria-label=\"deliveries and refusals per day\">\n", CHART_W, CHART_H + 20);
    json_array_foreach(days, i, row) {
        double w = (double) CHART_W / (double) (count ? count : 1), x = w * (double) i;
        double hd = (double) CHART_H * (double) day_sum(row, 1) / (double) top;
        double hr = (double) CHART_H * (double) day_sum(row, 2) / (double) top;

        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#3a6ea5\"/>"
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#c0392b\"/>\n",
                x, CHART_H - hd, w * 0.9, hd, x, CHART_H - hd - hr, w * 0.9, hr);
    }
    fprintf(out, "<text x=\"0\" y=\"%d\" font-size=\"11\">%s</text>"
            "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%s</text>\n</svg>\n",
            CHART_H + 15, count ? json_text(json_array_get(days, 0), "date") : "", CHART_W, CHART_H + 15,
            count ? json_text(json_array_get(days, count - 1), "date") : "");
}

/* html_rate_chart - complaint rate per list against the 0.3% line */
static void html_rate_chart(FILE *out, json_t *lists)
{
    size_t count = json_array_size(lists), i;
    double top = AUDIT_COMPLAINT_LIMIT * 2;
    json_t *row;

    json_array_foreach(lists, i, row)
        if (json_real_value(json_object_get(row, "complaint_rate")) > top)
            top = json_real_value(json_object_get(row, "complaint_rate"));
    fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%zu\" role=\"img\" "
            "aria-label=\"complaint rate per list\">\n", CHART_W, 24 * count + 10);
    json_array_foreach(lists, i, row) {
        double r = json_real_value(json_object_get(row, "complaint_rate"));

        fprintf(out, "<text x=\"0\" y=\"%zu\" font-size=\"11\">", 24 * i + 16);
        h(out, json_text(row, "list"));
        fprintf(out, "</text><rect x=\"120\" y=\"%zu\" width=\"%.1f\" height=\"16\" fill=\"%s\"/>\n",
                24 * i + 4, (CHART_W - 130) * r / top, r > AUDIT_COMPLAINT_LIMIT ? "#c0392b" : "#3a6ea5");
    }
    fprintf(out, "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%zu\" stroke=\"#000\" stroke-dasharray=\"4\"/>"
            "</svg>\n", 120 + (CHART_W - 130) * AUDIT_COMPLAINT_LIMIT / top,
            120 + (CHART_W - 130) * AUDIT_COMPLAINT_LIMIT / top, 24 * count + 4);
}

/* html_lists - per list deliveries, complaints and bounces with rates */
static void html_lists(FILE *out, json_t *lists)
{
    json_t *row;
    size_t i;

    fputs("<table id=\"lists\"><tr><th>list</th><th>delivered</th><th>complaints</th><th>complaint rate</th>"
          "<th>limit</th><th>hard bounces</th><th>bounce rate</th></tr>\n", out);
    json_array_foreach(lists, i, row) {
        fputs("<tr><td>", out);
        h(out, json_text(row, "list"));
        fprintf(out, "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td><td class=\"n%s\">%.3f%%</td>"
                "<td class=\"n\">0.3%%</td><td class=\"n\">%lld</td><td class=\"n\">%.3f%%</td></tr>\n",
                (long long) n(row, "delivered"), (long long) n(row, "complaints"),
                json_is_true(json_object_get(row, "over_limit")) ? " bad" : "",
                100 * json_real_value(json_object_get(row, "complaint_rate")),
                (long long) n(row, "hard_bounces"), 100 * json_real_value(json_object_get(row, "bounce_rate")));
    }
    fputs("</table>\n", out);
}

/* html_ranked - a table of [{name, refusals}] */
static void html_ranked(FILE *out, const char *id, const char *name, json_t *rows)
{
    json_t *row;
    size_t i;

    fprintf(out, "<table id=\"%s\"><tr><th>%s</th><th>refusals</th>%s</tr>\n", id, name,
            strcmp(name, "address") == 0 ? "<th>last reason</th>" : "");
    json_array_foreach(rows, i, row) {
        fputs("<tr><td>", out);
        h(out, json_text(row, name));
        fprintf(out, "</td><td class=\"n\">%lld</td>", (long long) n(row, "refusals"));
        if (strcmp(name, "address") == 0) {
            fputs("<td>", out);
            h(out, json_text(row, "last_reason"));
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</table>\n", out);
}

/* html_optouts - each opt-out with the last mail after it */
static void html_optouts(FILE *out, json_t *doc)
{
    json_t *row;
    size_t i;

    if (!json_is_true(json_object_get(doc, "optouts_known"))) {
        fputs("<p>The consent store could not be read: opt-outs are not shown.</p>\n", out);
        return;
    }
    fputs("<table id=\"optouts\"><tr><th>address</th><th>list</th><th>opted out</th><th>how</th>"
          "<th>last mail after it</th><th>within 2 days</th><th>within 10 business days</th></tr>\n", out);
    json_array_foreach(json_object_get(doc, "optouts"), i, row) {
        const char *cells[] = {json_text(row, "address"), json_text(row, "list"), json_text(row, "time"), json_text(row, "how"),
                               json_is_string(json_object_get(row, "last_send_after"))
                               ? json_text(row, "last_send_after") : "none"};

        fputs("<tr>", out);
        for (size_t c = 0; c < sizeof(cells) / sizeof(cells[0]); c++) {
            fputs("<td>", out);
            h(out, cells[c]);
            fputs("</td>", out);
        }
        fprintf(out, "<td class=\"%s\">%s</td><td class=\"%s\">%s</td></tr>\n",
                json_is_true(json_object_get(row, "over_2_days")) ? "bad" : "",
                json_is_true(json_object_get(row, "over_2_days")) ? "no" : "yes",
                json_is_true(json_object_get(row, "over_10_business_days")) ? "bad" : "",
                json_is_true(json_object_get(row, "over_10_business_days")) ? "no" : "yes");
    }
    fputs("</table>\n", out);
}

/* report_html - one self-contained page */
void report_html(FILE *out, json_t *doc)
{
    json_t *totals = json_object_get(doc, "totals");

    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<title>optin-milter compliance report</title>\n<style>\n"
          "body{font-family:sans-serif;font-size:10pt;margin:1em;color:#000}\n"
          "table{border-collapse:collapse;margin:.5em 0 1em}th,td{border:1px solid #999;padding:2px 6px}\n"
          "td.n{text-align:right}.bad{background:#f4c7c3;font-weight:bold}h2{font-size:12pt;margin-top:1.5em}\n"
          "@page{size:A4;margin:15mm}@media print{body{margin:0}h2{break-after:avoid}"
          "table,svg{break-inside:avoid}}\n</style></head><body>\n<h1>optin-milter compliance report</h1>\n"
          "<p id=\"period\">Period: ", out);
    h(out, json_is_string(json_object_get(doc, "since")) ? json_text(doc, "since") : "the start of the journal");
    fputs(" to ", out);
    h(out, json_is_string(json_object_get(doc, "until")) ? json_text(doc, "until") : "now");
    fputs(". Generated ", out);
    h(out, json_text(doc, "generated"));
    fprintf(out, ". Journal lines in the period: <span id=\"lines\">%lld</span>.</p>\n",
            (long long) n(doc, "lines"));
    fputs("<h2>Deliveries and refusals per day</h2>\n", out);
    html_day_chart(out, json_object_get(doc, "days"));
    fputs("<p class=\"legend\"><span style=\"color:#3a6ea5\">&#9632;</span> delivered (receipts) "
          "<span style=\"color:#c0392b\">&#9632;</span> refused or removed; the figures are in the "
          "tables below</p>\n", out);
    fputs("<h2>Verdicts</h2>\n", out);
    html_counts(out, "verdicts", "verdict", json_object_get(totals, "verdicts"));
    fputs("<h2>Reasons</h2>\n", out);
    html_counts(out, "reasons", "reason", json_object_get(totals, "reasons"));
    fputs("<h2>Complaint rate per list (Gmail and Yahoo require under 0.3%)</h2>\n", out);
    html_rate_chart(out, json_object_get(doc, "lists"));
    html_lists(out, json_object_get(doc, "lists"));
    fputs("<h2>Senders with most refusals</h2>\n", out);
    html_ranked(out, "senders", "sender", json_object_get(doc, "refusals_by_sender"));
    fputs("<h2>Lists with most refusals</h2>\n", out);
    html_ranked(out, "refusal-lists", "list", json_object_get(doc, "refusals_by_list"));
    fprintf(out, "<h2>Addresses refused %lld times or more (a stale list upstream?)</h2>\n",
            (long long) n(doc, "repeat_min"));
    html_ranked(out, "repeated", "address", json_object_get(doc, "repeated_refusals"));
    fputs("<h2>Opt-outs and the last mail after them (limits: 2 days, Gmail and Yahoo; "
          "10 business days, CAN-SPAM)</h2>\n", out);
    html_optouts(out, doc);
    fputs("</body></html>\n", out);
}
