/*
 * NAME
 *	config 3
 * SUMMARY
 *	the one configuration file shared by optin-milter, optin-unsubd and optinctl
 * SYNOPSIS
 *	#include "config/config.h"
 *
 *	struct optin_config *config_load(const char *path, char *err, size_t errsz)
 *	void	config_free(struct optin_config *cfg)
 *	const struct list_def *config_find_list(const struct optin_config *cfg,
 *						const char *id)
 *	const char *const *config_key_names(void)
 *	int	config_needs_keys(const struct optin_config *cfg)
 *	const char *config_store_settings_differ(const struct optin_config *old,
 *						 const struct optin_config *new)
 *	int	config_reload_check(old, new, const char *program, char *err, size_t errsz)
 * DESCRIPTION
 *	config_load() reads one file in libconfig syntax and returns it as a
 *	struct optin_config, every default applied. A NULL path means
 *	OPTIN_DEFAULT_CONFIG. @include paths are relative to the directory
 *	of the file.
 *
 *	Every key is described once, in the tables global_keys[],
 *	list_keys[] and match_keys[] of config_keys.c: its name, its kind (which libconfig
 *	types it accepts and how its text becomes a field), its default
 *	written as it would be in the file, and an optional validator that
 *	returns the reason a value is wrong (NULL = fine). Defaults go
 *	through the same validator and converter as values from the file.
 *	The parse walks the file: a setting no table knows is an error.
 *
 *	A list without its own mode (or spf_fail, spf_softfail, spf_error)
 *	takes the global value, whichever comes first in the file: those
 *	defaults are resolved after the whole file has been read. List ids must be unique, ignoring case;
 *	config_find_list() compares them exactly.
 *
 *	config_free() releases a configuration (NULL is fine); the same
 *	tables say which fields are allocated.
 *
 *	config_store_settings_differ() names the first store setting
 *	(database, map_size, max_readers) in which a new configuration
 *	differs from the running one, or returns NULL. Both daemons open the
 *	store once per process, so their reloads refuse a configuration for
 *	which it names a setting: config_reload_check() returns -1 for it,
 *	with the reason in err as one line, "FILE: SETTING changed:
 *	database, map_size and max_readers cannot change on reload (restart
 *	PROGRAM)".
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
 *
 *	libconfig 1.5 truncates a plain integer above 2147483647 to 32 bits
 *	without a word (max_readers = 4294967297 reads as 1). So the value
 *	of every plain integer setting is taken again from its own line of
 *	the file (int_literal()): a number out of range is then refused by
 *	the key's validator like any other, never wrapped.
 * BUGS
 *	libconfig reports a syntax error inside an included file against the
 *	including file.
 * SEE ALSO
 *	optin-milter.conf(5), config_keys(3), the libconfig manual, timeutil(3)
 */

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <ctype.h>
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

#include "config/config.h"
#include "config/config_keys.h"
#include "util/timeutil.h"
#include "unsubscribe/unsubscribe.h"
#include "util/netaddr.h"
#include "util/text.h"

/* Where config_load() is: the result so far and the error text. */
struct load_ctx {
    const char *path;
    const char *dir;                   /* directory of path, for @include */
    char *err;
    size_t errsz;
    size_t len;                        /* bytes in err, without the NUL */
    unsigned nerr;
};

#define PREFIX_MAX 64
#define CONFIG_INCLUDE_DEPTH 10          /* libconfig 1.5 stops nesting @include there */
#define VALUE_SHOWN 48                 /* characters of a bad value shown */
#define SHOWN_BUFSZ (VALUE_SHOWN * 4 + 4)



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
static const char *shown(const char *text, char buf[SHOWN_BUFSZ])
{
    return text_escape(text, strlen(text), VALUE_SHOWN, TEXT_QUESTION, buf, SHOWN_BUFSZ);
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

/* literal_after - the integer literal after "NAME =" or "NAME:" in line, into buf; 1 found */
static int literal_after(const char *line, const char *name, char *buf, size_t size)
{
    size_t n = strlen(name), len;

    for (const char *p = strstr(line, name); p != NULL; p = strstr(p + 1, name)) {
        const char *v = p + n;

        if (p > line && (isalnum((unsigned char) p[-1]) || p[-1] == '_' || p[-1] == '-'))
            continue;
        v += strspn(v, " \t");
        if (*v != '=' && *v != ':')
            continue;
        v += 1 + strspn(v + 1, " \t");
        len = strspn(v, "+-0123456789abcdefABCDEFxX");
        if (len == 0 || len >= size)
            return 0;
        memcpy(buf, v, len);
        buf[len] = '\0';
        return 1;
    }
    return 0;
}

/* int_literal - a plain integer setting as written in its file, in decimal (see DESCRIPTION);
 * 1, or 0 when its line cannot be read again (then libconfig's value stands) */
static int int_literal(const config_setting_t *s, char *buf, size_t size)
{
    const char *file = config_setting_source_file(s), *name = config_setting_name(s);
    unsigned line = config_setting_source_line(s), at = 0;
    char *text = NULL, literal[64], *end;
    size_t cap = 0;
    long long v;
    int found = 0;
    FILE *f;

    if (file == NULL || name == NULL || line == 0 || (f = fopen(file, "r")) == NULL)
        return 0;
    while (!found && getline(&text, &cap, f) != -1)
        found = ++at == line && literal_after(text, name, literal, sizeof(literal));
    free(text);
    fclose(f);
    if (!found)
        return 0;
    errno = 0;
    v = strtoll(literal, &end, 0);
    if (errno == ERANGE || *end != '\0')
        snprintf(buf, size, "%s", literal);      /* refused as it was written */
    else
        snprintf(buf, size, "%lld", v);
    return 1;
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
        if (int_literal(s, buf, size))
            return buf;
        /* fall through */
    case CONFIG_TYPE_INT64:
        snprintf(buf, size, "%lld", config_setting_get_int64(s));
        return buf;
    default:
        return "";
    }
}

