/*
 * fuzz_unsubd - libFuzzer target: what optin-unsubd reads of an HTTP request outside
 * libmicrohttpd: the X-Forwarded-For walk behind trusted proxies (request.c), the request path
 * as it is logged, the language from ?lang= and Accept-Language (lang.c), and the address as a
 * page shows it (pages.c). The input is "PATH\nX-FORWARDED-FOR\nACCEPT-LANGUAGE".
 */
#include "fuzz.h"
#include "unsubd.h"
#include "util/netaddr.h"

static struct net_cidr trusted[2];

/* LLVMFuzzerInitialize - two trusted proxy networks */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    if (net_cidr_parse("127.0.0.0/8", &trusted[0]) != 0 || net_cidr_parse("2001:db8::/32", &trusted[1]) != 0)
        abort();
    return 0;
}

/* LLVMFuzzerTestOneInput - one request's path and headers */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = fuzz_string(data, size), *xff, *lang, shown[SHOWN_PATH_BUFSZ], masked[MASKED_BUFSZ];
    struct net_ip ip;

    if (path == NULL)
        return 0;
    xff = fuzz_split(path, size);
    lang = fuzz_split(xff, size - (size_t) (xff - path));
    if (net_ip_parse("127.0.0.1", 9, &ip) != 0)
        abort();
    unsubd_forwarded_client(xff, trusted, 2, &ip);
    unsubd_shown_path(path, shown);
    unsubd_lang_choose(path, lang);
    unsubd_lang_pick(lang);
    unsubd_mask_address(path, masked);
    free(path);
    return 0;
}
