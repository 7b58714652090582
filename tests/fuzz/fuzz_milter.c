/*
 * fuzz_milter - libFuzzer target: a milter-protocol session replayed against optin-milter's own
 * callbacks. The milter runs in this process as it does in optin-milter (libmilter's smfi_main
 * in a thread, callbacks.c, daemon.c, peers.c; a consent store, key file and journal in a
 * temporary folder). Each input is one session: after a negotiation that offers every action and
 * step, the input is cut into packets, each "COMMAND LENGTH DATA" (one octet each for command
 * and length), sent with the protocol's 4-octet lengths, and the answers read until the milter
 * closes or goes quiet.
 *
 * A macro packet whose entries do not pair up, or whose last entry lacks its NUL, is not sent:
 * libmilter 8.17 reads past the end of such a list in smfi_getsymval (optin-milter(8), "Who may
 * connect"; this target reproduced that crash before the filter took the second form too), a
 * bug of libmilter that no input of ours can change; the socket's mode and milter_clients keep
 * such peers away.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "config/config.h"
#include "consent/consent.h"
#include "consent/store.h"
#include "fuzz.h"
#include "milter.h"
#include "unsubscribe/token.h"
#include "util/log.h"

static char sock_path[108];

/* milter_main - libmilter's loop, for the life of the process */
static void *milter_main(void *arg)
{
    (void) arg;
    smfi_main();
    return NULL;
}

/* subscribe_one - write callback: c1@example.org on news */
static int subscribe_one(struct store_txn *txn, void *arg)
{
    char code[CONFIRM_CODE_BUFSZ];

    return consent_subscribe(txn, "news", "c1@example.org", METHOD_SINGLE, arg, code);
}

/* setup_store - a consent store with one subscriber, made with the policy library */
static void setup_store(const struct optin_config *cfg)
{
    struct store_options opt = {.path = cfg->database, .map_size = cfg->map_size,
                                .max_readers = cfg->max_readers, .create = 1};
    struct change_ctx cc = {.now = 1756720000, .source = "fuzz", .actor = "fuzz"};
    struct store *st;
    char err[256];

    if (store_open(&opt, &st, err, sizeof(err)) != 0 || store_write(st, subscribe_one, &cc) != 0)
        abort();
    store_close(st);
}

/* LLVMFuzzerInitialize - configuration, keys, store; the milter listening on a UNIX socket */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char dir[FUZZ_PATH_MAX], conf[FUZZ_PATH_MAX], keys[FUZZ_PATH_MAX], err[4096];
    struct optin_config *cfg;
    pthread_t tid;

    (void) argc;
    (void) argv;
    fuzz_tempdir("milter", dir);
    fuzz_path(dir, "conf", conf);
    fuzz_path(dir, "keys", keys);
    snprintf(sock_path, sizeof(sock_path), "%s/sock", dir);
    fuzz_write(conf, "database = \"%s/db\"; keys = \"%s\"; journal = \"%s/journal\";\n"
                "log_target = \"stderr\"; log_level = \"%s\"; map_size = \"16M\";\n"
                "unsubscribe_url = \"https://u.lists.example/u/\";\n"
                "verp_return_path = \"bounce+%%s@lists.example\";\n"
                "lists = ( { id = \"news\"; opt_in = \"single\"; match = { envelope_from = [ \"bounce-news-*@lists.example\" ];\n"
                "            list_id = [ \"news.lists.example\" ]; }; },\n"
                "          { id = \"offers\"; mode = \"monitor\"; match = { auth_user = [ \"shop\" ]; }; } );\n",
            dir, keys, dir, getenv("FUZZ_MILTER_LOG") ? "debug" : "error");
    log_open("fuzz_milter", LOG_TO_STDERR, 0);
    log_set_level(getenv("FUZZ_MILTER_LOG") ? LOG_SEV_DEBUG : LOG_SEV_ERROR);   /* until loaded */
    fuzz_keyfile(keys, NULL);
    if ((cfg = config_load(conf, err, sizeof(err))) == NULL)
        abort();
    setup_store(cfg);
    if (peers_setup(cfg, err, sizeof(err)) != 0 || gen_install(cfg, GEN_RUN, err, sizeof(err)) != 0)
        abort();
    snprintf(err, sizeof(err), "unix:%s", sock_path);
    if (smfi_setconn(err) != MI_SUCCESS || smfi_register(optin_filter) != MI_SUCCESS
        || smfi_opensocket(1) != MI_SUCCESS || pthread_create(&tid, NULL, milter_main, NULL) != 0)
        abort();
    return 0;
}

