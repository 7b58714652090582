/*
 * NAME
 *	config 3
 * SUMMARY
 *	the one configuration file shared by optin-milter and optinctl
 * SYNOPSIS
 *	#include "config.h"
 *
 *	struct optin_config *config_load(const char *path, char *err, size_t errsz)
 *	void	config_free(struct optin_config *cfg)
 *	const struct list_def *config_find_list(const struct optin_config *cfg,
 *						const char *id)
 *	const char *const *config_key_names(void)
 * DESCRIPTION
 *	config_load() reads one file in libconfig syntax and returns it as a
 *	struct optin_config, every default applied. A NULL path means
 *	OPTIN_DEFAULT_CONFIG. @include paths are relative to the directory
 *	of the file.
 *
 *	Every key is described once, in the tables global_keys[],
 *	list_keys[] and match_keys[]: its name, its kind (which libconfig
 *	types it accepts and how its text becomes a field), its default
 *	written as it would be in the file, and an optional validator that
 *	returns the reason a value is wrong (NULL = fine). Defaults go
 *	through the same validator and converter as values from the file.
 *	The parse walks the file: a setting no table knows is an error.
 *
 *	A list without its own mode takes the global mode, whichever comes
 *	first in the file: that default is resolved after the whole file
 *	has been read. List ids must be unique, ignoring case;
 *	config_find_list() compares them exactly.
 *
 *	config_free() releases a configuration (NULL is fine); the same
 *	tables say which fields are allocated.
 *
 *	config_key_names() is the NULL-terminated list of every key name
 *	the parser accepts, for the check that optin-milter.conf(5)
 *	documents each one.
 * DIAGNOSTICS
 *	config_load() returns NULL after it has collected every problem in
 *	err, one line each, every line ending in a newline, the whole cut
 *	off at errsz bytes (always NUL-terminated):
 *
 *	FILE: cannot read: STRERROR
 *		the file cannot be opened, or is a directory;
 *	FILE:LINE: LIBCONFIG-MESSAGE
 *		a syntax error, a duplicate setting or a missing
 *		@include file, as libconfig reports it;
 *	FILE:LINE: KEY: unknown key
 *	FILE:LINE: KEY: expected TYPE, not TYPE
 *	FILE:LINE: KEY: expected WHAT (got "VALUE")
 *		a value the validator or converter refused;
 *	FILE:LINE: lists[N].id: missing, ...
 *	FILE:LINE: lists[N].id: expected a unique id, ...
 *
 *	KEY is the path of the setting: "socket", "lists[0].opt_in",
 *	"lists[1].match.list_id[2]" (list indexes count from 0, as in
 *	libconfig paths). "out of memory" can stand for WHAT.
 * BUGS
 *	libconfig 1.5 truncates a plain integer above 2147483647 to 32 bits
 *	without a word; only the L suffix makes it 64 bits. The manual page
 *	says to write sizes as strings. It reports a syntax error inside an
 *	included file against the including file.
 * SEE ALSO
 *	optin-milter.conf(5), the libconfig manual, timeutil(3)
 */

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "config.h"
#include "timeutil.h"
#include "unsubscribe.h"

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
    KEY_PIDFILE,
    KEY_LOG_TARGET,
    KEY_SYSLOG_FACILITY,
    KEY_JOURNAL,
    KEY_MODE,
    KEY_MARKER_HEADER,
    KEY_KEYS,
    KEY_UNSUBSCRIBE_URL,
    KEY_UNSUBSCRIBE_MAILTO,
    KEY_UNATTRIBUTED_BULK,
    KEY_STORE_FAILURE,
    KEY_ALL_RECIPIENTS_DENIED,
    KEY_ONE_RECIPIENT_PER_MESSAGE,
    KEY_VERDICT_HEADER,
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

