/* test_text.c - normalization, offset map, boundaries, simhash. */
#include <utf8proc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newsradar/text.h"

static char *norm(const char *s, unsigned flags)
{
    struct nr_text t;
    nr_text_init(&t);
    nr_text_normalize(&t, s, strlen(s), flags);
    char *out = strdup(t.buf);
    nr_text_fini(&t);
    return out;
}

#define ASSERT_NORM(in, want)                                                                      \
    do {                                                                                           \
        char *got_ = norm(in, 0);                                                                  \
        assert_string_equal(got_, want);                                                           \
        free(got_);                                                                                \
    } while (0)

static void test_ascii(void **state)
{
    (void)state;
    ASSERT_NORM("Pakistan CLOSED the Border", "pakistan closed the border");
    ASSERT_NORM("a  \t\n b", "a b");
    ASSERT_NORM("al-Qaida", "al qaida");
    ASSERT_NORM("al - Qaida", "al qaida");
    ASSERT_NORM("it`s", "it's");
    ASSERT_NORM("", "");
}

static void test_unicode(void **state)
{
    (void)state;
    ASSERT_NORM("Peshāwar", "peshawar");
    ASSERT_NORM("Pesha\xcc\x84war", "peshawar");    /* decomposed macron */
    ASSERT_NORM("al–Qaida", "al qaida");            /* en dash */
    ASSERT_NORM("al—Qaida", "al qaida");            /* em dash */
    ASSERT_NORM("al‐Qaida", "al qaida");            /* U+2010 */
    ASSERT_NORM("al\xe2\x80\x91Qaida", "al qaida"); /* non-breaking hyphen */
    ASSERT_NORM("Pakistan’s", "pakistan's");
    ASSERT_NORM("Pakistan‘s ʼs", "pakistan's 's");
    ASSERT_NORM("“quoted” «x»", "\"quoted\" \"x\"");
    ASSERT_NORM("a\xc2\xa0\xe2\x80\x83 b", "a b"); /* NBSP, em space */
    ASSERT_NORM("ﬁle", "file");                    /* ligature */
    ASSERT_NORM("ＡＢＣ", "abc");                  /* full width */
    ASSERT_NORM("STRAßE", "strasse");
    ASSERT_NORM("МОСКВА", "москва");
    ASSERT_NORM("Ελλάδα", "ελλαδα");
    ASSERT_NORM("soft\xc2\xadhyphen", "softhyphen");
    ASSERT_NORM("zero\xe2\x80\x8bwidth", "zerowidth");
    /* Arabic kaf/yeh to Urdu forms; harakat stripped */
    ASSERT_NORM("باكستان", "باکستان");
    ASSERT_NORM("پاکستان", "پاکستان");
    ASSERT_NORM("مُحَمَّد", "محمد");
    /* Devanagari vowel signs are kept */
    ASSERT_NORM("पाकिस्तान", "पाकिस्तान");
    /* invalid UTF-8 becomes a space, never crashes */
    ASSERT_NORM("a\xff\xfe b", "a b");
    ASSERT_NORM("a\xe2\x80", "a ");
}

static void test_keep_case(void **state)
{
    (void)state;
    char *s = norm("TTP al–Qaida Élan", NR_TEXT_KEEP_CASE);
    assert_string_equal(s, "TTP al Qaida Elan");
    free(s);
}

static void test_map(void **state)
{
    (void)state;
    struct nr_text t;
    nr_text_init(&t);
    const char *in = "Peshāwar’s  al–Qaida";
    nr_text_normalize(&t, in, strlen(in), 0);
    assert_string_equal(t.buf, "peshawar's al qaida");
    assert_int_equal(nr_text_orig(&t, t.len), strlen(in));
    /* "peshawar" = [0,8) -> original [0,9) (ā is 2 bytes) */
    assert_int_equal(nr_text_orig(&t, 0), 0);
    assert_int_equal(nr_text_orig(&t, 8), 9);
    /* "qaida" */
    const char *q = strstr(t.buf, "qaida");
    size_t qs = (size_t)(q - t.buf);
    assert_memory_equal(in + nr_text_orig(&t, qs), "Qaida", 5);
    assert_int_equal(nr_text_orig(&t, qs + 5), strlen(in));
    /* buffers are reused: a shorter input does not reallocate */
    char *buf = t.buf;
    nr_text_normalize(&t, "x", 1, 0);
    assert_ptr_equal(buf, t.buf);
    assert_string_equal(t.buf, "x");
    nr_text_fini(&t);
    nr_text_fini(NULL);
}

