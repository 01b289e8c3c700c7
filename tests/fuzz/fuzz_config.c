/*
 * fuzz_config.c - libFuzzer target for the configuration loader: the input
 * is written as a main config file beside a small valid watchlist and rule
 * file, then loaded. Invariant: the loader returns a config, or NULL with at
 * least one diagnostic, each with a file, a 1-based line and column and a
 * message. It must never crash, hang or expand YAML aliases without bound.
 */
#include "newsradar/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static void write_file(const char *name, const char *text, size_t len)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fwrite(text, 1, len, f);
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "/tmp/nr-fuzz-config.XXXXXX");
        if (!mkdtemp(dir))
            abort();
        static const char wl[] =
            "entities:\n  - {id: PK, kind: country, name: Pakistan, code: PK,\n"
            "     demonyms: [Pakistani]}\n";
        static const char rules[] = "topics:\n  - {id: t, name: T, any: [border closed]}\n"
                                    "alerts:\n  - {id: r, topic: t, by: [country]}\n";
        write_file("w.yaml", wl, sizeof(wl) - 1);
        write_file("r.yaml", rules, sizeof(rules) - 1);
    }
    write_file("main.yaml", (const char *)data, size);
    char path[128];
    snprintf(path, sizeof(path), "%s/main.yaml", dir);
    struct nr_diags d = {0};
    struct nr_config *cfg = nr_config_load(path, &d);
    if (!cfg && d.n == 0)
        abort(); /* a rejection always says why */
    for (size_t i = 0; i < d.n; i++)
        if (!d.v[i].pos.file || d.v[i].pos.line < 1 || d.v[i].pos.col < 1 || !d.v[i].msg)
            abort();
    nr_config_free(cfg);
    nr_diags_free(&d);
    return 0;
}
