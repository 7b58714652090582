/*
 * NAME
 *	log 3
 * SUMMARY
 *	one logging function with a severity ladder
 * SYNOPSIS
 *	#include "util/log.h"
 *
 *	void	log_open(const char *progname, unsigned targets, int facility)
 *	int	log_facility(const char *name)
 *	void	log_set_level(enum log_severity lowest)
 *	void	log_msg(enum log_severity sev, const char *fmt, ...)
 *	int	log_level_parse(const char *name)
 *	void	log_lines(enum log_severity sev, const char *text)
 * DESCRIPTION
 *	log_msg() is the only way optin-milter, optinctl and the endpoints
 *	report anything. The severity gate lives here, not at call sites.
 *	Messages go to stderr as "progname: severity: text" or to syslog
 *	with the matching priority. Callers put the queue id first and
 *	Postfix-style key=value fields after it.
 *
 *	log_open() takes the targets as flags: LOG_TO_STDERR, LOG_TO_SYSLOG,
 *	or both at once (LOG_TO_BOTH), as the commands that Postfix runs
 *	through pipe(8) need: their stderr is the text Postfix puts in a
 *	bounce or its own log, syslog is where the administrator looks.
 *	LOG_UNLABELLED leaves out the severity word ("warning: ") on both,
 *	so that such a line reads like the tool's other diagnostics; the
 *	priority still goes to syslog. Nothing is written before log_open()
 *	except to stderr, labelled, as "optin".
 *
 *	log_facility() maps a configuration name ("mail", "daemon",
 *	"local0".."local7") to a syslog facility, LOG_MAIL when unknown.
 *
 *	log_lines() logs each non-empty line of a text as a message of its
 *	own: the errors config_load() and token_keys_load() collect, one
 *	line each.
 *
 *	log_set_level() may be called at any time (a reload): the gate is
 *	one atomic integer that every thread reads.
 *
 *	The state is written once by log_open() before any thread starts and
 *	only read afterwards.
 * DIAGNOSTICS
 *	None: a message that cannot be written is dropped.
 * SEE ALSO
 *	syslog(3)
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "util/log.h"

static const char *log_name = "optin";
static unsigned log_dest = LOG_TO_STDERR;
static _Atomic int log_lowest = LOG_SEV_INFO;   /* a reload may change it while threads log */

static const struct {
    const char *label;
    int priority;
} log_levels[] = {
    [LOG_SEV_DEBUG] = {"debug", LOG_DEBUG},
    [LOG_SEV_INFO] = {"info", LOG_INFO},
    [LOG_SEV_NOTICE] = {"notice", LOG_NOTICE},
    [LOG_SEV_WARN] = {"warning", LOG_WARNING},
    [LOG_SEV_ERROR] = {"error", LOG_ERR},
    [LOG_SEV_FATAL] = {"fatal", LOG_CRIT},
};

/* log_open - choose where messages go (LOG_TO_* flags); call before threads start */
void log_open(const char *progname, unsigned targets, int syslog_facility)
{
    const char *slash = strrchr(progname, '/');

    log_name = slash ? slash + 1 : progname;
    log_dest = targets;
    if (targets & LOG_TO_SYSLOG)
        openlog(log_name, LOG_PID | LOG_NDELAY, syslog_facility);
}

/* log_facility - syslog facility by its configuration name ("mail", "daemon", "local0".."local7") */
int log_facility(const char *name)
{
    static const struct {
        const char *name;
        int facility;
    } facilities[] = {
        {"mail", LOG_MAIL}, {"daemon", LOG_DAEMON}, {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},
        {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},
        {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
    };

    for (size_t i = 0; name && i < sizeof(facilities) / sizeof(facilities[0]); i++)
        if (strcmp(facilities[i].name, name) == 0)
            return facilities[i].facility;
    return LOG_MAIL;
}

/* log_set_level - drop messages below this severity */
void log_set_level(enum log_severity lowest)
{
    log_lowest = (int) lowest;
}

/* log_level_parse - a severity by its configuration name ("debug" ... "error"); -1 if unknown */
int log_level_parse(const char *name)
{
    for (int sev = LOG_SEV_DEBUG; name != NULL && sev < LOG_SEV_FATAL; sev++)
        if (strcmp(log_levels[sev].label, name) == 0)
            return sev;
    return -1;
}

/* log_vmsg - format and emit one message to each target */
static void log_vmsg(enum log_severity sev, const char *fmt, va_list ap)
{
    int labelled = sev != LOG_SEV_INFO && !(log_dest & LOG_UNLABELLED);
    const char *label = labelled ? log_levels[sev].label : "", *colon = labelled ? ": " : "";
    char text[2048];

    if ((int) sev < log_lowest)
        return;
    vsnprintf(text, sizeof(text), fmt, ap);
    if (log_dest & LOG_TO_SYSLOG)
        syslog(log_levels[sev].priority, "%s%s%s", label, colon, text);
    if (log_dest & LOG_TO_STDERR)
        fprintf(stderr, "%s: %s%s%s\n", log_name, label, colon, text);
}

/* log_msg - log at a severity */
void log_msg(enum log_severity sev, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vmsg(sev, fmt, ap);
    va_end(ap);
}

/* log_lines - each non-empty line of a text as one message */
void log_lines(enum log_severity sev, const char *text)
{
    while (*text) {
        size_t len = strcspn(text, "\n");

        if (len)
            log_msg(sev, "%.*s", (int) len, text);
        text += len + (text[len] == '\n');
    }
}