/* cfg_load_scalar - validate and store one string, integer or boolean setting */
void cfg_load_scalar(struct load_ctx *ctx, const config_setting_t *s,
                        const struct key_def *k, void *base, const char *prefix)
{
    char num[80];
    char seen[SHOWN_BUFSZ];
    const char *text = scalar_text(s, num, sizeof num);
    const char *reason = set_value(k, text, base);

    if (reason != NULL)
        report(ctx, s, prefix, key_names[k->key], "%s (got \"%s\")", reason, shown(text, seen));
}

/* cfg_load_strings - an array of non-empty strings, each validated */
void cfg_load_strings(struct load_ctx *ctx, const config_setting_t *s,
                         const struct key_def *k, void *base, const char *prefix)
{
    struct string_list *sl = field_of(base, k);
    int n = config_setting_length(s);
    char key[PREFIX_MAX];
    char seen[SHOWN_BUFSZ];

    cfg_release_strings(sl);
    if (n <= 0)
        return;
    if ((sl->items = calloc((size_t) n, sizeof *sl->items)) == NULL) {
        report(ctx, s, prefix, key_names[k->key], "%s", cfg_no_memory);
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
        reason = cfg_check_nonempty(text);
        if (reason == NULL && k->check != NULL)
            reason = k->check(text);
        if (reason == NULL && (sl->items[sl->count] = strdup(text)) == NULL)
            reason = cfg_no_memory;
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

/* cfg_load_match - the match group of one list */
void cfg_load_match(struct load_ctx *ctx, const config_setting_t *s,
                       const struct key_def *k, void *base, const char *prefix)
{
    char sub[PREFIX_MAX];

    snprintf(sub, sizeof sub, "%s%s.", prefix, key_names[k->key]);
    load_group(ctx, s, match_keys, match_key_count, base, sub);
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
    load_group(ctx, g, list_keys, list_key_count, l, prefix);
    if ((id = config_setting_get_member(g, key_names[KEY_ID])) == NULL)
        report(ctx, g, prefix, key_names[KEY_ID], "missing: every list needs an id");
    else if (l->id != NULL)
        check_unique_id(ctx, cfg, i, id, prefix);
}

/* cfg_load_lists - the lists setting: one struct list_def per group */
void cfg_load_lists(struct load_ctx *ctx, const config_setting_t *s,
                       const struct key_def *k, void *base, const char *prefix)
{
    struct optin_config *cfg = base;
    int n = config_setting_length(s);

    if (n <= 0)
        return;
    if ((cfg->lists = calloc((size_t) n, sizeof *cfg->lists)) == NULL) {
        report(ctx, s, prefix, key_names[k->key], "%s", cfg_no_memory);
        return;
    }
    cfg->list_count = (size_t) n;
    for (size_t i = 0; i < cfg->list_count; i++)
        load_list(ctx, config_setting_get_elem(s, (unsigned) i), cfg, i);
}

/* inherit_list_defaults - list keys a list does not set take the global value, wherever it was written */
static void inherit_list_defaults(struct optin_config *cfg, const config_setting_t *root)
{
    const config_setting_t *lists = config_setting_get_member(root, key_names[KEY_LISTS]);

    for (size_t i = 0; lists != NULL && i < cfg->list_count; i++) {
        const config_setting_t *g = config_setting_get_elem(lists, (unsigned) i);

        if (g == NULL || !config_setting_is_group(g))
            continue;
        for (size_t k = 0; k < list_inherit_count; k++) {
            const struct inherit_def *in = &list_inherits[k];

            if (config_setting_get_member(g, key_names[in->key]) == NULL)
                memcpy((char *) &cfg->lists[i] + in->list_offset,
                       (const char *) cfg + in->global_offset, in->size);
        }
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

/*
 * check_includes - every @include of path (and of what it includes) names a regular file or
 * nothing: libconfig 1.5's scanner calls exit() on a folder or a device ("@include \"\"" names
 * the configuration's own folder), which would end a daemon at reload; 1, or 0 with the reason
 */
static int check_includes(struct load_ctx *ctx, const char *path, int depth)
{
    char *line = NULL, target[4096];
    size_t cap = 0, len;
    unsigned lineno = 0;
    const char *p;
    struct stat st;
    FILE *fp;
    int good = 1;

    if (depth > CONFIG_INCLUDE_DEPTH || (fp = fopen(path, "r")) == NULL)
        return 1;       /* libconfig reports what it cannot read; too deep: libconfig's limit */
    while (good && getline(&line, &cap, fp) != -1) {
        lineno++;
        p = line + strspn(line, " \t");
        if (strncmp(p, "@include", 8) != 0 || (p = strchr(p + 8, '"')) == NULL)
            continue;
        len = strcspn(p + 1, "\"");
        snprintf(target, sizeof(target), "%s%s%.*s", p[1] == '/' ? "" : ctx->dir,
                 p[1] == '/' ? "" : "/", (int) len, p + 1);
        if (stat(target, &st) != 0)
            continue;                    /* libconfig reports a file that is not there */
        if (!S_ISREG(st.st_mode)) {
            ctx->nerr++;
            append(ctx, "%s:%u: @include \"%.*s\": expected a file (%s is not one)\n", path, lineno,
                   (int) len, p + 1, target);
            good = 0;
        } else {
            good = check_includes(ctx, target, depth + 1);
        }
    }
    free(line);
    fclose(fp);
    return good;
}

/* read_file - let libconfig parse the file, @include relative to its directory */
static int read_file(struct load_ctx *ctx, config_t *lc)
{
    const char *file;

    if (!check_includes(ctx, ctx->path, 0))
        return 0;
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

/* check_socket_exposure - a TCP socket on an address others can reach needs milter_clients:
 * libmilter trusts whoever connects (a malformed macro packet crashes it), see optin-milter(8) */
static void check_socket_exposure(struct load_ctx *ctx, const struct optin_config *cfg,
                                  const config_setting_t *s)
{
    struct net_sockspec spec;
    struct net_ip ip;

    if (cfg->socket == NULL || net_sockspec_parse(cfg->socket, &spec) != NULL
        || spec.kind == SOCKSPEC_UNIX || cfg->milter_clients.count > 0)
        return;
    if (strcmp(spec.host, "localhost") == 0
        || (net_ip_parse(spec.host, strlen(spec.host), &ip) == 0 && net_ip_is_loopback(&ip)))
        return;
    ctx->nerr++;
    append(ctx, "%s:%d: socket: expected a loopback address (inet:PORT@127.0.0.1) or "
           "milter_clients naming who may connect (got \"%s\")\n",
           s != NULL && config_setting_source_file(s) ? config_setting_source_file(s) : ctx->path,
           s != NULL ? config_setting_source_line(s) : 0, cfg->socket);
}

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
            append(&ctx, "%s: %s\n", ctx.path, cfg_no_memory);
        } else {
            load_group(&ctx, config_root_setting(&lc), global_keys, global_key_count, cfg, "");
            inherit_list_defaults(cfg, config_root_setting(&lc));
            check_socket_exposure(&ctx, cfg, config_lookup(&lc, "socket"));
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
        release_fields(list_keys, list_key_count, &cfg->lists[i]);
        release_fields(match_keys, match_key_count, &cfg->lists[i]);
    }
    free(cfg->lists);
    release_fields(global_keys, global_key_count, cfg);
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

/* config_needs_keys - does some list (or the default) sign unsubscribe links with the key file? */
int config_needs_keys(const struct optin_config *cfg)
{
    int needs = cfg->unsubscribe_url != NULL || cfg->unsubscribe_mailto != NULL;

    for (size_t i = 0; i < cfg->list_count && !needs; i++)
        needs = cfg->lists[i].unsubscribe_url != NULL || cfg->lists[i].unsubscribe_mailto != NULL;
    return needs;
}

/* config_key_names - every key name the parser accepts, NULL-terminated */
const char *const *config_key_names(void)
{
    return key_names;
}

/* config_store_settings_differ - the first store setting a reload would change, or NULL */
const char *config_store_settings_differ(const struct optin_config *old,
                                         const struct optin_config *new)
{
    if ((old->database == NULL) != (new->database == NULL)
        || (old->database && strcmp(old->database, new->database) != 0))
        return "database";
    if (old->map_size != new->map_size)
        return "map_size";
    if (old->max_readers != new->max_readers)
        return "max_readers";
    return NULL;
}

/* config_reload_check - may new replace old on reload? 0, or -1 with the reason in err */
int config_reload_check(const struct optin_config *old, const struct optin_config *new,
                        const char *program, char *err, size_t errsz)
{
    const char *changed = old ? config_store_settings_differ(old, new) : NULL;

    if (changed == NULL)
        return 0;
    snprintf(err, errsz, "%s: %s changed: database, map_size and max_readers cannot change on "
             "reload (restart %s)\n", new->path, changed, program);
    return -1;
}
