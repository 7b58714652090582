/* milter.h - optin-milter's connection and message state, and the daemon plumbing they use */
#ifndef OPTIN_MILTER_H
#define OPTIN_MILTER_H

#include <libmilter/mfapi.h>

#include "enforce/message.h"

/* One configuration generation: the payload of generation(3), swapped whole on reload and
 * kept alive by the messages using it. */
struct generation {
    struct optin_config *cfg;
    struct token_keys *keys;
    struct journal *journal;
    struct msg_env env;
};

/* Message state (mc_): from MAIL to end of message or abort. */
struct msg_ctx {
    struct generation *mc_gen;     /* retained for the whole message */
    struct msg_state mc_state;
};

/* Connection state (cc_): from connect to close. */
struct conn_ctx {
    unsigned long cc_id;           /* session number, part of our own message ids */
    unsigned cc_msgs;              /* messages begun in this session */
    int cc_noreply_hdr;            /* SMFIP_NR_HDR negotiated: header callback answers nothing */
    int cc_chgfrom;                /* SMFIF_CHGFROM negotiated: the VERP sender can be set */
    int cc_skip;                   /* SMFIP_SKIP negotiated: the body can be cut short */
    char cc_client_addr[64];
    char cc_daemon_name[64];
    struct msg_session cc_session; /* what the MTA counts against the client across messages */
    struct msg_ctx *cc_msg;
};

/* daemon.c */
struct generation *gen_retain(void);
void gen_release(struct generation *gen);
#define GEN_CHECK_ONLY 0   /* configuration and keys only (before fork and privilege drop) */
#define GEN_RUN 1          /* also the journal and, once per process, the store */
/* gen_install - make cfg (owned from here on, freed on failure) current; 0, or -1 with err */
int gen_install(struct optin_config *cfg, int mode, char *err, size_t errsz);
/* gen_check_keys - the key file cfg names loads (or none is needed); 0, or -1 with err */
int gen_check_keys(const struct optin_config *cfg, char *err, size_t errsz);
void gen_set_spf(struct spf *spf);
void gen_set_metrics(struct metrics *metrics);
struct store *gen_store_get(void);
void gen_shutdown(void);
void session_begin(void);
void session_end(void);
int callback_enter(void);
void callback_leave(void);
int callbacks_close(int seconds, int *sessions_open);
int milter_run(const char *config_path, const char *conn, int seconds);
int transaction_begin(void);
void transaction_end(void);

/* peers.c */
struct optin_config;
/* peers_setup - the networks of milter_clients, before libmilter starts; 0, or -1 with err */
int peers_setup(const struct optin_config *cfg, char *err, size_t errsz);

/* callbacks.c */
extern struct smfiDesc optin_filter;

#endif
