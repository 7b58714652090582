/* server.h - optin-unsubd: what main.c (start-up, reload) and http.c (requests) share */
#ifndef OPTIN_UNSUBD_SERVER_H
#define OPTIN_UNSUBD_SERVER_H

#include "deadline.h"
#include "util/generation.h"
#include "unsubd.h"

struct MHD_Daemon;
struct optin_config;
struct store;
struct token_keys;

/* One loaded configuration with its keys: the payload of a generation; requests retain it. */
struct unsubd_gen {
    struct optin_config *cfg;
    struct token_keys *keys;
    struct page_templates *templates;        /* the global page_templates, or NULL */
    struct page_templates **list_templates;  /* per list (cfg->lists order): its own, or NULL */
};

/* The whole server; one per process, set up by main() before any thread. */
struct server {
    struct unsubd_options opt;
    struct store *store;            /* opened once, shared by every generation */
    struct generation_slot gens;    /* the current struct unsubd_gen */
    struct rate_table rate;
    int warned_xff;                 /* said once that X-Forwarded-For from an untrusted peer is ignored */
    struct deadline_table deadline; /* every request answered within REQUEST_DEADLINE seconds */
};

/* unsubd_http_start - libmicrohttpd on the bound socket fd with a thread pool; NULL on failure */
struct MHD_Daemon *unsubd_http_start(struct server *srv, int fd);
/* unsubd_http_stop - stop accepting, end and join the workers, close the socket */
void unsubd_http_stop(struct server *srv, struct MHD_Daemon *d);

#endif