/* ASCII input against a straightforward reference: exercises the 16-byte
 * vector path, its fallbacks and the block edges (spaces across blocks). */
static void test_ascii_random(void **state)
{
    (void)state;
    static const char alphabet[] = "abcXYZ  -`\t\n.,'Q09";
    uint64_t x = 12345;
    struct nr_text t;
    nr_text_init(&t);
    char in[600], want[600];
    uint32_t wmap[601];
    for (int round = 0; round < 400; round++) {
        unsigned flags = round & 1 ? NR_TEXT_KEEP_CASE : 0;
        size_t n = (size_t)(round % 7 == 0 ? round % 40 : 17 + round);
        if (n > sizeof(in))
            n = sizeof(in);
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            /* long runs of letters so that whole blocks take the fast path */
            in[i] = (x >> 8) % 4 ? (char)('a' + x % 26 - ((x >> 20) % 3 == 0 ? 32 : 0))
                                 : alphabet[x % (sizeof(alphabet) - 1)];
        }
        size_t m = 0;
        bool last = false;
        for (size_t i = 0; i < n; i++) {
            char c = in[i];
            if (c == '-' || (unsigned char)c < 0x20)
                c = ' ';
            else if (c == '`')
                c = '\'';
            else if (!flags && c >= 'A' && c <= 'Z')
                c = (char)(c + 32);
            if (c == ' ' && last)
                continue;
            last = c == ' ';
            want[m] = c;
            wmap[m++] = (uint32_t)i;
        }
        wmap[m] = (uint32_t)n;
        nr_text_normalize(&t, in, n, flags);
        assert_int_equal(t.len, m);
        assert_memory_equal(t.buf, want, m);
        for (size_t k = 0; k <= m; k++)
            assert_int_equal(nr_text_orig(&t, k), wmap[k]);
    }
    nr_text_fini(&t);
}

/* The compact offset map: long white-space runs (steps of 15 and more,
 * stored as exceptions), several windows of the normalizer (> 4096 bytes),
 * multi-byte characters and dropped ones. Every ASCII letter of the
 * normalized text must point at the same letter of the input, origins never
 * go back, and the end maps to the input length. */
static void test_compact_map(void **state)
{
    (void)state;
    static const char *const parts[] = {"Pakistan ",
                                        "caf\xc3\xa9 ",
                                        "\xef\xac\x81ne ",
                                        "soft\xc2\xadhyphen ",
                                        "\xe4\xb8\xad\xe6\x96\x87 ",
                                        "al-Qaida\t"};
    size_t cap = 200000, n = 0;
    char *in = malloc(cap);
    assert_non_null(in);
    uint32_t x = 12345;
    while (n + 200 < cap) {
        x = x * 1103515245u + 12345u;
        unsigned r = (x >> 16) % 10;
        if (r < 6) {
            const char *p = parts[r];
            memcpy(in + n, p, strlen(p));
            n += strlen(p);
        } else {
            size_t run = 1 + (x >> 8) % (r == 9 ? 120 : 20); /* 15+: exceptions */
            memset(in + n, r == 8 ? '\n' : ' ', run);
            n += run;
        }
    }
    struct nr_text t;
    nr_text_init(&t);
    for (int keep = 0; keep < 2; keep++) {
        nr_text_normalize(&t, in, n, keep ? NR_TEXT_KEEP_CASE : 0);
        assert_true(t.len > 4096 * 3);
        assert_true(t.n_exc > 100);
        assert_int_equal(nr_text_orig(&t, t.len), n);
        uint32_t prev = 0;
        for (size_t i = 0; i <= t.len; i++) {
            uint32_t o = nr_text_orig(&t, i);
            assert_true(o >= prev && o <= n);
            prev = o;
            char c = t.buf[i];
            if (i < t.len && c >= 'a' && c <= 'z') {
                char w = in[o];
                if (w >= 'A' && w <= 'Z' && !keep)
                    w = (char)(w + 32);
                if (w != c && !((unsigned char)in[o] >= 0x80))
                    fail_msg("byte %zu '%c' maps to input %u '%c'", i, c, o, in[o]);
            }
        }
    }
    nr_text_fini(&t);
    free(in);
}