/* send_packet - one packet with its 4-octet length; 0, or -1 when the milter hung up */
static int send_packet(int fd, char cmd, const uint8_t *data, size_t len)
{
    uint8_t head[5] = {(uint8_t) ((len + 1) >> 24), (uint8_t) ((len + 1) >> 16),
                       (uint8_t) ((len + 1) >> 8), (uint8_t) (len + 1), (uint8_t) cmd};

    if (send(fd, head, sizeof(head), MSG_NOSIGNAL) != (ssize_t) sizeof(head))
        return -1;
    return len == 0 || send(fd, data, len, MSG_NOSIGNAL) == (ssize_t) len ? 0 : -1;
}

/* odd_macros - a macro packet (stage octet, then NUL-ended entries) libmilter would read past:
 * entries that do not pair, or a last one without its NUL (libmilter counts entries by NULs, so
 * "{auth_authen}\0shop" is one entry to it; libFuzzer found that one in CI) */
static int odd_macros(const uint8_t *data, size_t len)
{
    size_t entries = 0;

    if (len <= 1)
        return 0;                                /* no entry at all */
    if (data[len - 1] != '\0')
        return 1;
    for (size_t i = 1; i < len; i++)
        entries += data[i] == '\0';
    return entries % 2 != 0;
}

/* drain - read answers until the milter closes or is quiet for a while */
static void drain(int fd, int quiet_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    uint8_t buf[4096];

    while (poll(&p, 1, quiet_ms) > 0 && recv(fd, buf, sizeof(buf), 0) > 0)
        ;
}

/* answered - wait up to ms for one whole answer (the negotiation's); 1 when it came */
static int answered(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    uint8_t head[4], buf[256];
    size_t len;

    if (poll(&p, 1, ms) <= 0 || recv(fd, head, 4, MSG_WAITALL) != 4)
        return 0;
    len = (size_t) head[0] << 24 | (size_t) head[1] << 16 | (size_t) head[2] << 8 | head[3];
    while (len > 0) {
        ssize_t n = recv(fd, buf, len < sizeof(buf) ? len : sizeof(buf), MSG_WAITALL);

        if (n <= 0)
            return 0;
        len -= (size_t) n;
    }
    return 1;
}

/* LLVMFuzzerTestOneInput - one session */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t negotiate[12] = {0, 0, 0, 6, 0, 0, 1, 0xff, 0, 0x1f, 0xff, 0xff};
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    size_t at = 0;

    memcpy(sun.sun_path, sock_path, sizeof(sock_path));
    if (fd < 0 || connect(fd, (struct sockaddr *) &sun, sizeof(sun)) != 0) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    if (send_packet(fd, 'O', negotiate, sizeof(negotiate)) == 0 && answered(fd, 2000)) {
        while (at + 2 <= size) {
            char cmd = (char) data[at];
            size_t len = data[at + 1];

            at += 2;
            if (len > size - at)
                len = size - at;
            if (!(cmd == 'D' && odd_macros(data + at, len)) && send_packet(fd, cmd, data + at, len) != 0)
                break;
            at += len;
            drain(fd, 5);
        }
    }
    shutdown(fd, SHUT_WR);
    drain(fd, 50);
    close(fd);
    return 0;
}
