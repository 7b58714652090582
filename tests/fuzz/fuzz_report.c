/*
 * fuzz_report - libFuzzer target: optinctl feedback's reading of a whole report with GMime
 * (fb_parse, fb_read): a DSN or ARF part wherever it is nested, the returned message or header
 * block beside it, SES JSON, forwarded complaints, text bounces, auto-replies. Nothing is
 * written: the store and the journal are not reached from here.
 */
#include <stdio.h>
#include <unistd.h>

#include "config/config.h"
#include "feedback.h"
#include "fuzz.h"
#include "unsubscribe/token.h"

static struct optinctl ctl;
static struct token_keys *keys;
static const char *bases[] = {"https://u.lists.example/u/", NULL};

/* LLVMFuzzerInitialize - GMime, a configuration with two lists and a key file */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char dir[FUZZ_PATH_MAX], conf[FUZZ_PATH_MAX], keyfile[FUZZ_PATH_MAX], err[4096];

    (void) argc;
    (void) argv;
    fuzz_tempdir("report", dir);
    fuzz_path(dir, "conf", conf);
    fuzz_path(dir, "keys", keyfile);
    fuzz_write(conf, "database = \"%s/db\"; keys = \"%s\";\n"
                "unsubscribe_url = \"https://u.lists.example/u/\";\n"
                "lists = ( { id = \"news\"; match = { list_id = [ \"news.lists.example\" ]; }; },\n"
                "          { id = \"offers\"; } );\n", dir, keyfile);
    fuzz_keyfile(keyfile, &keys);
    if ((ctl.cfg = config_load(conf, err, sizeof(err))) == NULL)
        abort();
    ctl.progname = "fuzz";
    ctl.addr_flags = ADDR_FOLD_LOCAL;
    g_mime_init();
    return 0;
}

/* LLVMFuzzerTestOneInput - read one report */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fb_run *run = calloc(1, sizeof(*run));
    GByteArray *raw = g_byte_array_new();
    GMimeMessage *msg;
    char *text;

    if (run == NULL)
        abort();
    run->ctl = &ctl;
    run->keys = keys;
    run->url_bases = bases;
    run->n_bases = 1;
    run->scope = FB_SCOPE_LIST;
    g_byte_array_append(raw, data, (guint) size);
    msg = fb_parse(raw);
    text = g_strndup((const char *) data, size);
    fb_read(run, msg, text);
    if (msg != NULL)
        g_object_unref(msg);
    g_free(text);
    g_byte_array_free(raw, TRUE);
    free(run);
    return 0;
}
