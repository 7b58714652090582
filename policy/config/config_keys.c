/*
 * NAME
 *	config_keys 3
 * SUMMARY
 *	the keys of optin-milter.conf: names, validators, converters, tables
 * SYNOPSIS
 *	#include "config/config_keys.h"	(config.c and this file only)
 *
 *	const char *const key_names[];
 *	const struct kind_def kinds[];
 *	const struct key_def global_keys[], list_keys[], match_keys[];
 *	const struct inherit_def list_inherits[];
 * DESCRIPTION
 *	Every key config_load() accepts is described here once: its name in
 *	key_names[], and in global_keys[], list_keys[] or match_keys[] its
 *	kind, its default as written in the file and an optional validator
 *	that returns the reason a value is wrong (NULL = fine). kinds[] says
 *	which libconfig types a kind accepts, which loader of config.c
 *	reads it, how its text becomes a field and how the field is freed.
 *	list_inherits[] names the list keys that take the global value of
 *	the same name when a list does not set its own (mode, spf_fail,
 *	spf_softfail, spf_error).
 *
 *	The tables live apart from config.c, which walks them, so that each
 *	file stays short; nothing else includes config_keys.h.
 * DIAGNOSTICS
 *	Validators and converters return a reason string ("expected ...")
 *	that config.c reports as "FILE:LINE: KEY: reason (got "VALUE")".
 * SEE ALSO
 *	config(3), optin-milter.conf(5)
 */

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config_keys.h"
#include "consent/consent.h"
#include "util/timeutil.h"
#include "unsubscribe/unsubscribe.h"
#include "unsubscribe/verp.h"
#include "util/log.h"
#include "util/netaddr.h"
#include "util/text.h"

struct name_value {
    const char *name;
    int value;
};

#define MAX_READERS_LIMIT 32767
#define URL_MAX 400                    /* octets of unsubscribe_url, before the token */
#define MAILTO_MAX 254                 /* octets of unsubscribe_mailto (RFC 5321 path limit) */
#define HOST_NAME_MAX_LEN 253
#define DISPLAY_NAME_MAX 200
#define SPF_TIMEOUT_LIMIT 29           /* below Postfix's milter_command_timeout (30 s) */

const char cfg_no_memory[] = "out of memory";

