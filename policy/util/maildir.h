/* maildir.h - keep a message in a Maildir for a person to read (see maildir.c) */
#ifndef OPTIN_MAILDIR_H
#define OPTIN_MAILDIR_H

#include <stddef.h>
#include <stdint.h>

/*
 * maildir_deliver - write data[0, len) as one new message of the Maildir dir (tmp/, new/ and
 * cur/ made when missing): into tmp/ under a unique name, synced, then renamed into new/, mode
 * 0640. 0, with the file's path in path (may be NULL); or -errno with err set.
 */
int maildir_deliver(const char *dir, const void *data, size_t len, int64_t now,
                    char *path, size_t pathsz, char *err, size_t errsz);

#endif
