/*
 * fuzz_wire.c - libFuzzer target for the two binary formats the Kafka
 * service reads back from its own topics: count events (repartition topic,
 * nr_event_decode) and window-key snapshots (changelog topic,
 * nr_window_key_restore). Both come from the network, so both must reject
 * anything malformed with a message and never crash. The first input byte
 * picks the format; an accepted event is re-encoded and decoded again, and
 * must round-trip.
 *
 * The configuration is the replay test configuration (tests/data/replay/
 * config/newsradar.yaml), found through NR_SOURCE_DIR or the working
 * directory.
 */
#include "newsradar/event.h"
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
        struct nr_event_buf b;
        memset(&b, 0, sizeof(b));
        if (nr_event_decode(cfg, (const char *)data + 1, size - 1, &b, &err) == 0) {
            uint8_t *wire = NULL;
            size_t cap = 0, len = 0;
            if (nr_event_encode_buf(cfg, &b.ev, &wire, &cap, &len) != 0)
                abort(); /* what we accept we can write */
            struct nr_event_buf b2;
            memset(&b2, 0, sizeof(b2));
            if (nr_event_decode(cfg, (const char *)wire, len, &b2, &err) != 0 ||
                strcmp(b2.ev.key, b.ev.key) != 0 || b2.ev.rule != b.ev.rule ||
                b2.ev.event_ms != b.ev.event_ms)
                abort(); /* and read back */
            nr_event_buf_free(&b2);
            free(wire);
        } else if (!err.msg[0]) {
            abort(); /* a rejection always says why */
        }
        nr_event_buf_free(&b);
    } else {
        struct nr_wstore *st = nr_wstore_new(cfg);
        struct nr_wkey *k;
        if (nr_window_key_restore(st, data + 1, size - 1, &k, &err) == 0) {
            uint8_t *out = NULL;
            size_t len = 0;
            if (nr_window_key_snapshot(st, k, &out, &len) != 0)
                abort();
            free(out);
        } else if (!err.msg[0]) {
            abort();
        }
        nr_wstore_free(st);
    }
    return 0;
}