static void test_large_expansion(void **state)
{
    (void)state;
    /* U+FDFA expands to 18 code points: buffers must grow */
    struct nr_text t;
    nr_text_init(&t);
    size_t n = 2000;
    char *in = malloc(n * 3 + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(in + 3 * i, "\xef\xb7\xba", 3);
    in[n * 3] = 0;
    nr_text_normalize(&t, in, n * 3, 0);
    assert_true(t.len > n * 10);
    assert_int_equal(nr_text_orig(&t, t.len), n * 3);
    for (size_t i = 0; i < t.len; i++)
        assert_true(nr_text_orig(&t, i) <= n * 3 && nr_text_orig(&t, i) % 3 == 0);
    free(in);
    nr_text_fini(&t);
}

static bool bok(const char *text, const char *pat)
{
    const char *p = strstr(text, pat);
    assert_non_null(p);
    return nr_text_boundary_ok(text, strlen(text), (size_t)(p - text),
                               (size_t)(p - text) + strlen(pat));
}

/* text.c caches the normalized form of each non-ASCII code point per
 * nr_text: a text normalized by a nr_text that has seen many others (warm
 * cache, slots reused by code points 4096 apart, both case flags) must come
 * out byte for byte, offset for offset, as with a fresh one. */
static size_t put_cp(uint32_t cp, char *o)
{
    return (size_t)utf8proc_encode_char((utf8proc_int32_t)cp, (utf8proc_uint8_t *)o);
}

static void test_fold_cache(void **state)
{
    (void)state;
    struct nr_text warm[2], fresh;
    nr_text_init(&warm[0]);
    nr_text_init(&warm[1]);
    uint64_t r = 0x2545F4914F6CDD1DULL;
    char s[512];
    for (int it = 0; it < 20000; it++) {
        size_t n = 0;
        int k = 1 + it % 40;
        for (int q = 0; q < k; q++) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            uint32_t cp;
            switch (r % 7) {
            case 0: /* ASCII, spaces and hyphens among them */
                cp = " -a'Z\t"[(r >> 8) % 6];
                break;
            case 1: /* Latin to Arabic, one slot each */
                cp = 0x80 + (uint32_t)(r >> 8) % 0xF80;
                break;
            case 2: /* the same slots from other planes */
                cp = 0x1000 * (1 + (uint32_t)(r >> 8) % 15) + (uint32_t)(r >> 20) % 0x1000;
                break;
            case 3: /* spaces, dashes, marks, ligatures */
            {
                static const uint32_t odd[] = {0x00A0, 0x2003, 0x2014, 0x0301, 0xFDFA, 0xFB01,
                                               0x00A8, 0x3000, 0x0640, 0x200B, 0x1E9E, 0x0130};
                cp = odd[(r >> 8) % 12];
                break;
            }
            case 4:
                cp = 0x4E00 + (uint32_t)(r >> 8) % 0x5200;
                break;
            case 5:
                cp = (uint32_t)(r >> 8) % 0x110000;
                break;
            default: /* an invalid byte */
                s[n++] = (char)(0x80 + (r >> 8) % 0x40);
                continue;
            }
            if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = 'x';
            n += put_cp(cp, s + n);
        }
        unsigned fl = (unsigned)(r >> 40) % 2 ? NR_TEXT_KEEP_CASE : 0;
        struct nr_text *w = &warm[fl ? 1 : 0];
        nr_text_normalize(w, s, n, fl);
        nr_text_init(&fresh);
        nr_text_normalize(&fresh, s, n, fl);
        assert_int_equal(w->len, fresh.len);
        assert_memory_equal(w->buf, fresh.buf, fresh.len + 1);
        for (size_t k = 0; k <= fresh.len; k++)
            assert_int_equal(nr_text_orig(w, k), nr_text_orig(&fresh, k));
        nr_text_fini(&fresh);
    }
    nr_text_fini(&warm[0]);
    nr_text_fini(&warm[1]);
}