static const char *const key_names[KEY_COUNT + 1] = {
    [KEY_DATABASE] = "database",
    [KEY_MAP_SIZE] = "map_size",
    [KEY_MAX_READERS] = "max_readers",
    [KEY_FOLD_LOCAL_PART] = "fold_local_part",
    [KEY_CONFIRM_TTL] = "confirm_ttl",
    [KEY_SOCKET] = "socket",
    [KEY_SOCKET_MODE] = "socket_mode",
    [KEY_USER] = "user",
    [KEY_GROUP] = "group",
    [KEY_PIDFILE] = "pidfile",
    [KEY_LOG_TARGET] = "log_target",
    [KEY_SYSLOG_FACILITY] = "syslog_facility",
    [KEY_JOURNAL] = "journal",
    [KEY_MODE] = "mode",
    [KEY_MARKER_HEADER] = "marker_header",
    [KEY_KEYS] = "keys",
    [KEY_UNSUBSCRIBE_URL] = "unsubscribe_url",
    [KEY_UNSUBSCRIBE_MAILTO] = "unsubscribe_mailto",
    [KEY_UNATTRIBUTED_BULK] = "unattributed_bulk",
    [KEY_STORE_FAILURE] = "store_failure",
    [KEY_ALL_RECIPIENTS_DENIED] = "all_recipients_denied",
    [KEY_ONE_RECIPIENT_PER_MESSAGE] = "one_recipient_per_message",
    [KEY_VERDICT_HEADER] = "verdict_header",
    [KEY_LISTS] = "lists",
    [KEY_ID] = "id",
    [KEY_OPT_IN] = "opt_in",
    [KEY_MAX_CONSENT_AGE] = "max_consent_age",
    [KEY_MATCH] = "match",
    [KEY_ENVELOPE_FROM] = "envelope_from",
    [KEY_LIST_ID] = "list_id",
    [KEY_AUTH_USER] = "auth_user",
    [KEY_DAEMON_NAME] = "daemon_name",
    [KEY_COUNT] = NULL,
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

/* Where config_load() is: the result so far and the error text. */
struct load_ctx {
    const char *path;
    const char *dir;                   /* directory of path, for @include */
    char *err;
    size_t errsz;
    size_t len;                        /* bytes in err, without the NUL */
    unsigned nerr;
};

struct name_value {
    const char *name;
    int value;
};

#define TYPE_BIT(t) (1u << (t))
#define INTEGER_TYPES (TYPE_BIT(CONFIG_TYPE_INT) | TYPE_BIT(CONFIG_TYPE_INT64))
#define MAX_READERS_LIMIT 32767
#define LIST_ID_MAX 64
#define PREFIX_MAX 64
#define URL_MAX 400                    /* octets of unsubscribe_url, before the token */
#define MAILTO_MAX 254                 /* octets of unsubscribe_mailto (RFC 5321 path limit) */
#define VALUE_SHOWN 48

static const char no_memory[] = "out of memory";

/* ---- reporting ---- */

/* vappend - add formatted text to err, cut at errsz */
__attribute__((format(printf, 2, 0)))
static void vappend(struct load_ctx *ctx, const char *fmt, va_list ap)
{
    size_t room;
    int n;

    if (ctx->err == NULL || ctx->len + 1 >= ctx->errsz)
        return;
    room = ctx->errsz - ctx->len;
    n = vsnprintf(ctx->err + ctx->len, room, fmt, ap);
    if (n < 0)
        ctx->err[ctx->len] = '\0';
    else
        ctx->len += (size_t) n < room ? (size_t) n : room - 1;
}

/* append - vappend() with arguments */
__attribute__((format(printf, 2, 3)))
static void append(struct load_ctx *ctx, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vappend(ctx, fmt, ap);
    va_end(ap);
}

/* report - one "FILE:LINE: PREFIXKEY: message" line about setting s */
__attribute__((format(printf, 5, 6)))
static void report(struct load_ctx *ctx, const config_setting_t *s, const char *prefix,
                   const char *key, const char *fmt, ...)
{
    const char *file = s != NULL ? config_setting_source_file(s) : NULL;
    unsigned line = s != NULL ? config_setting_source_line(s) : 0;
    va_list ap;

    ctx->nerr++;
    if (file == NULL || strcmp(file, ctx->path) == 0)
        append(ctx, "%s:", ctx->path);
    else if (*file != '/' && ctx->dir != NULL)
        append(ctx, "%s/%s:", ctx->dir, file);      /* @include "name", as libconfig found it */
    else
        append(ctx, "%s:", file);
    if (line > 0)
        append(ctx, "%u:", line);
    append(ctx, " %s%s: ", prefix, key);
    va_start(ap, fmt);
    vappend(ctx, fmt, ap);
    va_end(ap);
    append(ctx, "\n");
}

/* shown - a value cut short and with control characters replaced, for messages */
static const char *shown(const char *text, char buf[VALUE_SHOWN + 4])
{
    size_t i;

    for (i = 0; text[i] != '\0' && i < VALUE_SHOWN; i++)
        buf[i] = (unsigned char) text[i] < 0x20 || text[i] == 0x7f ? '?' : text[i];
    strcpy(buf + i, text[i] != '\0' ? "..." : "");
    return buf;
}

/* type_name - a libconfig type as the messages name it */
static const char *type_name(int type)
{
    static const char *const names[] = {
        [CONFIG_TYPE_NONE] = "nothing",
        [CONFIG_TYPE_GROUP] = "a group",
        [CONFIG_TYPE_INT] = "an integer",
        [CONFIG_TYPE_INT64] = "a 64-bit integer",
        [CONFIG_TYPE_FLOAT] = "a float",
        [CONFIG_TYPE_STRING] = "a string",
        [CONFIG_TYPE_BOOL] = "a boolean",
        [CONFIG_TYPE_ARRAY] = "an array",
        [CONFIG_TYPE_LIST] = "a list",
    };

    if (type < 0 || (size_t) type >= sizeof names / sizeof names[0])
        return "an unknown type";
    return names[type];
}

/* ---- validators: the reason a text is wrong for one key, or NULL ---- */

/* find_name - the entry of a NULL-terminated name table, or NULL */
static const struct name_value *find_name(const struct name_value *table, const char *name)
{
    for (; table->name != NULL; table++)
        if (strcmp(table->name, name) == 0)
            return table;
    return NULL;
}

/* check_nonempty - any string but "" */
static const char *check_nonempty(const char *text)
{
    return *text != '\0' ? NULL : "expected a non-empty string";
}

/* check_readers - LMDB reader slots: 1..32767 */
static const char *check_readers(const char *text)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1 || v > MAX_READERS_LIMIT)
        return "expected an integer from 1 to 32767";
    return NULL;
}

/* check_positive_duration - a duration that is not 0 */
static const char *check_positive_duration(const char *text)
{
    int64_t v;

    if (duration_parse(text, &v) == 0 && v == 0)
        return "expected a duration greater than 0";
    return NULL;
}

