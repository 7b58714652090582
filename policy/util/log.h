/* log.h - one logging function with a severity ladder (see log.c) */
#ifndef OPTIN_LOG_H
#define OPTIN_LOG_H

enum log_severity {
    LOG_SEV_DEBUG,
    LOG_SEV_INFO,
    LOG_SEV_NOTICE,
    LOG_SEV_WARN,
    LOG_SEV_ERROR,
    LOG_SEV_FATAL,
};

/* log_open targets: flags */
enum log_target {
    LOG_TO_STDERR = 0x1,
    LOG_TO_SYSLOG = 0x2,
    LOG_TO_BOTH = LOG_TO_STDERR | LOG_TO_SYSLOG,
    LOG_UNLABELLED = 0x4,      /* no "warning: " before the text, on either target */
};

void log_open(const char *progname, unsigned targets, int syslog_facility);
void log_set_level(enum log_severity lowest);
int log_facility(const char *name);
void log_msg(enum log_severity sev, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void log_lines(enum log_severity sev, const char *text);
/* log_level_parse - "debug", "info", "notice", "warning", "error" as a severity; -1 if none */
int log_level_parse(const char *name);

#define log_debug(...) log_msg(LOG_SEV_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_SEV_INFO, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_SEV_NOTICE, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_SEV_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_SEV_ERROR, __VA_ARGS__)

#endif
