/* optinctl.h - shared state and helpers of the optinctl subcommands (see optinctl.c) */
#ifndef OPTINCTL_H
#define OPTINCTL_H

#include <stdint.h>
#include <sysexits.h>

#include <jansson.h>

#include "config/config.h"
#include "util/log.h"
#include "consent/store.h"
#include "journal/files.h"

/* Exit status of every subcommand (documented in optinctl(1)). */
#define EXIT_DENY 1 /* check: delivery not allowed (also: show/unsuppress found nothing) */
/* otherwise sysexits.h: EX_OK, EX_USAGE, EX_DATAERR, EX_NOINPUT, EX_SOFTWARE,
 * EX_CANTCREAT, EX_IOERR, EX_TEMPFAIL, EX_NOPERM, EX_CONFIG */

struct optinctl {
    const char *progname;      /* "optinctl", prefix of every diagnostic */
    const char *config_path;   /* -c FILE */
    struct optin_config *cfg;  /* loaded before the subcommand runs */
    struct store *store;       /* opened by ctl_open_store() */
    const char *actor;         /* -a NAME, default the login name */
    const char *source;        /* -s SOURCE, default "cli" */
    int64_t now;               /* the clock (-t TIME overrides, for tests and replays) */
    unsigned addr_flags;       /* ADDR_FOLD_LOCAL per configuration */
};

/* ctl_open_store - open the configured environment; prints a diagnostic and returns an exit code on failure. */
int ctl_open_store(struct optinctl *ctl, int readonly, int nosync);
/* ctl_error - "optinctl: message" on stderr (and syslog for the pipe commands), through log.c */
#define ctl_error(ctl, ...) ((void) (ctl), log_error(__VA_ARGS__))
#define CTL_PRINTABLE_BUFSZ 340
/* ctl_printable - an argument fit for one diagnostic line (control bytes as \xNN) */
const char *ctl_printable(const char *raw, char buf[CTL_PRINTABLE_BUFSZ]);
/* ctl_give_to_user - run as root: path (a directory: with its files) to the configured user and
 * that user's group, so the daemons that run as that user can open it; says so on stdout */
void ctl_give_to_user(const struct optinctl *ctl, const char *path);
/* ctl_store_exit - exit code for a store return code (map full, I/O, ...) */
int ctl_store_exit(int rc);

/* Subcommands: argv[0] is the subcommand name; getopt is reset before each. */
int cmd_import(struct optinctl *ctl, int argc, char **argv);
int cmd_export(struct optinctl *ctl, int argc, char **argv);
int cmd_show(struct optinctl *ctl, int argc, char **argv);
int cmd_journal(struct optinctl *ctl, int argc, char **argv);
/* journal_list - the FILE arguments, or the configured journal and its rotated copies, oldest first */
int journal_list(struct optinctl *ctl, int argc, char **argv, char ***files, size_t *n);
/* journal_read_all - every line of the files in order to fn; exit code (66 naming a file that fails) */
int journal_read_all(struct optinctl *ctl, char **files, size_t n, journal_line_fn *fn, void *arg);
int cmd_report(struct optinctl *ctl, int argc, char **argv);
int cmd_journal_index(struct optinctl *ctl, int argc, char **argv);
int cmd_purge(struct optinctl *ctl, int argc, char **argv);
/* lastsend_index - index the journal lines written since the last run (store open for writing) */
int lastsend_index(struct optinctl *ctl, unsigned long *lines);
/* lastsend_of - one address's last delivery per list as JSON objects appended to out; *latest */
int lastsend_of(struct store_txn *txn, const char *addr, json_t *out, int64_t *latest);
/* lastsend_forget - remove one address's last deliveries */
int lastsend_forget(struct store_txn *txn, const char *addr);
/* journal_lines_of - every journal line naming address (parsed) appended to out; exit code */
int journal_lines_of(struct optinctl *ctl, const char *address, json_t *out);
/* retention_until - one calendar month after the last mail (0: none): the consent records stay till then */
int64_t retention_until(int64_t last_send);
/* journal_forget - redact every line of the journal and its rotated files naming address; exit code */
int journal_forget(struct optinctl *ctl, const char *address, size_t *lines, size_t *files);
int cmd_stats(struct optinctl *ctl, int argc, char **argv);
int cmd_keygen(struct optinctl *ctl, int argc, char **argv);   /* also runs "token" */
int cmd_mailto(struct optinctl *ctl, int argc, char **argv);
int cmd_feedback(struct optinctl *ctl, int argc, char **argv);
int cmd_import_suppressions(struct optinctl *ctl, int argc, char **argv);

#endif