/* check_socket_path - an absolute path that fits in sun_path */
static const char *check_socket_path(const char *path)
{
    if (*path != '/')
        return "expected an absolute socket path after unix:";
    if (strlen(path) >= sizeof(((struct sockaddr_un *) 0)->sun_path))
        return "expected a socket path shorter than 108 bytes";
    return NULL;
}

/* check_socket_port - PORT or PORT@HOST: a port number or service name, an optional host */
static const char *check_socket_port(const char *spec)
{
    static const char reason[] = "expected inet:PORT@HOST with a port from 1 to 65535";
    size_t n = strcspn(spec, "@");
    size_t digits = strspn(spec, "0123456789");
    size_t i;

    if (n == 0 || (spec[n] == '@' && spec[n + 1] == '\0'))
        return reason;
    if (digits == n)
        return n <= 5 && atol(spec) >= 1 && atol(spec) <= 65535 ? NULL : reason;
    for (i = 0; i < n; i++)
        if (!(spec[i] == '-' || (spec[i] >= 'a' && spec[i] <= 'z') || (spec[i] >= '0' && spec[i] <= '9')))
            return reason;
    return NULL;
}

/* check_socket - a libmilter connection spec: unix:/path, local:/path, inet:PORT@HOST, inet6:... or /path */
static const char *check_socket(const char *text)
{
    if (strncmp(text, "unix:", 5) == 0)
        return check_socket_path(text + 5);
    if (strncmp(text, "local:", 6) == 0)
        return check_socket_path(text + 6);
    if (strncmp(text, "inet:", 5) == 0)
        return check_socket_port(text + 5);
    if (strncmp(text, "inet6:", 6) == 0)
        return check_socket_port(text + 6);
    if (*text == '/')
        return check_socket_path(text);
    return "expected unix:/PATH, inet:PORT@HOST or inet6:PORT@HOST";
}

/* check_log_target - "syslog" or "stderr" */
static const char *check_log_target(const char *text)
{
    static const struct name_value targets[] = {{"syslog", 0}, {"stderr", 0}, {NULL, 0}};

    return find_name(targets, text) != NULL ? NULL : "expected \"syslog\" or \"stderr\"";
}

/* check_facility - the syslog facilities a mail daemon may use */
static const char *check_facility(const char *text)
{
    static const struct name_value facilities[] = {
        {"mail", 0}, {"daemon", 0}, {"local0", 0}, {"local1", 0}, {"local2", 0},
        {"local3", 0}, {"local4", 0}, {"local5", 0}, {"local6", 0}, {"local7", 0},
        {NULL, 0},
    };

    if (find_name(facilities, text) == NULL)
        return "expected \"mail\", \"daemon\" or \"local0\" to \"local7\"";
    return NULL;
}

/* check_field_name - an RFC 5322 field name: printable US-ASCII except ":" */
static const char *check_field_name(const char *text)
{
    const char *p;

    for (p = text; *p != '\0'; p++)
        if (*p < 33 || *p > 126 || *p == ':')
            break;
    if (p == text || *p != '\0')
        return "expected a header field name (printable ASCII, no spaces or \":\")";
    return NULL;
}

/* check_list_id - a list id: 1 to 64 of [A-Za-z0-9._-] */
static const char *check_list_id(const char *text)
{
    static const char allowed[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
    size_t n = strspn(text, allowed);

    if (n == 0 || n > LIST_ID_MAX || text[n] != '\0')
        return "expected 1 to 64 characters from A-Z a-z 0-9 . _ -";
    return NULL;
}

/* check_list_id_value - an RFC 2919 List-Id as it appears between the angle brackets */
static const char *check_list_id_value(const char *text)
{
    if (strpbrk(text, "<> \t\r\n") != NULL)
        return "expected a List-Id value without <> or spaces, like \"news.example.org\"";
    return NULL;
}

/* check_unsubscribe_url - an https:// base URL that goes into List-Unsubscribe as it is */
static const char *check_unsubscribe_url(const char *text)
{
    char probe[UNSUB_VALUE_BUFSZ];
    const char *p;

    if (strncasecmp(text, "https://", 8) != 0)
        return "expected a URL starting with https://";
    if (text[8] == '\0' || text[8] == '/')
        return "expected a host name after https://";
    if (strlen(text) > URL_MAX)
        return "expected a URL of at most 400 octets";
    for (p = text; *p != '\0'; p++)
        if (*p < 33 || *p > 126 || strchr("<>,\"", *p) != NULL)
            return "expected a URL of printable ASCII without spaces, <, >, \",\" or '\"'";
    if (unsub_value(NULL, text, "AAAA", probe, sizeof(probe)) != 0)
        return "expected a URL the List-Unsubscribe header can carry as it is "
               "(no '#' or characters that need escaping)";
    return NULL;
}

/* check_dot_atom - text is labels of allowed characters separated by single dots */
static int check_dot_atom(const char *text, size_t len, const char *allowed)
{
    size_t i;

    if (len == 0 || text[0] == '.' || text[len - 1] == '.')
        return 0;
    for (i = 0; i < len; i++) {
        if (text[i] == '.' ? text[i + 1] == '.' : strchr(allowed, text[i]) == NULL)
            return 0;
    }
    return 1;
}

/*
 * check_unsubscribe_mailto - a plain address local@domain that goes into a mailto: URI as it is:
 * the local part a dot-atom of RFC 5322 atext without ?, % and # (they mean something in a URI),
 * the domain a host name.
 */
static const char *check_unsubscribe_mailto(const char *text)
{
#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    static const char local_chars[] = ALNUM "!$&'*+-/=^_`{|}~";
    static const char domain_chars[] = ALNUM "-";
#undef ALNUM
    const char *at = strchr(text, '@');
    char probe[UNSUB_VALUE_BUFSZ];

    if (strlen(text) > MAILTO_MAX)
        return "expected an address of at most 254 octets";
    if (at == NULL || strchr(at + 1, '@') != NULL
        || !check_dot_atom(text, (size_t) (at - text), local_chars)
        || !check_dot_atom(at + 1, strlen(at + 1), domain_chars))
        return "expected a plain address local@domain in ASCII, without spaces, quotes or <>,?%#";
    if (unsub_value(text, NULL, "AAAA", probe, sizeof(probe)) != 0)
        return "expected an address a mailto: URI can carry without escaping "
               "(letters, digits and . _ + - = ! $ & ' * ~ in the local part)";
    return NULL;
}

/* ---- converters: text to field ---- */

/* store_string - a copy of the text */
static const char *store_string(const char *text, void *field)
{
    char **p = field;
    char *copy = strdup(text);

    if (copy == NULL)
        return no_memory;
    free(*p);
    *p = copy;
    return NULL;
}

/* store_size - bytes from "4G" or an integer */
static const char *store_size(const char *text, void *field)
{
    uint64_t v;

    if (size_parse(text, &v) < 0 || v == 0)
        return "expected a size like \"4G\" (units K, M, G, T) or a number of bytes";
    *(uint64_t *) field = v;
    return NULL;
}

/* store_uint - an unsigned integer */
static const char *store_uint(const char *text, void *field)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(text, &end, 10);
    if (errno != 0 || *end != '\0' || *text == '-' || v > UINT32_MAX)
        return "expected a non-negative integer";
    *(unsigned *) field = (unsigned) v;
    return NULL;
}

