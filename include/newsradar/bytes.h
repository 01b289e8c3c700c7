/*
 * bytes.h - the one byte codec of the binary formats: little-endian for
 * count events, window snapshots and watermarks; big-endian only for the
 * held-event chunks of the changelog (svc_stage2.c), which were written so
 * first and stay readable.
 *
 * Two levels: fixed-position loads and stores (nr_le32_put/nr_le32_get ...)
 * for formats that size their record first, and a growing write buffer and
 * a bounds-checked read cursor for records read from untrusted bytes: a
 * read past the end sets `bad`, returns 0 and every later read fails too, so
 * a parser checks once after a group of reads. Header-only (static inline):
 * the hot encoders compile to plain stores.
 */
#ifndef NEWSRADAR_BYTES_H
#define NEWSRADAR_BYTES_H

#include "newsradar/common.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- fixed position ------------------------------------------------------ */

/* Store the low `bytes` bytes of v at p; returns p + bytes. */
static inline uint8_t *nr_le_put(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    return p + bytes;
}

static inline uint64_t nr_le_get(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* The same, most significant byte first. */
static inline uint8_t *nr_be_put(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
    return p + bytes;
}

static inline uint64_t nr_be_get(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | p[i];
    return v;
}

static inline uint8_t *nr_le16_put(uint8_t *p, uint32_t v)
{
    return nr_le_put(p, v, 2);
}
static inline uint8_t *nr_le32_put(uint8_t *p, uint32_t v)
{
    return nr_le_put(p, v, 4);
}
static inline uint8_t *nr_le64_put(uint8_t *p, uint64_t v)
{
    return nr_le_put(p, v, 8);
}
static inline uint32_t nr_le16_get(const uint8_t *p)
{
    return (uint32_t)nr_le_get(p, 2);
}
static inline uint32_t nr_le32_get(const uint8_t *p)
{
    return (uint32_t)nr_le_get(p, 4);
}
static inline uint64_t nr_le64_get(const uint8_t *p)
{
    return nr_le_get(p, 8);
}

/* ---- growing write buffer ------------------------------------------------ */

struct nr_wbuf {
    uint8_t *p; /* owned; the caller takes it when done */
    size_t n, cap;
};

static inline void nr_wbuf_put(struct nr_wbuf *w, const void *src, size_t n)
{
    nr_grow((void **)&w->p, &w->cap, w->n + n, 1);
    if (n)
        memcpy(w->p + w->n, src, n);
    w->n += n;
}

static inline void nr_wbuf_u8(struct nr_wbuf *w, uint8_t v)
{
    nr_wbuf_put(w, &v, 1);
}

static inline void nr_wbuf_u32(struct nr_wbuf *w, uint32_t v)
{
    uint8_t b[4];
    nr_le32_put(b, v);
    nr_wbuf_put(w, b, 4);
}

static inline void nr_wbuf_u64(struct nr_wbuf *w, uint64_t v)
{
    uint8_t b[8];
    nr_le64_put(b, v);
    nr_wbuf_put(w, b, 8);
}

/* A u32 length, then the bytes. */
static inline void nr_wbuf_str(struct nr_wbuf *w, const char *s, size_t n)
{
    nr_wbuf_u32(w, (uint32_t)n);
    nr_wbuf_put(w, s, n);
}

/* ---- bounds-checked read cursor ----------------------------------------- */

struct nr_rbuf {
    const uint8_t *p;
    size_t n, off;
    bool bad; /* a read ran past the end (or a parser gave up) */
};

static inline bool nr_rbuf_need(struct nr_rbuf *r, size_t n)
{
    if (r->bad || r->n - r->off < n) {
        r->bad = true;
        return false;
    }
    return true;
}

static inline size_t nr_rbuf_left(const struct nr_rbuf *r)
{
    return r->bad ? 0 : r->n - r->off;
}

/* n bytes in place (NULL if truncated). */
static inline const uint8_t *nr_rbuf_bytes(struct nr_rbuf *r, size_t n)
{
    if (!nr_rbuf_need(r, n))
        return NULL;
    const uint8_t *p = r->p + r->off;
    r->off += n;
    return p;
}

/* The next `bytes` bytes as a little-endian number (0 if truncated). */
static inline uint64_t nr_rbuf_le(struct nr_rbuf *r, int bytes)
{
    const uint8_t *p = nr_rbuf_bytes(r, (size_t)bytes);
    return p ? nr_le_get(p, bytes) : 0;
}

static inline uint8_t nr_rbuf_u8(struct nr_rbuf *r)
{
    return (uint8_t)nr_rbuf_le(r, 1);
}
static inline uint32_t nr_rbuf_u16(struct nr_rbuf *r)
{
    return (uint32_t)nr_rbuf_le(r, 2);
}
static inline uint32_t nr_rbuf_u32(struct nr_rbuf *r)
{
    return (uint32_t)nr_rbuf_le(r, 4);
}
static inline uint64_t nr_rbuf_u64(struct nr_rbuf *r)
{
    return nr_rbuf_le(r, 8);
}

/* Borrowed view of a u32-length-prefixed string of at most max bytes. */
static inline const uint8_t *nr_rbuf_str(struct nr_rbuf *r, size_t max, size_t *len)
{
    uint32_t n = nr_rbuf_u32(r);
    if (n > max)
        r->bad = true;
    const uint8_t *p = nr_rbuf_bytes(r, n);
    *len = p ? n : 0;
    return p;
}

/* A time (or bucket index) read from a snapshot: NR_TIME_NONE or small
 * enough that the window arithmetic cannot overflow. */
#define NR_SNAP_TIME_LIM (INT64_C(1) << 61)
static inline bool nr_snap_time_ok(int64_t t)
{
    return t == NR_TIME_NONE || (t > -NR_SNAP_TIME_LIM && t < NR_SNAP_TIME_LIM);
}

#endif
