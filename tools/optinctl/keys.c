/*
 * NAME
 *	optinctl_keys 1
 * SUMMARY
 *	optinctl keygen and token: unsubscribe token keys and test tokens
 * SYNOPSIS
 *	optinctl keygen [FILE]
 *	optinctl token [-k FILE] LIST ADDRESS
 *	optinctl token [-k FILE] --decode TOKEN
 * DESCRIPTION
 *	keygen puts a new random key, with the next free id, first in the
 *	token key file (FILE, or the configured keys file): it signs from
 *	then on while the older keys still verify the tokens already sent.
 *	The file is created mode 0600, or rewritten atomically keeping its
 *	owner and mode. Reload the milter to sign with the new key.
 *
 *	token prints the token the milter would put in List-Unsubscribe
 *	for LIST and the normalized ADDRESS, so ops can build a test URL;
 *	with --decode it checks a token and prints "list=L address=A".
 *	-k reads another key file than the configured one.
 *
 *	Both commands enter through cmd_keygen(), which picks by argv[0].
 * DIAGNOSTICS
 *	"optinctl: FILE:LINE: reason" or "optinctl: FILE: reason" on
 *	stderr. Exit 0; 64 usage; 65 bad key file, unknown list, bad
 *	address or (--decode) a token that does not verify; 66 no key file
 *	(token); 73 cannot create (keygen); 74 read error; 77 permission
 *	denied.
 * SEE ALSO
 *	optinctl(1), token(3), optin-milter.conf(5)
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "mail/addr.h"
#include "optinctl.h"
#include "unsubscribe/token.h"
#include "unsubscribe/verp.h"

#define KEYGEN_USAGE "keygen [FILE]"
#define TOKEN_USAGE "token [-k FILE] [--verp] LIST ADDRESS | token [-k FILE] --decode TOKEN"

/* keys_usage - a command's synopsis: stdout and 0 when asked, else stderr and EX_USAGE */
static int keys_usage(const char *synopsis, int asked)
{
    fprintf(asked ? stdout : stderr, "usage: optinctl [global options] %s\n", synopsis);
    return asked ? EX_OK : EX_USAGE;
}

/* keys_path - the configured key file (OPTIN_DEFAULT_KEYS while the configuration sets none) */
static const char *keys_path(const struct optinctl *ctl)
{
    return ctl->cfg->keys != NULL ? ctl->cfg->keys : OPTIN_DEFAULT_KEYS;
}

/* keys_exit - exit status for a token_keys_load/generate result */
static int keys_exit(int rc, int creating)
{
    if (rc == OPTIN_EKEYFILE)
        return EX_DATAERR;
    if (rc == -EACCES || rc == -EPERM || rc == -EROFS)
        return EX_NOPERM;
    if (creating)
        return EX_CANTCREAT;
    return rc == -ENOENT ? EX_NOINPUT : EX_IOERR;
}

/* keygen_run - a new signing key first in the key file */
static int keygen_run(struct optinctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
    const char *path;
    char err[1024];
    int c, id, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
        return keys_usage(KEYGEN_USAGE, c == 'h');
    if (argc - optind > 1)
        return keys_usage(KEYGEN_USAGE, 0);
    path = argc > optind ? argv[optind] : keys_path(ctl);
    if ((rc = token_keys_generate(path, &id, err, sizeof(err))) != 0) {
        ctl_error(ctl, "%s", err);
        return keys_exit(rc, 1);
    }
    printf("key %d added to %s; it signs from now on, older keys still verify\n", id, path);
    ctl_give_to_user(ctl, path);
    return EX_OK;
}

/* token_decode - print what a token names, or why it does not verify */
static int token_decode(const struct optinctl *ctl, const struct token_keys *keys,
                        const char *token)
{
    char list[LIST_ID_BUFSZ], addr[ADDR_BUFSZ], shown[CTL_PRINTABLE_BUFSZ];
    int rc = token_open(keys, token, strlen(token), list, addr);

    if (rc != 0) {
        ctl_error(ctl, "%s: %s", ctl_printable(token, shown), optin_strerror(rc));
        return EX_DATAERR;
    }
    printf("list=%s address=%s\n", list, addr);
    return EX_OK;
}