/* store_bool - the text of a libconfig boolean */
static const char *store_bool(const char *text, void *field)
{
    *(int *) field = strcmp(text, "true") == 0;
    return NULL;
}

/* store_duration - seconds from "7d" or an integer */
static const char *store_duration(const char *text, void *field)
{
    int64_t v;

    if (duration_parse(text, &v) < 0)
        return "expected a duration like \"7d\" (units s, m, h, d, w) or a number of seconds";
    *(int64_t *) field = v;
    return NULL;
}

/* store_octal - a file mode written "0660" or "660" */
static const char *store_octal(const char *text, void *field)
{
    size_t n = strspn(text, "01234567");
    unsigned long v = strtoul(text, NULL, 8);

    if (n < 3 || n > 4 || text[n] != '\0' || v > 0777)
        return "expected an octal mode string like \"0660\"";
    *(unsigned *) field = (unsigned) v;
    return NULL;
}

/* store_mode - "enforce" or "monitor" */
static const char *store_mode(const char *text, void *field)
{
    static const struct name_value modes[] = {
        {"enforce", MODE_ENFORCE}, {"monitor", MODE_MONITOR}, {NULL, 0},
    };
    const struct name_value *m = find_name(modes, text);

    if (m == NULL)
        return "expected \"enforce\" or \"monitor\"";
    *(enum enforce_mode *) field = (enum enforce_mode) m->value;
    return NULL;
}

/* store_opt_in - "single" or "double" */
static const char *store_opt_in(const char *text, void *field)
{
    static const struct name_value opt_ins[] = {
        {"single", OPT_IN_SINGLE}, {"double", OPT_IN_DOUBLE}, {NULL, 0},
    };
    const struct name_value *m = find_name(opt_ins, text);

    if (m == NULL)
        return "expected \"single\" or \"double\"";
    *(enum opt_in_kind *) field = (enum opt_in_kind) m->value;
    return NULL;
}

/* store_bulk - "reject", "tempfail" or "accept" */
static const char *store_bulk(const char *text, void *field)
{
    static const struct name_value actions[] = {
        {"reject", BULK_REJECT}, {"tempfail", BULK_TEMPFAIL}, {"accept", BULK_ACCEPT}, {NULL, 0},
    };
    const struct name_value *m = find_name(actions, text);

    if (m == NULL)
        return "expected \"reject\", \"tempfail\" or \"accept\"";
    *(enum bulk_action *) field = (enum bulk_action) m->value;
    return NULL;
}

/* store_store_failure - "tempfail" or "accept" */
static const char *store_store_failure(const char *text, void *field)
{
    static const struct name_value actions[] = {
        {"tempfail", STORE_FAIL_TEMPFAIL}, {"accept", STORE_FAIL_ACCEPT}, {NULL, 0},
    };
    const struct name_value *m = find_name(actions, text);

    if (m == NULL)
        return "expected \"tempfail\" or \"accept\"";
    *(enum store_failure_action *) field = (enum store_failure_action) m->value;
    return NULL;
}

/* store_all_denied - "reject" or "discard" */
static const char *store_all_denied(const char *text, void *field)
{
    static const struct name_value actions[] = {
        {"reject", ALL_DENIED_REJECT}, {"discard", ALL_DENIED_DISCARD}, {NULL, 0},
    };
    const struct name_value *m = find_name(actions, text);

    if (m == NULL)
        return "expected \"reject\" or \"discard\"";
    *(enum all_denied_action *) field = (enum all_denied_action) m->value;
    return NULL;
}

