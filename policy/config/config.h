/* config.h - the one configuration file shared by optin-milter and optinctl (see config.c) */
#ifndef OPTIN_CONFIG_H
#define OPTIN_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "paths.h"     /* generated: OPTIN_DEFAULT_CONFIG, _KEYS, _DATABASE, OPTIN_VERSION */

enum opt_in_kind {
    OPT_IN_SINGLE,
    OPT_IN_DOUBLE,
};

enum enforce_mode {
    MODE_ENFORCE,
    MODE_MONITOR,
};

/* What list mail gets when its envelope sender does not authorize our egress addresses (SPF). */
enum spf_action {
    SPF_ACT_REJECT,       /* 550 5.7.23 (fail, softfail) or 550 5.7.24 (temperror, permerror) */
    SPF_ACT_TEMPFAIL,     /* 451 4.7.23 (fail, softfail) or 451 4.7.24 (temperror, permerror) */
    SPF_ACT_JOURNAL,      /* deliver; journal and log the result only */
};

/* A list of strings from a libconfig array, e.g. match.list_id = ["a", "b"]. */
struct string_list {
    char **items;
    size_t count;
};

/* When the journal cannot be written at the end of a list message. */
enum journal_failure_action {
    JOURNAL_FAIL_TEMPFAIL,  /* 451 4.3.0 (default): no list mail goes without its receipt */
    JOURNAL_FAIL_DELIVER,   /* deliver, log an error naming the lines lost */
};

/* What a list's mail gets when its first body part lacks what the list must show. */
enum content_check_action {
    CONTENT_OFF,        /* the body is not read (default) */
    CONTENT_JOURNAL,    /* a warn line names what is missing; delivered */
    CONTENT_REFUSE,     /* 550 5.7.1 naming what is missing */
};

/* One list definition: lists = ( { id = "news"; ... } ); */
struct list_def {
    char *id;                          /* [A-Za-z0-9._-]{1,63}, unique */
    int line;                          /* line of its group in the file, for messages */
    enum opt_in_kind opt_in;           /* opt_in = "single" | "double" (default "double") */
    int64_t max_consent_age;           /* seconds; 0 = no limit (default 0) */
    enum enforce_mode mode;            /* mode = "enforce" | "monitor" (default: global mode) */
    struct string_list match_envelope_from; /* glob patterns (fnmatch, case-insensitive) */
    struct string_list match_list_id;       /* RFC 2919 list-id values, without <> */
    struct string_list match_auth_user;     /* SASL {auth_authen} values */
    struct string_list match_daemon_name;   /* Postfix {daemon_name} values */
    char *unsubscribe_url;             /* overrides the global one (NULL: use it) */
    char *unsubscribe_mailto;          /* overrides the global one (NULL: use it) */
    char *verp_return_path;            /* overrides the global one (NULL: use it) */
    enum spf_action spf_fail;          /* SPF fail (default: the global spf_fail) */
    enum spf_action spf_softfail;      /* SPF softfail (default: the global spf_softfail) */
    enum spf_action spf_error;         /* SPF temperror/permerror (default: the global spf_error) */
    enum journal_failure_action journal_failure; /* default: the global journal_failure */
    enum content_check_action content_check;     /* default: the global content_check */
    char *content_sender_name;         /* the body must name the sender (NULL: not checked) */
    char *content_postal_address;      /* ... show the sender's postal address */
    char *content_contact;             /* ... give a contact for questions and complaints (Japan) */
    struct string_list content_unsubscribe; /* ... one of these (default "unsubscribe") */
    char *display_name;                /* what the unsubscribe pages call it (NULL: its id) */
    char *page_templates;              /* its page template folder (NULL: the global one) */
};

/* What to do with mail that looks like bulk (Precedence: bulk/list, List-Id, List-Unsubscribe)
 * but matches no list definition. */
enum bulk_action {
    BULK_REJECT,      /* 550 5.7.1 (default) */
    BULK_TEMPFAIL,    /* 451 4.7.1 */
    BULK_ACCEPT,      /* deliver, journal only */
};

/* When the consent store cannot answer for list mail. */
enum store_failure_action {
    STORE_FAIL_TEMPFAIL,  /* 451 4.3.0 (default): never accepted unchecked */
    STORE_FAIL_ACCEPT,    /* deliver unchecked, journal and log an error */
};

/* When every recipient of a message was stripped at end of message. */
enum all_denied_action {
    ALL_DENIED_REJECT,    /* 550 5.7.1 (default); pickup bounces it to the sender */
    ALL_DENIED_DISCARD,   /* drop silently */
};

struct optin_config {
    char *path;                        /* file it was read from */

    /* consent store */
    char *database;                    /* LMDB environment directory */
    uint64_t map_size;                 /* bytes (default 4G) */
    unsigned max_readers;              /* LMDB reader slots (default 512) */
    int fold_local_part;               /* fold local-part case (default true) */
    int64_t confirm_ttl;               /* lifetime of a double opt-in token (default 7d) */

