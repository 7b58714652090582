/* bytes.h - big-endian integers in stored keys and values (LMDB sorts keys bytewise) */
#ifndef OPTIN_BYTES_H
#define OPTIN_BYTES_H

#include <stdint.h>

/* bytes_put_u64 - v as 8 octets, most significant first */
static inline void bytes_put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char) (v >> (56 - 8 * i));
}

/* bytes_get_u64 - 8 octets, most significant first */
static inline uint64_t bytes_get_u64(const unsigned char *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

/* bytes_put_i64, bytes_get_i64 - the same for signed values (two's complement) */
static inline void bytes_put_i64(unsigned char *p, int64_t v)
{
    bytes_put_u64(p, (uint64_t) v);
}

static inline int64_t bytes_get_i64(const unsigned char *p)
{
    return (int64_t) bytes_get_u64(p);
}

#endif