/* release_string - free a char * field */
static void release_string(void *field)
{
    free(*(char **) field);
    *(char **) field = NULL;
}

/* release_strings - free a struct string_list field */
static void release_strings(void *field)
{
    struct string_list *sl = field;

    for (size_t i = 0; i < sl->count; i++)
        free(sl->items[i]);
    free(sl->items);
    sl->items = NULL;
    sl->count = 0;
}

/* ---- the tables ---- */

static load_fn load_scalar, load_strings, load_lists, load_match;

static const struct kind_def kinds[] = {
    [KIND_STRING] = {.accept = TYPE_BIT(CONFIG_TYPE_STRING), .what = "a string",
                     .load = load_scalar, .store = store_string, .release = release_string},
    [KIND_SIZE] = {.accept = TYPE_BIT(CONFIG_TYPE_STRING) | INTEGER_TYPES,
                   .what = "a size like \"4G\" or a number of bytes",
                   .load = load_scalar, .store = store_size},
    [KIND_UINT] = {.accept = INTEGER_TYPES, .what = "an integer",
                   .load = load_scalar, .store = store_uint},
    [KIND_BOOL] = {.accept = TYPE_BIT(CONFIG_TYPE_BOOL), .what = "true or false",
                   .load = load_scalar, .store = store_bool},
    [KIND_DURATION] = {.accept = TYPE_BIT(CONFIG_TYPE_STRING) | INTEGER_TYPES,
                       .what = "a duration like \"7d\" or a number of seconds",
                       .load = load_scalar, .store = store_duration},
    [KIND_OCTAL] = {.accept = TYPE_BIT(CONFIG_TYPE_STRING),
                    .what = "an octal mode string like \"0660\"",
                    .load = load_scalar, .store = store_octal},
    [KIND_MODE] = {.accept = TYPE_BIT(CONFIG_TYPE_STRING), .what = "\"enforce\" or \"monitor\"",
                   .load = load_scalar, .store = store_mode},
    [KIND_OPT_IN] = {.accept = TYPE_BIT(CONFIG_TYPE_STRING), .what = "\"single\" or \"double\"",
                     .load = load_scalar, .store = store_opt_in},
    [KIND_BULK] = {.accept = TYPE_BIT(CONFIG_TYPE_STRING),
                   .what = "\"reject\", \"tempfail\" or \"accept\"",
                   .load = load_scalar, .store = store_bulk},
    [KIND_STORE_FAILURE] = {.accept = TYPE_BIT(CONFIG_TYPE_STRING), .what = "\"tempfail\" or \"accept\"",
                            .load = load_scalar, .store = store_store_failure},
    [KIND_ALL_DENIED] = {.accept = TYPE_BIT(CONFIG_TYPE_STRING), .what = "\"reject\" or \"discard\"",
                         .load = load_scalar, .store = store_all_denied},
    [KIND_STRINGS] = {.accept = TYPE_BIT(CONFIG_TYPE_ARRAY) | TYPE_BIT(CONFIG_TYPE_LIST),
                      .what = "an array of strings [ \"...\", ... ]",
                      .load = load_strings, .release = release_strings},
    [KIND_LISTS] = {.accept = TYPE_BIT(CONFIG_TYPE_LIST) | TYPE_BIT(CONFIG_TYPE_ARRAY),
                    .what = "a list of groups ( { id = \"...\"; }, ... )", .load = load_lists},
    [KIND_MATCH] = {.accept = TYPE_BIT(CONFIG_TYPE_GROUP), .what = "a group { ... }",
                    .load = load_match},
};

#define GLOBAL(field) offsetof(struct optin_config, field)
#define LIST(field) offsetof(struct list_def, field)

