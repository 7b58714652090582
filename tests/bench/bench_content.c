/*
 * NAME
 *	bench_content - what the content check costs per list message
 * SYNOPSIS
 *	tests/bench/bench_content [messages]
 * DESCRIPTION
 *	Times content_first_text() and content_missing() - find the first text
 *	part, undo its transfer encoding, convert its charset, drop HTML, look
 *	for a list's four items - on three bodies a list sends (default 20000
 *	times each): 2 KB of plain ASCII text; a multipart/alternative whose
 *	first part is 8 KB of quoted-printable UTF-8; 64 KB (the default
 *	content_max_bytes) of base64 ISO-2022-JP. Prints microseconds per
 *	message for each. Reading the body also costs the milter protocol's
 *	body chunks (65535 bytes each, at most content_max_bytes before
 *	SMFIS_SKIP), which this does not count.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "enforce/content.h"

/* now_us - a monotonic clock in microseconds */
static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

/* fill - size bytes of repeated text into a new buffer, with the items at the end */
static char *fill(const char *unit, size_t size, const char *tail)
{
    char *s = malloc(size + strlen(tail) + 1);
    size_t n = 0, u = strlen(unit);

    while (n + u < size) {
        memcpy(s + n, unit, u);
        n += u;
    }
    strcpy(s + n, tail);
    return s;
}

/* bench - time n checks of one body; prints microseconds each */
static void bench(const char *what, const struct list_def *l, const char *ctype, const char *cte,
                  const char *body, long n)
{
    double t0 = now_us();
    unsigned missing = 0;

    for (long i = 0; i < n; i++) {
        char *text = NULL;

        content_first_text(ctype, cte, body, strlen(body), &text);
        missing |= content_missing(l, text);
        free(text);
    }
    printf("%-44s %8.1f us/message%s\n", what, (now_us() - t0) / (double) n, missing ? " (items missing!)" : "");
}

/* main - the three bodies */
int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000;
    char *unsub[] = {"unsubscribe"};
    struct list_def l = {.id = "news", .content_check = CONTENT_REFUSE,
                         .content_sender_name = "Example Lists Ltd", .content_postal_address = "1 Main Street",
                         .content_contact = "help@lists.example", .content_unsubscribe = {unsub, 1}};
    const char *items = "Example Lists Ltd, 1 Main Street, help@lists.example, unsubscribe\r\n";
    char *plain = fill("This week's news, in plain words for everyone.\r\n", 2048, items);
    char *qp = fill("Die Nachrichten der Woche =E2=80=93 f=C3=BCr alle, ganz einfach.=\r\n\r\n", 8192, items);
    char *multi = malloc(strlen(qp) + 400), *jp, *b64;
    const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    sprintf(multi, "--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "
            "quoted-printable\r\n\r\n%s\r\n--b1\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--b1--\r\n", qp);
    jp = fill("\x1b$BG[?.Dd;_$O$3$A$i\x1b(B ", 48 * 1024, items);
    b64 = malloc(strlen(jp) * 2);
    {
        size_t len = strlen(jp), o = 0;

        for (size_t i = 0; i + 2 < len; i += 3) {
            unsigned v = ((unsigned char) jp[i] << 16) | ((unsigned char) jp[i + 1] << 8) | (unsigned char) jp[i + 2];

            b64[o++] = alphabet[v >> 18];
            b64[o++] = alphabet[(v >> 12) & 63];
            b64[o++] = alphabet[(v >> 6) & 63];
            b64[o++] = alphabet[v & 63];
            if (o % 78 == 76) {
                b64[o++] = '\r';
                b64[o++] = '\n';
            }
        }
        b64[o] = '\0';
    }
    printf("content check, %ld messages each\n", n);
    bench("2 KB plain ASCII", &l, "text/plain; charset=us-ascii", "7bit", plain, n);
    bench("multipart, 8 KB quoted-printable UTF-8", &l, "multipart/alternative; boundary=b1", "7bit", multi, n);
    bench("64 KB base64 ISO-2022-JP", &l, "text/plain; charset=ISO-2022-JP", "base64", b64, n / 10 ? n / 10 : 1);
    free(plain), free(qp), free(multi), free(jp), free(b64);
    return 0;
}
