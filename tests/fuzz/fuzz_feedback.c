/*
 * fuzz_feedback - libFuzzer target: what optinctl feedback reads of a report that anyone on the
 * internet can write: the text-bounce scanner (tb_scan, tb_copy_start, tb_html_text), Amazon SES
 * JSON (ses_parse, ses_classify), the status and diagnostic classifier (fb_diagnose,
 * fb_diagnose_status) and the auto-reply rules. The input is "SUBJECT\nFROM\nTEXT"; TEXT's
 * first line is also tried as Action, Status and Diagnostic-Code.
 */
#include "feedback/diagnose.h"
#include "feedback/ses.h"
#include "feedback/textbounce.h"
#include "fuzz.h"

/* LLVMFuzzerTestOneInput - one report */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *subject = fuzz_string(data, size), *from, *text, *plain;
    const char *skip[] = {"bounce@lists.example", NULL};
    struct tb_result *tb = malloc(sizeof(*tb));
    struct ses_report *ses = malloc(sizeof(*ses));
    struct fb_decision dec;
    struct fb_status st;
    int strong;

    if (subject == NULL || tb == NULL || ses == NULL)
        goto done;
    from = fuzz_split(subject, size);
    text = fuzz_split(from, size - (size_t) (from - subject));
    struct tb_input in = {.subject = subject, .from = from, .text = text, .skip = skip};
    tb_family(&in, &strong);
    if (tb_scan(&in, tb) == 0)
        for (size_t i = 0; i < tb->n; i++)
            fb_diagnose(tb->delayed ? "delayed" : "failed", "", tb->rcpt[i].diag, &dec);
    tb_copy_start(text);
    if ((plain = tb_html_text(text)) != NULL)
        free(plain);
    if (ses_parse(text, ses) == 0)
        for (size_t i = 0; i < ses->n; i++)
            ses_classify(ses, &ses->rcpt[i], &dec);
    fb_diagnose(subject, from, text, &dec);
    fb_diagnose_status(text, &st);
    struct fb_autoreply_fields f = {.auto_submitted = subject, .x_autoreply = from,
                                    .precedence = from, .subject = text};
    fb_autoreply(&f);
done:
    free(subject);
    free(tb);
    free(ses);
    return 0;
}