const char *const key_names[KEY_COUNT + 1] = {
    [KEY_DATABASE] = "database",
    [KEY_MAP_SIZE] = "map_size",
    [KEY_MAX_READERS] = "max_readers",
    [KEY_FOLD_LOCAL_PART] = "fold_local_part",
    [KEY_CONFIRM_TTL] = "confirm_ttl",
    [KEY_SOCKET] = "socket",
    [KEY_SOCKET_MODE] = "socket_mode",
    [KEY_USER] = "user",
    [KEY_GROUP] = "group",
    [KEY_MTA_USER] = "mta_user",
    [KEY_PIDFILE] = "pidfile",
    [KEY_LOG_TARGET] = "log_target",
    [KEY_SYSLOG_FACILITY] = "syslog_facility",
    [KEY_LOG_LEVEL] = "log_level",
    [KEY_JOURNAL] = "journal",
    [KEY_JOURNAL_SYNC] = "journal_sync",
    [KEY_JOURNAL_FAILURE] = "journal_failure",
    [KEY_RETENTION] = "retention",
    [KEY_METRICS_FILE] = "metrics_file",
    [KEY_METRICS_INTERVAL] = "metrics_interval",
    [KEY_PAGE_TEMPLATES] = "page_templates",
    [KEY_DISPLAY_NAME] = "display_name",
    [KEY_CONTENT_CHECK] = "content_check",
    [KEY_CONTENT_MAX_BYTES] = "content_max_bytes",
    [KEY_CONTENT_SENDER_NAME] = "content_sender_name",
    [KEY_CONTENT_POSTAL_ADDRESS] = "content_postal_address",
    [KEY_CONTENT_CONTACT] = "content_contact",
    [KEY_CONTENT_UNSUBSCRIBE] = "content_unsubscribe",
    [KEY_FEEDBACK_MAILDIR] = "feedback_maildir",
    [KEY_MODE] = "mode",
    [KEY_MARKER_HEADER] = "marker_header",
    [KEY_KEYS] = "keys",
    [KEY_UNSUBSCRIBE_URL] = "unsubscribe_url",
    [KEY_UNSUBSCRIBE_MAILTO] = "unsubscribe_mailto",
    [KEY_UNATTRIBUTED_BULK] = "unattributed_bulk",
    [KEY_STORE_FAILURE] = "store_failure",
    [KEY_ALL_RECIPIENTS_DENIED] = "all_recipients_denied",
    [KEY_ONE_RECIPIENT_PER_MESSAGE] = "one_recipient_per_message",
    [KEY_RCPT_REFUSAL_LIMIT] = "rcpt_refusal_limit",
    [KEY_REFUSE_AMBIGUOUS_LIST_ID] = "refuse_ambiguous_list_id",
    [KEY_VERP_RETURN_PATH] = "verp_return_path",
    [KEY_VERDICT_HEADER] = "verdict_header",
    [KEY_EGRESS_IPS] = "egress_ips",
    [KEY_MILTER_CLIENTS] = "milter_clients",
    [KEY_HELO_NAME] = "helo_name",
    [KEY_SPF_CACHE_TTL_MAX] = "spf_cache_ttl_max",
    [KEY_SPF_TIMEOUT] = "spf_timeout",
    [KEY_SPF_TRACE_HEADER] = "spf_trace_header",
    [KEY_SPF_FAIL] = "spf_fail",
    [KEY_SPF_SOFTFAIL] = "spf_softfail",
    [KEY_SPF_ERROR] = "spf_error",
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

/* ---- validators: the reason a text is wrong for one key, or NULL ---- */

/* find_name - the entry of a NULL-terminated name table, or NULL */
static const struct name_value *find_name(const struct name_value *table, const char *name)
{
    for (; table->name != NULL; table++)
        if (strcmp(table->name, name) == 0)
            return table;
    return NULL;
}

#define MAP_SIZE_MIN (1024 * 1024)             /* map_size: room for the tables of a new store */
#define DURATION_MAX (INT64_C(36500) * 86400)   /* 100 years: anything longer is a typo */

/* cfg_check_nonempty - any string but "" */
const char *cfg_check_nonempty(const char *text)
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

/* check_one_recipient_removed - one_recipient_per_message = true is refused with the reason */
static const char *check_one_recipient_removed(const char *text)
{
    if (strcmp(text, "true") != 0)
        return NULL;
    return "removed: Postfix counts every 452 as a client error and hangs up after "
           "smtpd_hard_error_limit (20), so a message to more recipients never got through; "
           "send one recipient per message upstream instead (see optin-milter.conf(5))";
}

/* check_refusal_limit - RCPT refusals per session: 0..1000 */
static const char *check_refusal_limit(const char *text)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < 0 || v > 1000)
        return "expected an integer from 0 to 1000 (keep it below Postfix's smtpd_soft_error_limit)";
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

/* check_socket - a libmilter connection spec: unix:/path, local:/path, inet:PORT@HOST, inet6:... or /path */
static const char *check_socket(const char *text)
{
    struct net_sockspec spec;

    return net_sockspec_parse(text, &spec);
}

/* check_log_level - a severity log_level_parse knows */
static const char *check_log_level(const char *text)
{
    return log_level_parse(text) < 0
        ? "expected \"debug\", \"info\", \"notice\", \"warning\" or \"error\"" : NULL;
}

