/*
 * NAME
 *	test_binding - TAP tests of identity before action (policy/feedback/binding.c)
 * DESCRIPTION
 *	A report may change only a recipient it is bound to: by the signed VERP tag of the
 *	address it came back to, or by a token naming exactly that recipient. Every forgery of
 *	issue 11 is here: another recipient's token, another list's tag, a tag with one bit
 *	changed, a list-level token, nothing at all.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feedback/binding.h"
#include "tap.h"

static char dir[] = "/tmp/optin-test-binding.XXXXXX";

/* setup - a key file and a configuration with two lists and a VERP pattern */
static int setup(struct token_keys **keys, struct optin_config **cfg)
{
    char path[256], err[2048];
    FILE *fp;
    int id;

    snprintf(path, sizeof(path), "%s/keys", dir);
    if (token_keys_generate(path, &id, err, sizeof(err)) != 0
        || token_keys_load(path, keys, err, sizeof(err)) != 0)
        return -1;
    snprintf(path, sizeof(path), "%s/conf", dir);
    if ((fp = fopen(path, "w")) == NULL)
        return -1;
    fprintf(fp, "database = \"%s/db\";\nverp_return_path = \"bounce+%%s@lists.example\";\n"
            "lists = ( { id = \"news\"; }, { id = \"offers\";\n"
            "  verp_return_path = \"offers-%%s@bounces.example\"; } );\n", dir);
    fclose(fp);
    if ((*cfg = config_load(path, err, sizeof(err))) == NULL)
        printf("# %s", err);
    return *cfg ? 0 : -1;
}

/* bind - fb_bind of addr with a VERP recipient and/or a token; the list in *list */
static enum fb_binding bind(const struct token_keys *keys, const struct optin_config *cfg,
                            const char *rcpt, const struct unsub_found *tok, const char *addr,
                            const char **list)
{
    struct fb_evidence ev = {.token = tok};

    fb_evidence_verp(cfg, rcpt, &ev);
    return fb_bind(keys, cfg, &ev, addr, list);
}

int main(void)
{
    struct token_keys *keys = NULL;
    struct optin_config *cfg = NULL;
    char path[VERP_PATH_BUFSZ], other[VERP_PATH_BUFSZ], bad[VERP_PATH_BUFSZ], cmd[300];
    struct unsub_found tok = {.rc = 0, .list = "news", .addr = "ann@example.org"};
    struct unsub_found list_level = {.rc = 0, .list = "news", .addr = ""};
    struct unsub_found forged = {.rc = OPTIN_ETOKENFORGED};
    const char *list;
    char *p;

    if (mkdtemp(dir) == NULL || setup(&keys, &cfg) != 0) {
        printf("Bail out! setup\n");
        return 1;
    }
    verp_return_path(keys, "bounce+%s@lists.example", "news", "ann@example.org", path);
    ok(bind(keys, cfg, path, NULL, "ann@example.org", &list) == FB_BOUND_VERP
       && strcmp(list, "news") == 0, "VERP: bound to its recipient and list");
    ok(bind(keys, cfg, path, NULL, "bob@example.org", &list) == FB_UNBOUND && list == NULL,
       "VERP: a block naming another recipient is not bound");
    verp_return_path(keys, "offers-%s@bounces.example", "offers", "ann@example.org", other);
    ok(bind(keys, cfg, other, NULL, "ann@example.org", &list) == FB_BOUND_VERP
       && strcmp(list, "offers") == 0, "VERP by a list's own pattern");
    verp_return_path(keys, "bounce+%s@lists.example", "offers", "ann@example.org", bad);
    ok(bind(keys, cfg, bad, NULL, "ann@example.org", &list) == FB_BOUND_VERP
       && strcmp(list, "offers") == 0, "a tag of offers sent to the global pattern: offers");
    strcpy(bad, path);
    p = strchr(bad, '+') + 10;
    *p = *p == 'a' ? 'b' : 'a';
    ok(bind(keys, cfg, bad, NULL, "ann@example.org", &list) == FB_UNBOUND,
       "a tag with one character changed: not bound");
    for (p = path; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char) (*p - 'a' + 'A');
    ok(bind(keys, cfg, path, NULL, "ann@example.org", &list) == FB_BOUND_VERP,
       "an MTA upper-cased the return path: still bound");
    ok(bind(keys, cfg, "bounce@lists.example", &tok, "ann@example.org", &list) == FB_BOUND_TOKEN
       && strcmp(list, "news") == 0, "token naming exactly this recipient: bound");
    ok(bind(keys, cfg, NULL, &tok, "victim@example.org", &list) == FB_UNBOUND,
       "the attacker's own token on a block naming a victim: not bound");
    ok(bind(keys, cfg, NULL, &list_level, "ann@example.org", &list) == FB_UNBOUND,
       "a list-level token binds no recipient");
    ok(bind(keys, cfg, NULL, &forged, "ann@example.org", &list) == FB_UNBOUND,
       "a token that does not open: not bound");
    ok(bind(keys, cfg, NULL, NULL, "ann@example.org", &list) == FB_UNBOUND,
       "no tag, no token: not bound");
    ok(bind(NULL, cfg, path, &tok, "ann@example.org", &list) == FB_UNBOUND, "no keys: nothing binds");
    ok(strcmp(fb_binding_name(FB_BOUND_VERP), "verp") == 0
       && strcmp(fb_binding_name(FB_UNBOUND), "none") == 0, "names");
    token_keys_free(keys);
    config_free(cfg);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? tap_done() : 99;
}