    /* milter daemon */
    char *socket;                      /* unix:PATH or inet:PORT@HOST */
    unsigned socket_mode;              /* mode of a unix socket (default 0660) */
    char *user;                        /* drop privileges to this user (default: none) */
    char *group;                       /* group of the socket (default: user's group) */
    char *mta_user;                    /* the MTA's user, who must reach the socket (default postfix) */
    struct string_list milter_clients; /* inet socket: the only peers accepted (CIDRs) */
    char *pidfile;                     /* default: none */
    char *log_target;                  /* "syslog" | "stderr" (default "syslog") */
    char *syslog_facility;             /* default "mail" */
    char *log_level;                   /* lowest severity logged: "debug" ... "error" (default "info") */
    char *journal;                     /* decision journal file (default: none) */
    int64_t journal_sync;              /* fdatasync every commit (0, default) or at most every N s */
    enum journal_failure_action journal_failure; /* default for lists (default tempfail) */
    int64_t retention;                 /* optinctl purge removes what is older (0: nothing, default) */
    char *metrics_file;                /* Prometheus textfile the milter writes (default: none) */
    int64_t metrics_interval;          /* seconds between two writes (default 15s) */
    char *page_templates;              /* optin-unsubd's page template folder (default: none) */
    enum content_check_action content_check; /* default for lists (default off) */
    uint64_t content_max_bytes;        /* body bytes read for the content check (default 64K) */
    char *feedback_maildir;            /* optinctl feedback keeps unusable reports here (default: none) */
    enum enforce_mode mode;            /* default mode for lists (default enforce) */
    char *marker_header;               /* header naming the list, removed before delivery (default "X-Optin-List") */

    /* enforcement (milter) */
    char *keys;                        /* token key file (default SYSCONFDIR/optin-milter.keys) */
    char *unsubscribe_url;             /* https base URL; the token is appended (default: none) */
    char *unsubscribe_mailto;          /* mailbox for mailto unsubscribe (default: none) */
    char *verp_return_path;            /* "bounce+%s@lists.example": signed VERP sender (default: none) */
    enum bulk_action unattributed_bulk;          /* default reject */
    enum store_failure_action store_failure;     /* default tempfail */
    enum all_denied_action all_recipients_denied; /* default reject */
    int one_recipient_per_message;     /* removed: only false is accepted (see config_keys.c) */
    unsigned rcpt_refusal_limit;       /* RCPT refusals per SMTP session before removal at the end (5) */
    int refuse_ambiguous_list_id;      /* refuse list mail whose List-Id fields disagree (true) */
    char *verdict_header;              /* header added in monitor mode (default "X-Optin-Verdict") */

    /* sender authorization (SPF, see spf.c): checked only when egress_ips is set */
    struct string_list egress_ips;     /* IPv4/IPv6 addresses our MTA sends list mail from */
    char *helo_name;                   /* our MTA's HELO name, checked for the null sender (default: none) */
    int64_t spf_cache_ttl_max;         /* seconds a result is cached (default 1h) */
    int64_t spf_timeout;               /* seconds a check may take, 1 to 29 (default 10s) */
    int spf_trace_header;              /* add X-Optin-SPF to checked list mail (default false) */
    enum spf_action spf_fail;          /* default for lists (default reject) */
    enum spf_action spf_softfail;      /* default for lists (default journal) */
    enum spf_action spf_error;         /* default for lists (default tempfail) */

    struct list_def *lists;
    size_t list_count;
};

/*
 * config_load - read and validate a configuration file.
 * Returns NULL on failure after writing every problem, one per line as
 * "file:line: key: what was expected", into err (truncated to errsz).
 * Unknown keys, wrong types, duplicate list ids and bad values are errors.
 */
struct optin_config *config_load(const char *path, char *err, size_t errsz);

/* config_free - release everything config_load allocated (NULL is fine). */
void config_free(struct optin_config *cfg);

/* config_find_list - the list with that id, or NULL. */
const struct list_def *config_find_list(const struct optin_config *cfg, const char *id);

/* config_needs_keys - 1 when an unsubscribe URL or mailto (global or a list's) needs the key file. */
int config_needs_keys(const struct optin_config *cfg);

/* config_key_names - NULL-terminated table of every key the parser accepts (for the man page check). */
const char *const *config_key_names(void);

/*
 * config_store_settings_differ - "database", "map_size" or "max_readers": the first store
 * setting that differs between the running and a new configuration; NULL when none does.
 * The store is opened once per process, so a reload that changes one is refused.
 */
const char *config_store_settings_differ(const struct optin_config *old,
                                         const struct optin_config *new);
/*
 * config_reload_check - may new replace the running old (NULL: nothing runs yet) on reload?
 * 0; -1 when it changes a store setting, with "FILE: SETTING changed: ... (restart PROGRAM)\n"
 * in err.
 */
int config_reload_check(const struct optin_config *old, const struct optin_config *new,
                        const char *program, char *err, size_t errsz);

#endif
