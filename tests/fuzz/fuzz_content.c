/*
 * fuzz_content - libFuzzer target: the content check's reading of a message body, which any
 * list sender writes: the first text part through multipart nesting, base64 and
 * quoted-printable, charset conversion, HTML stripping (content_first_text), then the items of a
 * list looked for in it (content_missing). The input is "CONTENT-TYPE\nTRANSFER-ENCODING\nBODY".
 */
#include "config/config.h"
#include "enforce/content.h"
#include "fuzz.h"

/* LLVMFuzzerTestOneInput - one message body with its two MIME headers */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *ctype = fuzz_string(data, size), *cte, *body, *text = NULL, words[200];
    char *unsub[] = {"unsubscribe", "\xe9\x85\x8d\xe4\xbf\xa1\xe5\x81\x9c\xe6\xad\xa2"};
    struct list_def list = {.id = "news", .content_sender_name = "Example Lists Ltd",
                            .content_postal_address = "1 Main Street", .content_contact = "help@x",
                            .content_unsubscribe = {.items = unsub, .count = 2}};

    if (ctype == NULL)
        return 0;
    cte = fuzz_split(ctype, size);
    body = fuzz_split(cte, size - (size_t) (cte - ctype));
    if (content_first_text(ctype, cte, body, size - (size_t) (body - ctype), &text) == 0)
        content_describe(content_missing(&list, text), words, sizeof(words));
    free(text);
    free(ctype);
    return 0;
}