static const struct key_def global_keys[] = {
    {.key = KEY_DATABASE, .kind = KIND_STRING, .def = OPTIN_DEFAULT_DATABASE,
     .check = check_nonempty, .offset = GLOBAL(database)},
    {.key = KEY_MAP_SIZE, .kind = KIND_SIZE, .def = "4G", .offset = GLOBAL(map_size)},
    {.key = KEY_MAX_READERS, .kind = KIND_UINT, .def = "512", .check = check_readers,
     .offset = GLOBAL(max_readers)},
    {.key = KEY_FOLD_LOCAL_PART, .kind = KIND_BOOL, .def = "true", .offset = GLOBAL(fold_local_part)},
    {.key = KEY_CONFIRM_TTL, .kind = KIND_DURATION, .def = "7d", .check = check_positive_duration,
     .offset = GLOBAL(confirm_ttl)},
    {.key = KEY_SOCKET, .kind = KIND_STRING, .def = "unix:/run/optin-milter/optin-milter.sock",
     .check = check_socket, .offset = GLOBAL(socket)},
    {.key = KEY_SOCKET_MODE, .kind = KIND_OCTAL, .def = "0660", .offset = GLOBAL(socket_mode)},
    {.key = KEY_USER, .kind = KIND_STRING, .check = check_nonempty, .offset = GLOBAL(user)},
    {.key = KEY_GROUP, .kind = KIND_STRING, .check = check_nonempty, .offset = GLOBAL(group)},
    {.key = KEY_PIDFILE, .kind = KIND_STRING, .check = check_nonempty, .offset = GLOBAL(pidfile)},
    {.key = KEY_LOG_TARGET, .kind = KIND_STRING, .def = "syslog", .check = check_log_target,
     .offset = GLOBAL(log_target)},
    {.key = KEY_SYSLOG_FACILITY, .kind = KIND_STRING, .def = "mail", .check = check_facility,
     .offset = GLOBAL(syslog_facility)},
    {.key = KEY_JOURNAL, .kind = KIND_STRING, .check = check_nonempty, .offset = GLOBAL(journal)},
    {.key = KEY_MODE, .kind = KIND_MODE, .def = "enforce", .offset = GLOBAL(mode)},
    {.key = KEY_MARKER_HEADER, .kind = KIND_STRING, .def = "X-Optin-List",
     .check = check_field_name, .offset = GLOBAL(marker_header)},
    {.key = KEY_KEYS, .kind = KIND_STRING, .def = OPTIN_DEFAULT_KEYS, .check = check_nonempty,
     .offset = GLOBAL(keys)},
    {.key = KEY_UNSUBSCRIBE_URL, .kind = KIND_STRING, .check = check_unsubscribe_url,
     .offset = GLOBAL(unsubscribe_url)},
    {.key = KEY_UNSUBSCRIBE_MAILTO, .kind = KIND_STRING, .check = check_unsubscribe_mailto,
     .offset = GLOBAL(unsubscribe_mailto)},
    {.key = KEY_UNATTRIBUTED_BULK, .kind = KIND_BULK, .def = "reject", .offset = GLOBAL(unattributed_bulk)},
    {.key = KEY_STORE_FAILURE, .kind = KIND_STORE_FAILURE, .def = "tempfail",
     .offset = GLOBAL(store_failure)},
    {.key = KEY_ALL_RECIPIENTS_DENIED, .kind = KIND_ALL_DENIED, .def = "reject",
     .offset = GLOBAL(all_recipients_denied)},
    {.key = KEY_ONE_RECIPIENT_PER_MESSAGE, .kind = KIND_BOOL, .def = "false",
     .offset = GLOBAL(one_recipient_per_message)},
    {.key = KEY_VERDICT_HEADER, .kind = KIND_STRING, .def = "X-Optin-Verdict", .check = check_field_name,
     .offset = GLOBAL(verdict_header)},
    {.key = KEY_LISTS, .kind = KIND_LISTS},
};

static const struct key_def list_keys[] = {
    {.key = KEY_ID, .kind = KIND_STRING, .check = check_list_id, .offset = LIST(id)},
    {.key = KEY_OPT_IN, .kind = KIND_OPT_IN, .def = "double", .offset = LIST(opt_in)},
    {.key = KEY_MAX_CONSENT_AGE, .kind = KIND_DURATION, .def = "0", .offset = LIST(max_consent_age)},
    /* no default here: the global mode, set by inherit_list_modes() */
    {.key = KEY_MODE, .kind = KIND_MODE, .offset = LIST(mode)},
    /* no default: NULL means the global one */
    {.key = KEY_UNSUBSCRIBE_URL, .kind = KIND_STRING, .check = check_unsubscribe_url,
     .offset = LIST(unsubscribe_url)},
    {.key = KEY_UNSUBSCRIBE_MAILTO, .kind = KIND_STRING, .check = check_unsubscribe_mailto,
     .offset = LIST(unsubscribe_mailto)},
    {.key = KEY_MATCH, .kind = KIND_MATCH},
};

static const struct key_def match_keys[] = {
    {.key = KEY_ENVELOPE_FROM, .kind = KIND_STRINGS, .offset = LIST(match_envelope_from)},
    {.key = KEY_LIST_ID, .kind = KIND_STRINGS, .check = check_list_id_value,
     .offset = LIST(match_list_id)},
    {.key = KEY_AUTH_USER, .kind = KIND_STRINGS, .offset = LIST(match_auth_user)},
    {.key = KEY_DAEMON_NAME, .kind = KIND_STRINGS, .offset = LIST(match_daemon_name)},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- loading ---- */

/* field_of - the field a key describes inside base */
static void *field_of(void *base, const struct key_def *k)
{
    return (char *) base + k->offset;
}

/* set_value - validate text for key k and store it; the reason it is wrong, or NULL */
static const char *set_value(const struct key_def *k, const char *text, void *base)
{
    const char *reason = k->check != NULL ? k->check(text) : NULL;

    return reason != NULL ? reason : kinds[k->kind].store(text, field_of(base, k));
}

/* scalar_text - the value of a string, integer or boolean setting as text */
static const char *scalar_text(const config_setting_t *s, char *buf, size_t size)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_STRING:
        return config_setting_get_string(s);
    case CONFIG_TYPE_BOOL:
        return config_setting_get_bool(s) ? "true" : "false";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        snprintf(buf, size, "%lld", config_setting_get_int64(s));
        return buf;
    default:
        return "";
    }
}

/* load_scalar - validate and store one string, integer or boolean setting */
static void load_scalar(struct load_ctx *ctx, const config_setting_t *s,
                        const struct key_def *k, void *base, const char *prefix)
{
    char num[32];
    char seen[VALUE_SHOWN + 4];
    const char *text = scalar_text(s, num, sizeof num);
    const char *reason = set_value(k, text, base);

    if (reason != NULL)
        report(ctx, s, prefix, key_names[k->key], "%s (got \"%s\")", reason, shown(text, seen));
}