/* check_absolute_path - a path from the root: "/var/lib/optin-milter/feedback-unread" */
static const char *check_absolute_path(const char *text)
{
    return text[0] == '/' ? NULL : "expected an absolute path";
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

/* check_list_id - a list id: 1 to 63 of [A-Za-z0-9._-] */
static const char *check_list_id(const char *text)
{
    static const char allowed[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
    size_t n = strspn(text, allowed);

    if (n == 0 || n > LIST_ID_MAX || text[n] != '\0')
        return "expected 1 to 63 characters from A-Z a-z 0-9 . _ -";
    return NULL;
}

/* check_display_name - what the unsubscribe pages call a list: clean UTF-8, at most 200 bytes */
static const char *check_display_name(const char *text)
{
    size_t len = strlen(text);

    if (len == 0 || len > DISPLAY_NAME_MAX || !text_utf8_valid(text, len) || !text_is_clean(text, len))
        return "expected 1 to 200 bytes of UTF-8 text without control characters";
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

/* check_egress_ip - an IPv4 or IPv6 address our MTA sends from; never loopback or unspecified */
static const char *check_egress_ip(const char *text)
{
    struct net_ip ip;

    if (net_ip_parse(text, strlen(text), &ip) != 0 || net_ip_is_loopback(&ip)
        || net_ip_is_unspecified(&ip))
        return "expected an IPv4 or IPv6 address this MTA sends from, "
               "not loopback or unspecified (libspf2 passes loopback unchecked)";
    return NULL;
}

/* check_cidr - an address or network, "192.0.2.10" or "10.0.0.0/8" */
static const char *check_cidr(const char *text)
{
    struct net_cidr net;

    return net_cidr_parse(text, &net) != 0 ? "expected an IP address or network like \"10.0.0.0/8\""
                                           : NULL;
}

/* check_helo_name - a fully qualified host name: LDH labels of 1 to 63 octets, at least two */
static const char *check_helo_name(const char *text)
{
    static const char ldh[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-";
    static const char reason[] = "expected a fully qualified host name like \"mta.lists.example\"";
    size_t labels = 0;

    if (strlen(text) > HOST_NAME_MAX_LEN)
        return reason;
    for (const char *p = text;; p++) {
        size_t n = strspn(p, ldh);

        if (n == 0 || n > 63 || p[0] == '-' || p[n - 1] == '-')
            return reason;      /* also an empty label: "a..b", ".a", "a." */
        labels++;
        p += n;
        if (*p == '\0')
            break;
        if (*p != '.')
            return reason;
    }
    return labels >= 2 ? NULL : reason;
}

/* check_spf_timeout - 1 to 29 seconds */
static const char *check_spf_timeout(const char *text)
{
    int64_t v;

    if (duration_parse(text, &v) == 0 && (v < 1 || v > SPF_TIMEOUT_LIMIT))
        return "expected a duration from 1s to 29s (below Postfix's milter_command_timeout of 30s)";
    return NULL;
}

/* check_map_size - at least 1M: the store's tables need room */
static const char *check_map_size(const char *text)
{
    uint64_t v;

    if (size_parse(text, &v) == 0 && v > 0 && v < MAP_SIZE_MIN)
        return "expected at least \"1M\": a store needs room for its tables";
    return NULL;
}

/* check_journal_sync - 0 (every commit) up to a minute */
static const char *check_journal_sync(const char *text)
{
    int64_t v;

    if (duration_parse(text, &v) == 0 && (v < 0 || v > 60))
        return "expected 0 (sync every transaction) or a duration up to 60s";
    return NULL;
}

/* check_retention - 0 (never purge) or at least 31 days: the Japanese act's month after the last mail */
static const char *check_retention(const char *text)
{
    int64_t v;

    if (duration_parse(text, &v) == 0 && v != 0 && v < 31 * 86400)
        return "expected 0 (nothing is purged) or at least 31d (consent records are kept one month "
               "after the last mail: Japan's Specified Electronic Mail Act)";
    return NULL;
}

/* ---- converters: text to field ---- */

/* store_string - a copy of the text */
static const char *store_string(const char *text, void *field)
{
    char **p = field;
    char *copy = strdup(text);

    if (copy == NULL)
        return cfg_no_memory;
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
    if (v > DURATION_MAX)
        return "expected a duration of at most 100 years (\"36500d\")";
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

/* check_socket_mode - no permission for others: anyone who can open the socket can drive the
 * milter (and libmilter trusts its peer; see optin-milter(8), SECURITY) */
static const char *check_socket_mode(const char *text)
{
    unsigned long v = strtoul(text, NULL, 8);

    if (strspn(text, "01234567") != strlen(text) || v > 0777)
        return NULL;                            /* not a mode at all: store_octal says so */
    return v & 07 ? "expected no access for others (at most \"0770\"): every local user could "
                    "drive the milter" : NULL;
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

/* store_spf_action - "reject", "tempfail" or "journal" */
static const char *store_spf_action(const char *text, void *field)
{
    static const struct name_value actions[] = {
        {"reject", SPF_ACT_REJECT}, {"tempfail", SPF_ACT_TEMPFAIL}, {"journal", SPF_ACT_JOURNAL},
        {NULL, 0},
    };
    const struct name_value *m = find_name(actions, text);

    if (m == NULL)
        return "expected \"reject\", \"tempfail\" or \"journal\"";
    *(enum spf_action *) field = (enum spf_action) m->value;
    return NULL;
}

/* store_journal_failure - "tempfail" or "deliver" */
static const char *store_journal_failure(const char *text, void *field)
{
    static const struct name_value actions[] = {
        {"tempfail", JOURNAL_FAIL_TEMPFAIL}, {"deliver", JOURNAL_FAIL_DELIVER}, {NULL, 0},
    };
    const struct name_value *m = find_name(actions, text);

    if (m == NULL)
        return "expected \"tempfail\" or \"deliver\"";
    *(enum journal_failure_action *) field = (enum journal_failure_action) m->value;
    return NULL;
}

/* store_content_check - "off", "journal" or "refuse" */
static const char *store_content_check(const char *text, void *field)
{
    static const struct name_value actions[] = {
        {"off", CONTENT_OFF}, {"journal", CONTENT_JOURNAL}, {"refuse", CONTENT_REFUSE}, {NULL, 0},
    };
    const struct name_value *m = find_name(actions, text);

    if (m == NULL)
        return "expected \"off\", \"journal\" or \"refuse\"";
    *(enum content_check_action *) field = (enum content_check_action) m->value;
    return NULL;
}

/* check_content_max - 1K to 1M: the first part of a body is what is read */
static const char *check_content_max(const char *text)
{
    uint64_t v;

    if (size_parse(text, &v) == 0 && (v < 1024 || v > 1048576))
        return "expected a size from 1K to 1M";
    return NULL;
}

/* release_string - free a char * field */
static void release_string(void *field)
{
    free(*(char **) field);
    *(char **) field = NULL;
}

/* cfg_release_strings - free a struct string_list field */
void cfg_release_strings(void *field)
{
    struct string_list *sl = field;

    for (size_t i = 0; i < sl->count; i++)
        free(sl->items[i]);
    free(sl->items);
    sl->items = NULL;
    sl->count = 0;
}

/* ---- the tables ---- */

const struct kind_def kinds[] = {
    [KIND_STRING] = {.accept = TYPE_BIT(CONFIG_TYPE_STRING), .what = "a string",
                     .load = cfg_load_scalar, .store = store_string, .release = release_string},
    [KIND_SIZE] = {.accept = TYPE_BIT(CONFIG_TYPE_STRING) | INTEGER_TYPES,
                   .what = "a size like \"4G\" or a number of bytes",
                   .load = cfg_load_scalar, .store = store_size},
    [KIND_UINT] = {.accept = INTEGER_TYPES, .what = "an integer",
                   .load = cfg_load_scalar, .store = store_uint},
    [KIND_BOOL] = {.accept = TYPE_BIT(CONFIG_TYPE_BOOL), .what = "true or false",
                   .load = cfg_load_scalar, .store = store_bool},
    [KIND_DURATION] = {.accept = TYPE_BIT(CONFIG_TYPE_STRING) | INTEGER_TYPES,
                       .what = "a duration like \"7d\" or a number of seconds",
                       .load = cfg_load_scalar, .store = store_duration},
    [KIND_OCTAL] = {.accept = TYPE_BIT(CONFIG_TYPE_STRING),
                    .what = "an octal mode string like \"0660\"",
                    .load = cfg_load_scalar, .store = store_octal},
    [KIND_MODE] = {.accept = TYPE_BIT(CONFIG_TYPE_STRING), .what = "\"enforce\" or \"monitor\"",
                   .load = cfg_load_scalar, .store = store_mode},
    [KIND_OPT_IN] = {.accept = TYPE_BIT(CONFIG_TYPE_STRING), .what = "\"single\" or \"double\"",
                     .load = cfg_load_scalar, .store = store_opt_in},
    [KIND_BULK] = {.accept = TYPE_BIT(CONFIG_TYPE_STRING),
                   .what = "\"reject\", \"tempfail\" or \"accept\"",
                   .load = cfg_load_scalar, .store = store_bulk},
    [KIND_STORE_FAILURE] = {.accept = TYPE_BIT(CONFIG_TYPE_STRING), .what = "\"tempfail\" or \"accept\"",
                            .load = cfg_load_scalar, .store = store_store_failure},
    [KIND_ALL_DENIED] = {.accept = TYPE_BIT(CONFIG_TYPE_STRING), .what = "\"reject\" or \"discard\"",
                         .load = cfg_load_scalar, .store = store_all_denied},
    [KIND_SPF_ACTION] = {.accept = TYPE_BIT(CONFIG_TYPE_STRING),
                         .what = "\"reject\", \"tempfail\" or \"journal\"",
                         .load = cfg_load_scalar, .store = store_spf_action},
    [KIND_JOURNAL_FAILURE] = {.accept = TYPE_BIT(CONFIG_TYPE_STRING), .what = "\"tempfail\" or \"deliver\"",
                              .load = cfg_load_scalar, .store = store_journal_failure},
    [KIND_CONTENT_CHECK] = {.accept = TYPE_BIT(CONFIG_TYPE_STRING),
                            .what = "\"off\", \"journal\" or \"refuse\"",
                            .load = cfg_load_scalar, .store = store_content_check},
    [KIND_STRINGS] = {.accept = TYPE_BIT(CONFIG_TYPE_ARRAY) | TYPE_BIT(CONFIG_TYPE_LIST),
                      .what = "an array of strings [ \"...\", ... ]",
                      .load = cfg_load_strings, .release = cfg_release_strings},
    [KIND_LISTS] = {.accept = TYPE_BIT(CONFIG_TYPE_LIST) | TYPE_BIT(CONFIG_TYPE_ARRAY),
                    .what = "a list of groups ( { id = \"...\"; }, ... )", .load = cfg_load_lists},
    [KIND_MATCH] = {.accept = TYPE_BIT(CONFIG_TYPE_GROUP), .what = "a group { ... }",
                    .load = cfg_load_match},
};

#define GLOBAL(field) offsetof(struct optin_config, field)
#define LIST(field) offsetof(struct list_def, field)

const struct key_def global_keys[] = {
    {.key = KEY_DATABASE, .kind = KIND_STRING, .def = OPTIN_DEFAULT_DATABASE,
     .check = cfg_check_nonempty, .offset = GLOBAL(database)},
    {.key = KEY_MAP_SIZE, .kind = KIND_SIZE, .def = "4G", .check = check_map_size,
     .offset = GLOBAL(map_size)},
    {.key = KEY_MAX_READERS, .kind = KIND_UINT, .def = "512", .check = check_readers,
     .offset = GLOBAL(max_readers)},
    {.key = KEY_FOLD_LOCAL_PART, .kind = KIND_BOOL, .def = "true", .offset = GLOBAL(fold_local_part)},
    {.key = KEY_CONFIRM_TTL, .kind = KIND_DURATION, .def = "7d", .check = check_positive_duration,
     .offset = GLOBAL(confirm_ttl)},
    {.key = KEY_SOCKET, .kind = KIND_STRING, .def = "unix:/var/spool/postfix/optin-milter/optin-milter.sock",
     .check = check_socket, .offset = GLOBAL(socket)},
    {.key = KEY_SOCKET_MODE, .kind = KIND_OCTAL, .def = "0660", .check = check_socket_mode,
     .offset = GLOBAL(socket_mode)},
    {.key = KEY_USER, .kind = KIND_STRING, .check = cfg_check_nonempty, .offset = GLOBAL(user)},
    {.key = KEY_GROUP, .kind = KIND_STRING, .check = cfg_check_nonempty, .offset = GLOBAL(group)},
    {.key = KEY_MTA_USER, .kind = KIND_STRING, .def = "postfix", .check = cfg_check_nonempty,
     .offset = GLOBAL(mta_user)},
    {.key = KEY_PIDFILE, .kind = KIND_STRING, .check = cfg_check_nonempty, .offset = GLOBAL(pidfile)},
    {.key = KEY_LOG_TARGET, .kind = KIND_STRING, .def = "syslog", .check = check_log_target,
     .offset = GLOBAL(log_target)},
    {.key = KEY_SYSLOG_FACILITY, .kind = KIND_STRING, .def = "mail", .check = check_facility,
     .offset = GLOBAL(syslog_facility)},
    {.key = KEY_LOG_LEVEL, .kind = KIND_STRING, .def = "info", .check = check_log_level,
     .offset = GLOBAL(log_level)},
    {.key = KEY_JOURNAL, .kind = KIND_STRING, .check = cfg_check_nonempty, .offset = GLOBAL(journal)},
    {.key = KEY_JOURNAL_SYNC, .kind = KIND_DURATION, .def = "0", .check = check_journal_sync,
     .offset = GLOBAL(journal_sync)},
    {.key = KEY_JOURNAL_FAILURE, .kind = KIND_JOURNAL_FAILURE, .def = "tempfail",
     .offset = GLOBAL(journal_failure)},
    {.key = KEY_RETENTION, .kind = KIND_DURATION, .def = "0", .check = check_retention,
     .offset = GLOBAL(retention)},
    {.key = KEY_METRICS_FILE, .kind = KIND_STRING, .check = check_absolute_path,
     .offset = GLOBAL(metrics_file)},
    {.key = KEY_METRICS_INTERVAL, .kind = KIND_DURATION, .def = "15s", .check = check_positive_duration,
     .offset = GLOBAL(metrics_interval)},
    {.key = KEY_PAGE_TEMPLATES, .kind = KIND_STRING, .check = check_absolute_path,
     .offset = GLOBAL(page_templates)},
    {.key = KEY_CONTENT_CHECK, .kind = KIND_CONTENT_CHECK, .def = "off", .offset = GLOBAL(content_check)},
    {.key = KEY_CONTENT_MAX_BYTES, .kind = KIND_SIZE, .def = "64K", .check = check_content_max,
     .offset = GLOBAL(content_max_bytes)},
    {.key = KEY_FEEDBACK_MAILDIR, .kind = KIND_STRING, .check = check_absolute_path,
     .offset = GLOBAL(feedback_maildir)},
    {.key = KEY_MODE, .kind = KIND_MODE, .def = "enforce", .offset = GLOBAL(mode)},
    {.key = KEY_MARKER_HEADER, .kind = KIND_STRING, .def = "X-Optin-List",
     .check = check_field_name, .offset = GLOBAL(marker_header)},
    {.key = KEY_KEYS, .kind = KIND_STRING, .def = OPTIN_DEFAULT_KEYS, .check = cfg_check_nonempty,
     .offset = GLOBAL(keys)},
    {.key = KEY_UNSUBSCRIBE_URL, .kind = KIND_STRING, .check = check_unsubscribe_url,
     .offset = GLOBAL(unsubscribe_url)},
    {.key = KEY_VERP_RETURN_PATH, .kind = KIND_STRING, .check = verp_pattern_check,
     .offset = GLOBAL(verp_return_path)},
    {.key = KEY_UNSUBSCRIBE_MAILTO, .kind = KIND_STRING, .check = check_unsubscribe_mailto,
     .offset = GLOBAL(unsubscribe_mailto)},
    {.key = KEY_UNATTRIBUTED_BULK, .kind = KIND_BULK, .def = "reject", .offset = GLOBAL(unattributed_bulk)},
    {.key = KEY_STORE_FAILURE, .kind = KIND_STORE_FAILURE, .def = "tempfail",
     .offset = GLOBAL(store_failure)},
    {.key = KEY_ALL_RECIPIENTS_DENIED, .kind = KIND_ALL_DENIED, .def = "reject",
     .offset = GLOBAL(all_recipients_denied)},
    {.key = KEY_ONE_RECIPIENT_PER_MESSAGE, .kind = KIND_BOOL, .def = "false",
     .check = check_one_recipient_removed, .offset = GLOBAL(one_recipient_per_message)},
    {.key = KEY_RCPT_REFUSAL_LIMIT, .kind = KIND_UINT, .def = "5", .check = check_refusal_limit,
     .offset = GLOBAL(rcpt_refusal_limit)},
    {.key = KEY_REFUSE_AMBIGUOUS_LIST_ID, .kind = KIND_BOOL, .def = "true",
     .offset = GLOBAL(refuse_ambiguous_list_id)},
    {.key = KEY_VERDICT_HEADER, .kind = KIND_STRING, .def = "X-Optin-Verdict", .check = check_field_name,
     .offset = GLOBAL(verdict_header)},
    {.key = KEY_MILTER_CLIENTS, .kind = KIND_STRINGS, .check = check_cidr,
     .offset = GLOBAL(milter_clients)},
    {.key = KEY_EGRESS_IPS, .kind = KIND_STRINGS, .check = check_egress_ip, .offset = GLOBAL(egress_ips)},
    {.key = KEY_HELO_NAME, .kind = KIND_STRING, .check = check_helo_name, .offset = GLOBAL(helo_name)},
    {.key = KEY_SPF_CACHE_TTL_MAX, .kind = KIND_DURATION, .def = "1h", .check = check_positive_duration,
     .offset = GLOBAL(spf_cache_ttl_max)},
    {.key = KEY_SPF_TIMEOUT, .kind = KIND_DURATION, .def = "10s", .check = check_spf_timeout,
     .offset = GLOBAL(spf_timeout)},
    {.key = KEY_SPF_TRACE_HEADER, .kind = KIND_BOOL, .def = "false", .offset = GLOBAL(spf_trace_header)},
    {.key = KEY_SPF_FAIL, .kind = KIND_SPF_ACTION, .def = "reject", .offset = GLOBAL(spf_fail)},
    {.key = KEY_SPF_SOFTFAIL, .kind = KIND_SPF_ACTION, .def = "journal", .offset = GLOBAL(spf_softfail)},
    {.key = KEY_SPF_ERROR, .kind = KIND_SPF_ACTION, .def = "tempfail", .offset = GLOBAL(spf_error)},
    {.key = KEY_LISTS, .kind = KIND_LISTS},
};

const struct key_def list_keys[] = {
    {.key = KEY_ID, .kind = KIND_STRING, .check = check_list_id, .offset = LIST(id)},
    {.key = KEY_OPT_IN, .kind = KIND_OPT_IN, .def = "double", .offset = LIST(opt_in)},
    {.key = KEY_MAX_CONSENT_AGE, .kind = KIND_DURATION, .def = "0", .offset = LIST(max_consent_age)},
    /* no default here: the global mode, set by inherit_list_defaults() */
    {.key = KEY_MODE, .kind = KIND_MODE, .offset = LIST(mode)},
    /* no default: NULL means the global one */
    {.key = KEY_UNSUBSCRIBE_URL, .kind = KIND_STRING, .check = check_unsubscribe_url,
     .offset = LIST(unsubscribe_url)},
    {.key = KEY_UNSUBSCRIBE_MAILTO, .kind = KIND_STRING, .check = check_unsubscribe_mailto,
     .offset = LIST(unsubscribe_mailto)},
    {.key = KEY_VERP_RETURN_PATH, .kind = KIND_STRING, .check = verp_pattern_check,
     .offset = LIST(verp_return_path)},
    {.key = KEY_PAGE_TEMPLATES, .kind = KIND_STRING, .check = check_absolute_path,
     .offset = LIST(page_templates)},
    {.key = KEY_DISPLAY_NAME, .kind = KIND_STRING, .check = check_display_name,
     .offset = LIST(display_name)},
    /* no defaults: the global ones, set by inherit_list_defaults() */
    {.key = KEY_SPF_FAIL, .kind = KIND_SPF_ACTION, .offset = LIST(spf_fail)},
    {.key = KEY_SPF_SOFTFAIL, .kind = KIND_SPF_ACTION, .offset = LIST(spf_softfail)},
    {.key = KEY_SPF_ERROR, .kind = KIND_SPF_ACTION, .offset = LIST(spf_error)},
    {.key = KEY_JOURNAL_FAILURE, .kind = KIND_JOURNAL_FAILURE, .offset = LIST(journal_failure)},
    {.key = KEY_CONTENT_CHECK, .kind = KIND_CONTENT_CHECK, .offset = LIST(content_check)},
    {.key = KEY_CONTENT_SENDER_NAME, .kind = KIND_STRING, .check = cfg_check_nonempty,
     .offset = LIST(content_sender_name)},
    {.key = KEY_CONTENT_POSTAL_ADDRESS, .kind = KIND_STRING, .check = cfg_check_nonempty,
     .offset = LIST(content_postal_address)},
    {.key = KEY_CONTENT_CONTACT, .kind = KIND_STRING, .check = cfg_check_nonempty,
     .offset = LIST(content_contact)},
    {.key = KEY_CONTENT_UNSUBSCRIBE, .kind = KIND_STRINGS, .check = cfg_check_nonempty,
     .offset = LIST(content_unsubscribe)},
    {.key = KEY_MATCH, .kind = KIND_MATCH},
};

const struct key_def match_keys[] = {
    {.key = KEY_ENVELOPE_FROM, .kind = KIND_STRINGS, .offset = LIST(match_envelope_from)},
    {.key = KEY_LIST_ID, .kind = KIND_STRINGS, .check = check_list_id_value,
     .offset = LIST(match_list_id)},
    {.key = KEY_AUTH_USER, .kind = KIND_STRINGS, .offset = LIST(match_auth_user)},
    {.key = KEY_DAEMON_NAME, .kind = KIND_STRINGS, .offset = LIST(match_daemon_name)},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define INHERIT(k, field) {.key = (k), .global_offset = GLOBAL(field), .list_offset = LIST(field), \
                           .size = sizeof(((struct list_def *) 0)->field)}

const struct inherit_def list_inherits[] = {
    INHERIT(KEY_MODE, mode),
    INHERIT(KEY_SPF_FAIL, spf_fail),
    INHERIT(KEY_SPF_SOFTFAIL, spf_softfail),
    INHERIT(KEY_SPF_ERROR, spf_error),
    INHERIT(KEY_JOURNAL_FAILURE, journal_failure),
    INHERIT(KEY_CONTENT_CHECK, content_check),
};

const size_t global_key_count = COUNT(global_keys);
const size_t list_key_count = COUNT(list_keys);
const size_t match_key_count = COUNT(match_keys);
const size_t list_inherit_count = COUNT(list_inherits);