static void test_boundaries(void **state)
{
    (void)state;
    assert_true(bok("pakistan's army", "pakistan"));
    assert_true(bok("in pakistan.", "pakistan"));
    assert_false(bok("tirana", "iran"));
    assert_false(bok("a woman", "oman"));
    assert_false(bok("omani", "oman"));
    assert_true(bok("oman", "oman"));
    assert_false(bok("2024x", "2024"));
    /* Cyrillic, Arabic, Devanagari letters are word characters */
    assert_false(bok("москвич", "москв"));
    assert_true(bok("в москва,", "москва"));
    assert_false(bok("سباکستان", "باکستان"));
    assert_true(bok("الباکستان", "باکستان")); /* a clitic prefix (text_arabic.c) */
    assert_true(bok("از پاکستان و", "پاکستان"));
    assert_false(bok("पाकिस्तानी", "पाकिस्तान"));
    /* unspaced scripts: no boundary needed */
    assert_true(bok("在巴基斯坦的", "巴基斯坦"));
    assert_true(nr_text_word_at("é", 2, 0));
    assert_false(nr_text_word_at("’", 3, 0));
    assert_true(nr_text_word_before("aé", 3));
    assert_false(nr_text_word_before("a ", 2));
}

/* A deterministic pseudo-text of n words from a small vocabulary. */
static char *gen_text(size_t n, uint64_t seed, size_t change_at)
{
    static const char *vocab[] = {
        "the",       "border", "crossing",  "was",    "closed",  "after",   "clashes",
        "officials", "said",   "trucks",    "waited", "on",      "both",    "sides",
        "of",        "river",  "army",      "police", "talks",   "resumed", "city",
        "minister",  "told",   "reporters", "in",     "capital", "and",     "a"};
    char *out = malloc(n * 16 + 1);
    size_t len = 0;
    uint64_t x = seed;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        const char *w = i == change_at ? "lorries" : vocab[x % NR_ARRAY_LEN(vocab)];
        len += (size_t)sprintf(out + len, "%s%s", i ? " " : "", w);
    }
    return out;
}

static void test_simhash(void **state)
{
    (void)state;
    /* short texts (all shingles vote) and long texts (sampled) */
    for (size_t n = 60; n <= 700; n += 640) {
        char *a = gen_text(n, 42, (size_t)-1), *b = gen_text(n, 42, n / 5);
        char *b2 = gen_text(n, 42, n / 3);
        char *c = gen_text(n, 4242, (size_t)-1);
        uint64_t ha = nr_text_simhash(a, strlen(a)), hb = nr_text_simhash(b, strlen(b));
        uint64_t hb2 = nr_text_simhash(b2, strlen(b2)), hc = nr_text_simhash(c, strlen(c));
        assert_int_equal(ha, nr_text_simhash(a, strlen(a)));
        int near1 = nr_simhash_distance(ha, hb), near2 = nr_simhash_distance(ha, hb2);
        int far = nr_simhash_distance(ha, hc);
        printf("# simhash n=%zu near %d %d far %d\n", n, near1, near2, far);
        assert_true(near1 <= 10 && near2 <= 10);
        assert_true(far >= 16);
        if (n > 600) {
            /* past the lead (NR_SIMHASH_LEAD bytes): a change does not count */
            char *d = gen_text(n, 42, n - 2);
            assert_true(strlen(a) > 2 * NR_SIMHASH_LEAD);
            assert_int_equal(nr_text_simhash(d, strlen(d)), ha);
            free(d);
        }
        free(a);
        free(b);
        free(b2);
        free(c);
    }
    assert_int_equal(nr_text_simhash("", 0), 0);
    assert_int_equal(nr_text_simhash(" , ", 3), 0);
    assert_true(nr_text_simhash("one", 3) != 0);
    assert_true(nr_text_simhash("one two", 7) != nr_text_simhash("two one", 7));
    /* punctuation at word ends does not matter */
    assert_int_equal(nr_text_simhash("a b, c d.", 9), nr_text_simhash("a b c d", 7));
}

