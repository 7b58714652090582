/* config_keys.h - the key tables of config.c, shared by config.c and config_keys.c only */
#ifndef OPTIN_CONFIG_KEYS_H
#define OPTIN_CONFIG_KEYS_H

#include <libconfig.h>
#include <stddef.h>

#include "config/config.h"

/* Every key name, one entry each even when it appears in two tables ("mode", "unsubscribe_url"). */
enum key_id {
    KEY_DATABASE,
    KEY_MAP_SIZE,
    KEY_MAX_READERS,
    KEY_FOLD_LOCAL_PART,
    KEY_CONFIRM_TTL,
    KEY_SOCKET,
    KEY_SOCKET_MODE,
    KEY_USER,
    KEY_GROUP,
    KEY_MTA_USER,
    KEY_PIDFILE,
    KEY_LOG_TARGET,
    KEY_SYSLOG_FACILITY,
    KEY_LOG_LEVEL,
    KEY_JOURNAL,
    KEY_JOURNAL_SYNC,
    KEY_JOURNAL_FAILURE,
    KEY_RETENTION,
    KEY_METRICS_FILE,
    KEY_METRICS_INTERVAL,
    KEY_PAGE_TEMPLATES,
    KEY_DISPLAY_NAME,
    KEY_CONTENT_CHECK,
    KEY_CONTENT_MAX_BYTES,
    KEY_CONTENT_SENDER_NAME,
    KEY_CONTENT_POSTAL_ADDRESS,
    KEY_CONTENT_CONTACT,
    KEY_CONTENT_UNSUBSCRIBE,
    KEY_FEEDBACK_MAILDIR,
    KEY_MODE,
    KEY_MARKER_HEADER,
    KEY_KEYS,
    KEY_UNSUBSCRIBE_URL,
    KEY_UNSUBSCRIBE_MAILTO,
    KEY_UNATTRIBUTED_BULK,
    KEY_STORE_FAILURE,
    KEY_ALL_RECIPIENTS_DENIED,
    KEY_ONE_RECIPIENT_PER_MESSAGE,
    KEY_RCPT_REFUSAL_LIMIT,
    KEY_REFUSE_AMBIGUOUS_LIST_ID,
    KEY_VERP_RETURN_PATH,
    KEY_VERDICT_HEADER,
    KEY_EGRESS_IPS,
    KEY_MILTER_CLIENTS,
    KEY_HELO_NAME,
    KEY_SPF_CACHE_TTL_MAX,
    KEY_SPF_TIMEOUT,
    KEY_SPF_TRACE_HEADER,
    KEY_SPF_FAIL,
    KEY_SPF_SOFTFAIL,
    KEY_SPF_ERROR,
    KEY_LISTS,
    KEY_ID,
    KEY_OPT_IN,
    KEY_MAX_CONSENT_AGE,
    KEY_MATCH,
    KEY_ENVELOPE_FROM,
    KEY_LIST_ID,
    KEY_AUTH_USER,
    KEY_DAEMON_NAME,
    KEY_COUNT
};

/* How a value is written in the file and where it goes. */
enum value_kind {
    KIND_STRING,                       /* char * */
    KIND_SIZE,                         /* uint64_t bytes: "4G" or an integer */
    KIND_UINT,                         /* unsigned: an integer */
    KIND_BOOL,                         /* int: true or false */
    KIND_DURATION,                     /* int64_t seconds: "7d" or an integer */
    KIND_OCTAL,                        /* unsigned: "0660" */
    KIND_MODE,                         /* enum enforce_mode */
    KIND_OPT_IN,                       /* enum opt_in_kind */
    KIND_BULK,                         /* enum bulk_action */
    KIND_STORE_FAILURE,                /* enum store_failure_action */
    KIND_ALL_DENIED,                   /* enum all_denied_action */
    KIND_SPF_ACTION,                   /* enum spf_action */
    KIND_JOURNAL_FAILURE,              /* enum journal_failure_action */
    KIND_CONTENT_CHECK,                /* enum content_check_action */
    KIND_STRINGS,                      /* struct string_list: [ "a", "b" ] */
    KIND_LISTS,                        /* the lists of struct optin_config */
    KIND_MATCH,                        /* a group of match_keys[] */
};

struct load_ctx;
struct key_def;

/* check_fn - why the text of a value is wrong for one key, or NULL */
typedef const char *check_fn(const char *text);
/* store_fn - convert text into a field; why it cannot, or NULL */
typedef const char *store_fn(const char *text, void *field);
/* load_fn - read one setting whose libconfig type the kind accepts */
typedef void load_fn(struct load_ctx *ctx, const config_setting_t *s,
                     const struct key_def *k, void *base, const char *prefix);
/* release_fn - free what a field holds */
typedef void release_fn(void *field);

struct kind_def {
    unsigned accept;                   /* TYPE_BIT()s of the libconfig types it takes */
    const char *what;                  /* for "expected WHAT, not TYPE" */
    load_fn *load;
    store_fn *store;                   /* scalars only */
    release_fn *release;               /* allocated fields only */
};

struct key_def {
    enum key_id key;
    enum value_kind kind;
    const char *def;                   /* default as written in the file; NULL: none or inherited */
    check_fn *check;                   /* NULL: the kind's conversion is the only check */
    size_t offset;                     /* in struct optin_config (global) or struct list_def */
};

/* A list key that takes the global value of the same name unless the list sets its own. */
struct inherit_def {
    enum key_id key;
    size_t global_offset;              /* in struct optin_config */
    size_t list_offset;                /* in struct list_def */
    size_t size;
};

#define TYPE_BIT(t) (1u << (t))
#define INTEGER_TYPES (TYPE_BIT(CONFIG_TYPE_INT) | TYPE_BIT(CONFIG_TYPE_INT64))

/* config_keys.c: what the keys are */
extern const char *const key_names[KEY_COUNT + 1];
extern const struct kind_def kinds[];
extern const struct key_def global_keys[], list_keys[], match_keys[];
extern const size_t global_key_count, list_key_count, match_key_count;
extern const struct inherit_def list_inherits[];
extern const size_t list_inherit_count;
extern const char cfg_no_memory[];
/* cfg_check_nonempty - any string but "" */
check_fn cfg_check_nonempty;
/* cfg_release_strings - free a struct string_list field */
release_fn cfg_release_strings;

/* config.c: how settings are read (named by kinds[]) */
load_fn cfg_load_scalar, cfg_load_strings, cfg_load_lists, cfg_load_match;

#endif