/* load_strings - an array of non-empty strings, each validated */
static void load_strings(struct load_ctx *ctx, const config_setting_t *s,
                         const struct key_def *k, void *base, const char *prefix)
{
    struct string_list *sl = field_of(base, k);
    int n = config_setting_length(s);
    char key[PREFIX_MAX];
    char seen[VALUE_SHOWN + 4];

    release_strings(sl);
    if (n <= 0)
        return;
    if ((sl->items = calloc((size_t) n, sizeof *sl->items)) == NULL) {
        report(ctx, s, prefix, key_names[k->key], "%s", no_memory);
        return;
    }
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned) i);
        const char *text, *reason;

        snprintf(key, sizeof key, "%s[%d]", key_names[k->key], i);
        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
            report(ctx, e, prefix, key, "expected a string, not %s", type_name(config_setting_type(e)));
            continue;
        }
        text = config_setting_get_string(e);
        reason = check_nonempty(text);
        if (reason == NULL && k->check != NULL)
            reason = k->check(text);
        if (reason == NULL && (sl->items[sl->count] = strdup(text)) == NULL)
            reason = no_memory;
        if (reason != NULL)
            report(ctx, e, prefix, key, "%s (got \"%s\")", reason, shown(text, seen));
        else
            sl->count++;
    }
}

/* find_key - the entry for a setting name in one table, or NULL */
static const struct key_def *find_key(const struct key_def *table, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (name != NULL && strcmp(key_names[table[i].key], name) == 0)
            return &table[i];
    return NULL;
}

/* load_group - apply a table's defaults to base, then every setting of the group */
static void load_group(struct load_ctx *ctx, const config_setting_t *group,
                       const struct key_def *table, size_t n, void *base, const char *prefix)
{
    int len = config_setting_length(group);

    for (size_t i = 0; i < n; i++) {
        const char *reason;

        if (table[i].def != NULL && (reason = set_value(&table[i], table[i].def, base)) != NULL)
            report(ctx, group, prefix, key_names[table[i].key], "default: %s", reason);
    }
    for (int i = 0; i < len; i++) {
        const config_setting_t *s = config_setting_get_elem(group, (unsigned) i);
        const char *name = config_setting_name(s);
        const struct key_def *k = find_key(table, n, name);
        const struct kind_def *kind;

        if (k == NULL) {
            report(ctx, s, prefix, name != NULL ? name : "?", "unknown key");
            continue;
        }
        kind = &kinds[k->kind];
        if ((kind->accept & TYPE_BIT(config_setting_type(s))) == 0) {
            report(ctx, s, prefix, name, "expected %s, not %s", kind->what,
                   type_name(config_setting_type(s)));
            continue;
        }
        kind->load(ctx, s, k, base, prefix);
    }
}

/* load_match - the match group of one list */
static void load_match(struct load_ctx *ctx, const config_setting_t *s,
                       const struct key_def *k, void *base, const char *prefix)
{
    char sub[PREFIX_MAX];

    snprintf(sub, sizeof sub, "%s%s.", prefix, key_names[k->key]);
    load_group(ctx, s, match_keys, COUNT(match_keys), base, sub);
}

/* check_unique_id - the id of list i differs, ignoring case, from those before it */
static void check_unique_id(struct load_ctx *ctx, const struct optin_config *cfg, size_t i,
                            const config_setting_t *id, const char *prefix)
{
    const struct list_def *l = &cfg->lists[i];

    for (size_t j = 0; j < i; j++) {
        if (cfg->lists[j].id != NULL && strcasecmp(cfg->lists[j].id, l->id) == 0) {
            report(ctx, id, prefix, key_names[KEY_ID],
                   "expected a unique id, \"%s\" is taken by the list at line %d (ignoring case)",
                   l->id, cfg->lists[j].line);
            return;
        }
    }
}

/* load_list - one group of the lists setting */
static void load_list(struct load_ctx *ctx, const config_setting_t *g,
                      struct optin_config *cfg, size_t i)
{
    struct list_def *l = &cfg->lists[i];
    const config_setting_t *id;
    char name[PREFIX_MAX], prefix[PREFIX_MAX + 1];

    snprintf(name, sizeof name, "%s[%zu]", key_names[KEY_LISTS], i);
    snprintf(prefix, sizeof prefix, "%s.", name);
    l->line = (int) config_setting_source_line(g);
    if (!config_setting_is_group(g)) {
        report(ctx, g, "", name, "expected a group { id = \"...\"; }, not %s",
               type_name(config_setting_type(g)));
        return;
    }
    load_group(ctx, g, list_keys, COUNT(list_keys), l, prefix);
    if ((id = config_setting_get_member(g, key_names[KEY_ID])) == NULL)
        report(ctx, g, prefix, key_names[KEY_ID], "missing: every list needs an id");
    else if (l->id != NULL)
        check_unique_id(ctx, cfg, i, id, prefix);
}