/* The simhash spelled out plainly (split, trim, hash, shingle, 64 counters,
 * majority): nr_text_simhash() must give exactly these values; its word
 * pass and bit-sliced vote are optimizations of this, not a different hash. */
static bool ref_sep(unsigned char c)
{
    return c < 0x80 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                         (c >= 'A' && c <= 'Z') || c == '\'' || c == '_');
}

static uint64_t ref_word_hash(const unsigned char *p, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL;
    while (n > 0) {
        uint64_t v = 0;
        size_t k = n < 8 ? n : 8;
        memcpy(&v, p, k);
        h = (h ^ v) * 0xff51afd7ed558ccdULL;
        h ^= h >> 29;
        p += k;
        n -= k;
    }
    return h;
}

static uint64_t rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static uint64_t ref_simhash(const char *buf, size_t len)
{
    const unsigned char *s = (const unsigned char *)buf;
    if (len > NR_SIMHASH_LEAD) {
        size_t cut = NR_SIMHASH_LEAD;
        while (cut > NR_SIMHASH_LEAD / 2 && s[cut] != ' ')
            cut--;
        len = cut;
    }
    uint64_t w[3] = {0, 0, 0}, counts[64] = {0}, total = 0;
    size_t nw = 0;
    for (size_t i = 0; i < len;) {
        size_t a = i, e = i;
        while (e < len && s[e] != ' ')
            e++;
        i = e + 1;
        while (a < e && ref_sep(s[a]))
            a++;
        while (e > a && ref_sep(s[e - 1]))
            e--;
        if (a == e)
            continue;
        w[0] = w[1], w[1] = w[2], w[2] = ref_word_hash(s + a, e - a);
        if (++nw < 3)
            continue;
        uint64_t x = (w[0] ^ rotl(w[1], 21) ^ rotl(w[2], 42)) * 0xc4ceb9fe1a85ec53ULL;
        x ^= x >> 31;
        for (int k = 0; k < 64; k++)
            counts[k] += (x >> k) & 1;
        total++;
    }
    if (nw == 0)
        return 0;
    if (nw < 3) {
        uint64_t h = nw == 1 ? w[2] : w[1] + rotl(w[2], 42);
        h ^= h >> 33, h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33, h *= 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 33;
        return h;
    }
    uint64_t out = 0;
    for (int k = 0; k < 64; k++)
        if (2 * counts[k] > total)
            out |= (uint64_t)1 << k;
    return out;
}

static void test_simhash_reference(void **state)
{
    (void)state;
    /* short and long words, punctuation runs, double spaces, non-ASCII,
     * texts from empty to past the lead; one-letter words give the most
     * shingles a lead can hold (~1,000) */
    static const char alpha[] = "abcdefghijklmnop ,.'\"()-_xyz  ";
    uint64_t x = 0x2545F4914F6CDD1DULL;
    char *buf = malloc(6000);
    for (int it = 0; it < 4000; it++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t n = (size_t)(x % (it % 8 == 0 ? 5000 : 400));
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t al = 3 + (size_t)(x % (sizeof(alpha) - 3));
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[i] = x % 41 == 0 ? (char)(0xC3) : x % 43 == 0 ? (char)0xA9 : alpha[x % al];
        }
        buf[n] = 0;
        assert_true(nr_text_simhash(buf, n) == ref_simhash(buf, n));
    }
    for (size_t i = 0; i < 4096; i++)
        buf[i] = (i & 1) ? ' ' : (char)('a' + i % 23);
    assert_true(nr_text_simhash(buf, 4096) == ref_simhash(buf, 4096));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ascii),
        cmocka_unit_test(test_unicode),
        cmocka_unit_test(test_keep_case),
        cmocka_unit_test(test_map),
        cmocka_unit_test(test_compact_map),
        cmocka_unit_test(test_large_expansion),
        cmocka_unit_test(test_ascii_random),
        cmocka_unit_test(test_fold_cache),
        cmocka_unit_test(test_boundaries),
        cmocka_unit_test(test_simhash),
        cmocka_unit_test(test_simhash_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
