/*
 * NAME
 *	nullmilter 1
 * SUMMARY
 *	a do-nothing libmilter milter: the protocol floor for tests/bench/milter_bench.sh
 * SYNOPSIS
 *	nullmilter unix:/path/to/socket
 * DESCRIPTION
 *	Registers the callbacks optin-milter registers (connect, envfrom,
 *	envrcpt, header, eoh, body, eom, abort, close; no negotiate, so it
 *	takes every step the MTA offers) and asks for the same
 *	actions (add, change and delete headers, delete recipients, change the
 *	sender), so that an MTA talks to it step by step as to optin-milter;
 *	every callback answers "continue" and keeps nothing. What a milter
 *	costs beyond this one is its own work. It stops on SIGTERM (libmilter's
 *	signal thread).
 * DIAGNOSTICS
 *	Exit status 0 after a clean stop, 64 for a bad command line, 71 when
 *	the socket cannot be opened.
 */

#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <sys/stat.h>

#include <libmilter/mfapi.h>

/* cont_connect - CONNECT */
static sfsistat cont_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
    (void) ctx, (void) host, (void) addr;
    return SMFIS_CONTINUE;
}

/* cont_args - MAIL and RCPT */
static sfsistat cont_args(SMFICTX *ctx, char **argv)
{
    (void) ctx, (void) argv;
    return SMFIS_CONTINUE;
}

/* cont_header - one header */
static sfsistat cont_header(SMFICTX *ctx, char *name, char *value)
{
    (void) ctx, (void) name, (void) value;
    return SMFIS_CONTINUE;
}

/* cont_body - one body chunk */
static sfsistat cont_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
    (void) ctx, (void) data, (void) len;
    return SMFIS_CONTINUE;
}

/* cont_ctx - EOH, EOM, abort, close */
static sfsistat cont_ctx(SMFICTX *ctx)
{
    (void) ctx;
    return SMFIS_CONTINUE;
}

/* main - register, open the socket, run */
int main(int argc, char **argv)
{
    struct smfiDesc desc = {
        .xxfi_name = "nullmilter", .xxfi_version = SMFI_VERSION,
        .xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_DELRCPT | SMFIF_CHGFROM,
        .xxfi_connect = cont_connect, .xxfi_envfrom = cont_args,
        .xxfi_envrcpt = cont_args, .xxfi_header = cont_header, .xxfi_eoh = cont_ctx,
        .xxfi_body = cont_body, .xxfi_eom = cont_ctx, .xxfi_abort = cont_ctx, .xxfi_close = cont_ctx,
    };

    if (argc != 2 || strncmp(argv[1], "unix:", 5) != 0) {
        fprintf(stderr, "usage: nullmilter unix:/path/to/socket\n");
        return EX_USAGE;
    }
    umask(077);
    if (smfi_setconn(argv[1]) != MI_SUCCESS || smfi_register(desc) != MI_SUCCESS
        || smfi_opensocket(1) != MI_SUCCESS) {
        fprintf(stderr, "nullmilter: cannot listen on %s\n", argv[1]);
        return EX_OSERR;
    }
    return smfi_main() == MI_SUCCESS ? EX_OK : EX_SOFTWARE;
}
