/*
 * fuzz_wire.c - libFuzzer target for the two binary formats the Kafka
 * service reads back from its own topics: count events (repartition topic,
 * nr_event_reader_* and nr_event_decode) and window-key snapshots (changelog topic,
 * nr_window_key_restore). Both come from the network, so both must reject
 * anything malformed with a message and never crash. The first input byte
 * picks the format. A repartition message is a batch of events or one bare
 * event (event.h); the accepted events are re-encoded as a batch, which must
 * read back. A snapshot that restores is written again, and that one must
 * restore and write back to the same bytes, with every history entry's
 * string lengths tiling its strings (a \u0000 inside one must not shift
 * the others: alert evidence is read from there).
 *
 * A first byte with bit 1 set and bit 0 clear picks the source positions
 * (srcpos.h: a message's header and a checkpoint's table).
 *
 * The configuration is the replay test configuration (tests/data/replay/
 * config/newsradar.yaml), found through NR_SOURCE_DIR or the working
 * directory.
 */
#include "newsradar/dedup.h"
#include "newsradar/event.h"
#include "newsradar/srcpos.h"
#include "newsradar/window.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct nr_config *fuzz_config(void)
{
    static struct nr_config *cfg;
    if (!cfg) {
        char path[1024];
        const char *root = getenv("NR_SOURCE_DIR");
        snprintf(path, sizeof(path), "%s/tests/data/replay/config/newsradar.yaml",
                 root ? root : ".");
        struct nr_diags d = {0};
        cfg = nr_config_load(path, &d);
        nr_diags_free(&d);
        if (!cfg) {
            fprintf(stderr, "fuzz_wire: cannot load %s (set NR_SOURCE_DIR)\n", path);
            abort();
        }
    }
    return cfg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct nr_config *cfg = fuzz_config();
    if (size < 1)
        return 0;
    struct nr_error err = {{0}};
    if (data[0] & 1) {
        /* A repartition message, read as stage 2 does: a batch or one bare
         * record; every record that decodes is written into a new batch,
         * which must read back to the same events. */
        struct nr_event_reader rd;
        const char *rec;
        size_t rlen;
        struct nr_event_buf b, b2;
        memset(&b, 0, sizeof(b));
        memset(&b2, 0, sizeof(b2));
        struct nr_event_batch out = {0};
        static char last_key[NR_EVENT_KEY_MAX];
        uint32_t last_rule = 0;
        int64_t last_ms = 0;
        if (nr_event_reader_open(&rd, (const char *)data + 1, size - 1, &err) > 0) {
            int k;
            while ((k = nr_event_reader_next(&rd, &rec, &rlen, &err)) > 0) {
                if (rec < (const char *)data + 1 || rec + rlen > (const char *)data + size)
                    abort(); /* a record never points outside the message */
                if (nr_event_decode(cfg, rec, rlen, &b, &err) == 0) {
                    if (nr_event_batch_add(cfg, &out, &b.ev) != 0)
                        abort(); /* what we accept we can write */
                    memcpy(last_key, b.ev.key, sizeof(last_key));
                    last_rule = b.ev.rule;
                    last_ms = b.ev.event_ms;
                } else if (!err.msg[0]) {
                    abort(); /* a rejection always says why */
                }
            }
            if (k < 0 && !err.msg[0])
                abort();
        } else if (!err.msg[0]) {
            abort();
        }
        if (out.n) { /* and read back */
            if (nr_event_reader_open(&rd, (const char *)out.buf, out.len, &err) != (int)out.n)
                abort();
            uint32_t got = 0;
            while (nr_event_reader_next(&rd, &rec, &rlen, &err) > 0) {
                if (nr_event_decode(cfg, rec, rlen, &b2, &err) != 0)
                    abort();
                got++;
            }
            if (got != out.n || strcmp(b2.ev.key, last_key) != 0 || b2.ev.rule != last_rule ||
                b2.ev.event_ms != last_ms)
                abort(); /* the last event read back is the last one accepted */
        }
        nr_event_batch_free(&out);
        nr_event_buf_free(&b);
        nr_event_buf_free(&b2);
    } else if (data[0] & 2) {
        /* The source positions of a repartition message (its
         * newsradar.src header) and of a checkpoint (the `seen` record):
         * what decodes encodes back to the same bytes. */
        struct nr_srcpos_runs r = {0};
        struct nr_srcpos_table t = {0};
        uint8_t *out = NULL;
        size_t len = 0;
        if (nr_srcpos_decode(&r, data + 1, size - 1, &err) == 0) {
            nr_srcpos_encode(&r, &out, &len);
            if (len != size - 1 || memcmp(out, data + 1, len) != 0)
                abort();
            free(out);
        } else if (!err.msg[0]) {
            abort();
        }
        err.msg[0] = '\0';
        if (nr_srcpos_table_decode(&t, data + 1, size - 1, &err) == 0) {
            nr_srcpos_table_encode(&t, &out, &len);
            if (len != size - 1 || memcmp(out, data + 1, len) != 0)
                abort();
            free(out);
        } else if (!err.msg[0]) {
            abort();
        }
        nr_srcpos_free(&r);
        nr_srcpos_table_free(&t);
    } else {
        struct nr_wstore *st = nr_wstore_new(cfg);
        struct nr_wkey *k;
        if (nr_window_key_restore(st, data + 1, size - 1, &k, &err) == 0) {
            uint8_t *out = NULL, *out2 = NULL;
            size_t len = 0, len2 = 0;
            if (nr_window_key_snapshot(st, k, &out, &len) != 0)
                abort();
            struct nr_wstore *st2 = nr_wstore_new(cfg);
            struct nr_wkey *k2;
            if (nr_window_key_restore(st2, out, len, &k2, &err) != 0)
                abort(); /* what we write we can read */
            if (nr_window_key_snapshot(st2, k2, &out2, &len2) != 0 || len2 != len ||
                memcmp(out, out2, len) != 0)
                abort(); /* and it reads back to the same state */
            const struct nr_history *h = &k2->hist;
            for (uint32_t i = 0; h && i < h->n; i++) {
                const struct nr_hist_entry *e = nr_history_at(h, i);
                size_t sum = 0;
                for (int j = 0; j < 5; j++)
                    sum += (size_t)e->slen[j] + 1;
                if (sum != e->strs_len)
                    abort(); /* the lengths tile the strings */
            }
            nr_wstore_free(st2);
            free(out);
            free(out2);
        } else if (!err.msg[0]) {
            abort();
        }
        nr_wstore_free(st);
    }
    return 0;
}