/* verp_print - print the signed VERP return path the milter gives list mail to addr */
static int verp_print(const struct optinctl *ctl, const struct token_keys *keys,
                      const char *list, const char *addr)
{
    const struct list_def *lc = config_find_list(ctl->cfg, list);
    const char *pattern = lc->verp_return_path ? lc->verp_return_path : ctl->cfg->verp_return_path;
    char out[VERP_PATH_BUFSZ];

    if (pattern == NULL) {
        ctl_error(ctl, "%s: no verp_return_path in %s", list, ctl->cfg->path);
        return EX_DATAERR;
    }
    if (verp_return_path(keys, pattern, list, addr, out) != 0) {
        ctl_error(ctl, "%s: cannot make a return path for %s", list, addr);
        return EX_DATAERR;
    }
    printf("%s\n", out);
    return EX_OK;
}

/* token_encode - print the token (or, verp, the VERP return path) of a list and an address */
static int token_encode(const struct optinctl *ctl, const struct token_keys *keys,
                        const char *list, const char *raw, int verp)
{
    char addr[ADDR_BUFSZ], out[TOKEN_BUFSZ], shown[CTL_PRINTABLE_BUFSZ];
    enum addr_error aerr;

    if (config_find_list(ctl->cfg, list) == NULL) {
        ctl_error(ctl, "%s: no such list in %s", ctl_printable(list, shown), ctl->cfg->path);
        return EX_DATAERR;
    }
    if ((aerr = addr_normalize(raw, strlen(raw), ctl->addr_flags, addr)) != ADDR_OK) {
        ctl_error(ctl, "%s: %s", ctl_printable(raw, shown), addr_strerror(aerr));
        return EX_DATAERR;
    }
    if (verp)
        return verp_print(ctl, keys, list, addr);
    if (token_make(keys, list, addr, out) != 0) {
        ctl_error(ctl, "%s: list id too long for a token", ctl_printable(list, shown));
        return EX_DATAERR;
    }
    printf("%s\n", out);
    return EX_OK;
}

/* token_run - make the token of LIST and ADDRESS, or (--decode) open one */
static int token_run(struct optinctl *ctl, int argc, char **argv)
{
    static const struct option opts[] = {
        {"decode", no_argument, NULL, 'd'}, {"keys", required_argument, NULL, 'k'},
        {"verp", no_argument, NULL, 'V'}, {"help", no_argument, NULL, 'h'}, {0}};
    struct token_keys *keys;
    const char *path = NULL;
    char err[1024];
    int c, dec = 0, verp = 0, rc;

    optind = 0;
    while ((c = getopt_long(argc, argv, "dhk:", opts, NULL)) != -1) {
        if (c == 'd')
            dec = 1;
        else if (c == 'k')
            path = optarg;
        else if (c == 'V')
            verp = 1;
        else
            return keys_usage(TOKEN_USAGE, c == 'h');
    }
    if (argc - optind != (dec ? 1 : 2) || (dec && verp))
        return keys_usage(TOKEN_USAGE, 0);
    if (path == NULL)
        path = keys_path(ctl);
    if ((rc = token_keys_load(path, &keys, err, sizeof(err))) != 0) {
        ctl_error(ctl, "%s", err);
        return keys_exit(rc, 0);
    }
    if (dec)
        rc = token_decode(ctl, keys, argv[optind]);
    else
        rc = token_encode(ctl, keys, argv[optind], argv[optind + 1], verp);
    token_keys_free(keys);
    return rc;
}

/* cmd_keygen - entry of both keygen and token (as cmd_suppress serves unsuppress) */
int cmd_keygen(struct optinctl *ctl, int argc, char **argv)
{
    return strcmp(argv[0], "token") == 0 ? token_run(ctl, argc, argv) : keygen_run(ctl, argc, argv);
}