/* load_lists - the lists setting: one struct list_def per group */
static void load_lists(struct load_ctx *ctx, const config_setting_t *s,
                       const struct key_def *k, void *base, const char *prefix)
{
    struct optin_config *cfg = base;
    int n = config_setting_length(s);

    if (n <= 0)
        return;
    if ((cfg->lists = calloc((size_t) n, sizeof *cfg->lists)) == NULL) {
        report(ctx, s, prefix, key_names[k->key], "%s", no_memory);
        return;
    }
    cfg->list_count = (size_t) n;
    for (size_t i = 0; i < cfg->list_count; i++)
        load_list(ctx, config_setting_get_elem(s, (unsigned) i), cfg, i);
}

/* inherit_list_modes - lists without a mode take the global one, wherever it was written */
static void inherit_list_modes(struct optin_config *cfg, const config_setting_t *root)
{
    const config_setting_t *lists = config_setting_get_member(root, key_names[KEY_LISTS]);

    for (size_t i = 0; lists != NULL && i < cfg->list_count; i++) {
        const config_setting_t *g = config_setting_get_elem(lists, (unsigned) i);

        if (g != NULL && config_setting_is_group(g)
            && config_setting_get_member(g, key_names[KEY_MODE]) == NULL)
            cfg->lists[i].mode = cfg->mode;
    }
}

/* readable - whether path opens for reading and is not a directory; else report why */
static int readable(struct load_ctx *ctx)
{
    FILE *fp = fopen(ctx->path, "r");
    struct stat st;
    int error = 0;

    if (fp == NULL)
        error = errno;
    else if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode))
        error = EISDIR;
    if (fp != NULL)
        fclose(fp);
    if (error != 0) {
        ctx->nerr++;
        append(ctx, "%s: cannot read: %s\n", ctx->path, strerror(error));
    }
    return error == 0;
}

/* dir_of - the directory part of a path, allocated: "." for "x.conf", "/" for "/x.conf" */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash == NULL ? 0 : slash == path ? 1 : (size_t) (slash - path);
    char *dir = malloc(n + 2);

    if (dir != NULL) {
        memcpy(dir, n > 0 ? path : ".", n > 0 ? n : 1);
        dir[n > 0 ? n : 1] = '\0';
    }
    return dir;
}

/* read_file - let libconfig parse the file, @include relative to its directory */
static int read_file(struct load_ctx *ctx, config_t *lc)
{
    const char *file;

    if (ctx->dir != NULL)
        config_set_include_dir(lc, ctx->dir);
    if (config_read_file(lc, ctx->path) == CONFIG_TRUE)
        return 1;
    file = config_error_file(lc) != NULL ? config_error_file(lc) : ctx->path;
    ctx->nerr++;
    if (config_error_type(lc) == CONFIG_ERR_FILE_IO)
        append(ctx, "%s: cannot read: %s\n", file, config_error_text(lc));
    else
        append(ctx, "%s:%d: %s\n", file, config_error_line(lc), config_error_text(lc));
    return 0;
}

/* ---- interface ---- */

/* config_load - read and validate a configuration file */
struct optin_config *config_load(const char *path, char *err, size_t errsz)
{
    struct load_ctx ctx = {
        .path = path != NULL ? path : OPTIN_DEFAULT_CONFIG,
        .err = errsz > 0 ? err : NULL,
        .errsz = err != NULL ? errsz : 0,
    };
    struct optin_config *cfg = NULL;
    char *dir;
    config_t lc;

    if (ctx.err != NULL)
        ctx.err[0] = '\0';
    if (!readable(&ctx))
        return NULL;
    ctx.dir = dir = dir_of(ctx.path);
    config_init(&lc);
    if (read_file(&ctx, &lc)) {
        if ((cfg = calloc(1, sizeof *cfg)) == NULL || (cfg->path = strdup(ctx.path)) == NULL) {
            ctx.nerr++;
            append(&ctx, "%s: %s\n", ctx.path, no_memory);
        } else {
            load_group(&ctx, config_root_setting(&lc), global_keys, COUNT(global_keys), cfg, "");
            inherit_list_modes(cfg, config_root_setting(&lc));
        }
    }
    config_destroy(&lc);
    free(dir);
    if (ctx.nerr > 0) {
        config_free(cfg);
        return NULL;
    }
    return cfg;
}

/* release_fields - free the allocated fields a table describes in base */
static void release_fields(const struct key_def *table, size_t n, void *base)
{
    for (size_t i = 0; i < n; i++)
        if (kinds[table[i].kind].release != NULL)
            kinds[table[i].kind].release(field_of(base, &table[i]));
}

/* config_free - release everything config_load allocated */
void config_free(struct optin_config *cfg)
{
    if (cfg == NULL)
        return;
    for (size_t i = 0; i < cfg->list_count; i++) {
        release_fields(list_keys, COUNT(list_keys), &cfg->lists[i]);
        release_fields(match_keys, COUNT(match_keys), &cfg->lists[i]);
    }
    free(cfg->lists);
    release_fields(global_keys, COUNT(global_keys), cfg);
    free(cfg->path);
    free(cfg);
}

/* config_find_list - the list with exactly that id, or NULL */
const struct list_def *config_find_list(const struct optin_config *cfg, const char *id)
{
    if (cfg == NULL || id == NULL)
        return NULL;
    for (size_t i = 0; i < cfg->list_count; i++)
        if (cfg->lists[i].id != NULL && strcmp(cfg->lists[i].id, id) == 0)
            return &cfg->lists[i];
    return NULL;
}

/* config_key_names - every key name the parser accepts, NULL-terminated */
const char *const *config_key_names(void)
{
    return key_names;
}
