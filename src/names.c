/*
 * names.c - words, capitalisation and folding of personal names (names.h).
 *
 * Words are found by a byte loop over UTF-8 with a small letter test (ASCII
 * by table, multi-byte characters by block: U+00C0 and up is a letter
 * unless it is in the Latin-1 symbols, General Punctuation, the symbol
 * blocks or the CJK punctuation block). That is exact enough for Latin,
 * Greek and Cyrillic names, the only ones the role patterns read; other
 * scripts have no case and never start a name.
 *
 * Word sets hash the normalized form (FNV-1a, open addressing, load <= 1/2).
 * Lookups of original text normalize ASCII words on the stack and fall back
 * to text.h for the rest. Cost: a few ns per word; nothing here runs per
 * byte of an article except inside the few words around a role match.
 */
#include "newsradar/names.h"

#include "newsradar/text.h"

#include <stdlib.h>
#include <string.h>

/* The code point at s[pos] (n = bytes, >= 1); invalid bytes are U+FFFD. */
static uint32_t cp_at(const char *s, size_t len, size_t pos, size_t *n)
{
    const unsigned char *p = (const unsigned char *)s + pos;
    size_t left = len - pos;
    if (p[0] < 0x80) {
        *n = 1;
        return p[0];
    }
    size_t k = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC0 ? 2 : 1;
    if (k == 1 || k > left) {
        *n = 1;
        return 0xFFFD;
    }
    uint32_t c = p[0] & (0x7F >> k);
    for (size_t i = 1; i < k; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            *n = 1;
            return 0xFFFD;
        }
        c = c << 6 | (p[i] & 0x3F);
    }
    *n = k;
    return c;
}

/* Invisible characters that web text puts inside words: the soft hyphen
 * (a hyphenation point), ZWSP, ZWNJ, ZWJ, WORD JOINER and a stray BOM.
 * Between two letters they join (nr_word_next): "Sha\u00ADrif" is one
 * word, which folds (text.h drops them) to "sharif"; Persian writes ZWNJ
 * inside words (هیئت‌هایی). */
static bool cp_invisible(uint32_t c)
{
    return c == 0xAD || (c >= 0x200B && c <= 0x200D) || c == 0x2060 || c == 0xFEFF;
}

static bool cp_letter(uint32_t c)
{
    if (c == 0xFEFF)
        return false;
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (c < 0xC0 || c == 0xD7 || c == 0xF7 || c == 0xFFFD)
        return false;
    if (c >= 0x2000 && c <= 0x2BFF) /* punctuation, symbols, arrows, ... */
        return false;
    if (c >= 0x3000 && c <= 0x303F)
        return false;
    return true;
}

static bool cp_upper(uint32_t c)
{
    if (c >= 'A' && c <= 'Z')
        return true;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
        return true;
    if (c >= 0x100 && c <= 0x17F) /* Latin Extended-A: upper case at even code points, */
        return c < 0x138 || c > 0x148 ? (c & 1) == 0 : (c & 1) == 1; /* odd in the middle */
    if (c >= 0x391 && c <= 0x3A9)
        return true;
    if (c >= 0x400 && c <= 0x42F)
        return true;
    return false;
}

static bool cp_lower(uint32_t c)
{
    if (c >= 'a' && c <= 'z')
        return true;
    if (c >= 0xDF && c <= 0xFF && c != 0xF7)
        return true;
    if (c >= 0x100 && c <= 0x17F)
        return !cp_upper(c);
    if (c >= 0x3AC && c <= 0x3CE)
        return true;
    if (c >= 0x430 && c <= 0x45F)
        return true;
    return false;
}

bool nr_name_upper_at(const char *s, size_t len, size_t pos, size_t *n)
{
    size_t k;
    if (pos >= len)
        return false;
    uint32_t c = cp_at(s, len, pos, &k);
    if (n)
        *n = k;
    return cp_upper(c);
}

static bool apostrophe_at(const char *s, size_t len, size_t pos, size_t *n)
{
    if (s[pos] == '\'') {
        *n = 1;
        return true;
    }
    /* U+2019 RIGHT SINGLE QUOTATION MARK, U+02BC MODIFIER LETTER APOSTROPHE */
    if (pos + 3 <= len && memcmp(s + pos, "\xE2\x80\x99", 3) == 0) {
        *n = 3;
        return true;
    }
    if (pos + 2 <= len && memcmp(s + pos, "\xCA\xBC", 2) == 0) {
        *n = 2;
        return true;
    }
    return false;
}

/* Lower-case second parts of compounds that are not part of a name. */
static bool hyphen_suffix(const char *s, size_t len, size_t pos)
{
    static const char *const suf[] = {"led",       "backed",     "based",     "born",    "era",
                                      "style",     "linked",     "allied",    "aligned", "run",
                                      "appointed", "controlled", "held",      "made",    "owned",
                                      "funded",    "elect",      "designate", "in",      "law"};
    size_t e = pos;
    while (e < len && s[e] >= 'a' && s[e] <= 'z')
        e++;
    if (e < len && ((unsigned char)s[e] >= 0x80 || (s[e] >= 'A' && s[e] <= 'Z')))
        return false;
    for (size_t i = 0; i < NR_ARRAY_LEN(suf); i++)
        if (strlen(suf[i]) == e - pos && memcmp(suf[i], s + pos, e - pos) == 0)
            return true;
    return false;
}

static bool ieq_lit(const char *p, size_t n, const char *lit)
{
    for (size_t i = 0; i < n; i++)
        if ((p[i] | 0x20) != lit[i])
            return false;
    return lit[n] == '\0';
}

/* Abbreviations whose period belongs to the word. */
static bool abbrev(const char *p, size_t n)
{
    static const char *const ab[] = {"gen", "lt",   "col", "maj",  "brig", "adm", "sen", "rep",
                                     "gov", "amb",  "jr",  "sr",   "mr",   "mrs", "ms",  "dr",
                                     "st",  "capt", "sgt", "cmdr", "pres", "prof"};
    if (n == 1)
        return true;
    /* Nigerian styles ("Engr. Jane Doe", "Arc. Jane Doe"), capitalised
     * only: "an arc." ends a sentence */
    if ((n == 4 && p[0] == 'E' && ieq_lit(p, n, "engr")) ||
        (n == 3 && p[0] == 'A' && ieq_lit(p, n, "arc")))
        return true;
    for (size_t i = 0; i < NR_ARRAY_LEN(ab); i++) {
        size_t l = strlen(ab[i]);
        if (l != n)
            continue;
        size_t k = 0;
        while (k < n && (p[k] | 0x20) == ab[i][k])
            k++;
        if (k == n)
            return true;
    }
    return false;
}

/* The bytes of the non-letter c at s[pos] when the word goes on after it:
 * a hyphen or apostrophe before a letter ("O'Brien", "al-Sudani") but not
 * a possessive ("Modi's") or a lower-case compound suffix ("Sharif-led"),
 * or a run of invisible characters before a letter ("Sha\u00ADrif").
 * 0 when the word ends at pos. */
static size_t joiner_len(const char *s, size_t len, size_t pos, uint32_t c)
{
    size_t m, n;
    if (cp_invisible(c)) {
        size_t k = 0;
        while (pos + k < len && cp_invisible(cp_at(s, len, pos + k, &m)))
            k += m;
        return pos + k < len && cp_letter(cp_at(s, len, pos + k, &n)) ? k : 0;
    }
    bool apos = c != '-' && apostrophe_at(s, len, pos, &m);
    if (c == '-')
        m = 1;
    if (!(c == '-' || apos) || pos + m >= len || !cp_letter(cp_at(s, len, pos + m, &n)))
        return 0;
    if (apos && (s[pos + m] | 0x20) == 's' &&
        (pos + m + 1 >= len || !cp_letter(cp_at(s, len, pos + m + 1, &n))))
        return 0;
    if (c == '-' && hyphen_suffix(s, len, pos + 1))
        return 0;
    return m;
}

bool nr_word_next(const char *s, size_t len, size_t pos, struct nr_word *w)
{
    size_t n;
    while (pos < len && !cp_letter(cp_at(s, len, pos, &n)))
        pos += n;
    if (pos >= len)
        return false;
    memset(w, 0, sizeof(*w));
    w->start = (uint32_t)pos;
    w->upper = cp_upper(cp_at(s, len, pos, &n));
    bool any_lower = false;
    size_t letters = 0;
    while (pos < len) {
        /* Fast path for the letters of other scripts, the same decoding and
         * tests as cp_at + cp_letter: a 2-byte letter (U+00C0..U+07FF but
         * U+00D7 and U+00F7: Latin, Greek, Cyrillic, Arabic-script words)
         * or a 3-byte one (CJK, Indic); without it a word of another script
         * paid two calls per code point and the field shape test reads every
         * word of a non-Latin body. */
        const unsigned char *u = (const unsigned char *)s + pos;
        if (u[0] >= 0xC3 && u[0] < 0xE0 && pos + 1 < len && (u[1] & 0xC0) == 0x80) {
            uint32_t c2 = (uint32_t)(u[0] & 0x1F) << 6 | (u[1] & 0x3F);
            if (c2 != 0xD7 && c2 != 0xF7) {
                any_lower = any_lower || cp_lower(c2);
                letters++;
                pos += 2;
                continue;
            }
        } else if ((u[0] & 0xF0) == 0xE0 && pos + 2 < len && (u[1] & 0xC0) == 0x80 &&
                   (u[2] & 0xC0) == 0x80) {
            uint32_t c3 =
                (uint32_t)(u[0] & 0x0F) << 12 | (uint32_t)(u[1] & 0x3F) << 6 | (u[2] & 0x3F);
            if (cp_letter(c3)) { /* never lower case (cp_lower), never a digit */
                letters++;
                pos += 3;
                continue;
            }
        }
        uint32_t c = cp_at(s, len, pos, &n);
        if (cp_letter(c)) {
            if (cp_lower(c))
                any_lower = true;
            if (!(c >= '0' && c <= '9'))
                letters++;
            pos += n;
            continue;
        }
        size_t m = joiner_len(s, len, pos, c);
        if (!m)
            break;
        pos += m;
    }
    w->end = (uint32_t)pos;
    w->alpha = letters > 0;
    w->caps = letters >= 2 && !any_lower;
    if (pos < len && s[pos] == '.' && abbrev(s + w->start, w->end - w->start))
        w->dot = true;
    return true;
}

bool nr_word_prev(const char *s, size_t pos, struct nr_word *w)
{
    /* walk back to the start of a word, then read it forward */
    size_t i = pos;
    while (i > 0) {
        size_t st = i - 1;
        while (st > 0 && ((unsigned char)s[st] & 0xC0) == 0x80)
            st--;
        size_t n;
        if (cp_letter(cp_at(s, pos, st, &n)))
            break;
        i = st;
    }
    if (i == 0)
        return false;
    size_t end = i;
    for (;;) {
        size_t st = i;
        if (st == 0)
            break;
        st--;
        while (st > 0 && ((unsigned char)s[st] & 0xC0) == 0x80)
            st--;
        size_t n;
        uint32_t c = cp_at(s, end, st, &n);
        if (cp_letter(c)) {
            i = st;
            continue;
        }
        if (cp_invisible(c)) { /* nr_word_next skips a leading one */
            i = st;
            continue;
        }
        size_t m = 0;
        bool joiner = c == '-' || apostrophe_at(s, end, st, &m);
        if (joiner && st > 0) {
            size_t st2 = st - 1;
            while (st2 > 0 && ((unsigned char)s[st2] & 0xC0) == 0x80)
                st2--;
            if (cp_letter(cp_at(s, end, st2, &n))) {
                i = st;
                continue;
            }
        }
        break;
    }
    if (!nr_word_next(s, pos, i, w))
        return false;
    return w->start < end;
}

static bool ieq(const char *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    if (l != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((p[i] | 0x20) != lit[i])
            return false;
    return true;
}

bool nr_name_droppable(const char *s, const struct nr_word *w)
{
    const char *p = s + w->start;
    size_t n = w->end - w->start;
    if (n == 1 && w->upper)
        return true;
    return ieq(p, n, "jr") || ieq(p, n, "sr") ||
           ((w->caps || w->upper) && (ieq(p, n, "ii") || ieq(p, n, "iii") || ieq(p, n, "iv")));
}

static bool honorific(const char *p, size_t n)
{
    return ieq(p, n, "mr") || ieq(p, n, "mrs") || ieq(p, n, "ms") || ieq(p, n, "dr") ||
           ieq(p, n, "sir") || ieq(p, n, "dame");
}

/* Latin letters of the lower-case Cyrillic U+0430..U+044F (a .. ya), the
 * common English press spelling (BGN/PCGN without marks): Сергей Лавров
 * is "sergey lavrov". */
static const char *const cyr_latin[32] = {
    "a", "b", "v", "g", "d", "e",  "zh", "z",  "i",  "y",    "k", "l", "m", "n", "o",  "p",
    "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "",  "y", "",  "e", "yu", "ya"};

static bool cyr_vowel(uint32_t c)
{
    return c == 0x430 || c == 0x435 || c == 0x438 || c == 0x43E || c == 0x443 || c == 0x44B ||
           c == 0x44D || c == 0x44E || c == 0x44F || c == 0x454 || c == 0x456;
}

/* Append the normalized word [a, e) of t to out, Cyrillic letters in Latin
 * ones. The normalizer folds й to и: an и after a vowel was most likely a
 * й and is "y" (Сергей, Андрей), and a word-final "iy" is "y" (Дмитрий,
 * Зеленский: Dmitry, Zelensky). Its NFKD and mark stripping also make ё
 * е ("e": Пётр is "petr") and ї і ("i", the press spelling inside a word:
 * Київ, Kyiv), so neither reaches this table; є and ґ have no
 * decomposition and are here. Returns the new length. */
static size_t put_latin(const char *w, size_t n, char *out, size_t o, size_t cap)
{
    uint32_t prev = 0;
    size_t start = o;
    for (size_t i = 0; i < n;) {
        size_t k;
        uint32_t c = cp_at(w, n, i, &k);
        const char *lat = NULL;
        if (c >= 0x430 && c <= 0x44F)
            lat = c == 0x438 && cyr_vowel(prev) ? "y" : cyr_latin[c - 0x430];
        else if (c == 0x456) /* і */
            lat = "i";
        else if (c == 0x454) /* є */
            lat = "ye";
        else if (c == 0x491) /* ґ */
            lat = "g";
        if (lat) {
            for (const char *q = lat; *q && o + 1 < cap; q++)
                out[o++] = *q;
        } else {
            for (size_t j = 0; j < k && o + 1 < cap; j++)
                out[o++] = w[i + j];
        }
        prev = c;
        i += k;
    }
    if (o - start >= 3 && out[o - 2] == 'i' && out[o - 1] == 'y')
        out[--o - 1] = 'y';
    return o;
}

/* Append the normalized Latin word w[0..n) to out with the letters that
 * have no decomposition (so keep their look after the normalizer's mark
 * stripping) as the press's ASCII spelling writes them: ł l, ı i, đ d,
 * ø o, ħ h, æ ae, œ oe ("Radoslaw Sikorski" is "Radosław Sikorski",
 * "Cevdet Yilmaz" "Cevdet Yılmaz", "Store" "Støre"). Only names fold so:
 * the text keeps them (Turkish stems read ı, text.h). Returns the new
 * length. */
static size_t put_plain(const char *w, size_t n, char *out, size_t o, size_t cap)
{
    for (size_t i = 0; i < n && o + 1 < cap;) {
        const unsigned char *u = (const unsigned char *)w + i;
        const char *lat = NULL;
        if (i + 1 < n) {
            uint32_t c = (uint32_t)u[0] << 8 | u[1];
            lat = c == 0xC582   ? "l"  /* ł */
                  : c == 0xC4B1 ? "i"  /* ı */
                  : c == 0xC491 ? "d"  /* đ */
                  : c == 0xC3B8 ? "o"  /* ø */
                  : c == 0xC4A7 ? "h"  /* ħ */
                  : c == 0xC3A6 ? "ae" /* æ */
                  : c == 0xC593 ? "oe" /* œ */
                                : NULL;
        }
        if (lat) {
            for (const char *q = lat; *q && o + 1 < cap; q++)
                out[o++] = *q;
            i += 2;
            continue;
        }
        out[o++] = w[i++];
    }
    return o;
}

static bool has_cyrillic(const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)w[i] == 0xD0 || (unsigned char)w[i] == 0xD1 ||
             (unsigned char)w[i] == 0xD2) &&
            i + 1 < n)
            return true;
    return false;
}

static size_t fold(const char *name, size_t len, char *out, size_t cap, bool latin)
{
    struct nr_text t;
    nr_text_init(&t);
    size_t o = 0, pos = 0;
    bool first = true;
    struct nr_word w;
    if (cap == 0)
        return 0;
    while (nr_word_next(name, len, pos, &w)) {
        pos = w.end + (w.dot ? 1 : 0);
        if (nr_name_droppable(name, &w) || (first && honorific(name + w.start, w.end - w.start)))
            continue;
        first = false;
        nr_text_normalize(&t, name + w.start, w.end - w.start, 0);
        size_t a = 0, e = t.len;
        while (a < e && t.buf[a] == ' ')
            a++;
        while (e > a && t.buf[e - 1] == ' ')
            e--;
        if (a == e)
            continue;
        if (o > 0 && o + 1 < cap)
            out[o++] = ' ';
        if (latin && has_cyrillic(t.buf + a, e - a)) {
            o = put_latin(t.buf + a, e - a, out, o, cap);
            continue;
        }
        if (latin) {
            o = put_plain(t.buf + a, e - a, out, o, cap);
            continue;
        }
        for (size_t i = a; i < e && o + 1 < cap; i++)
            out[o++] = t.buf[i];
    }
    out[o] = '\0';
    nr_text_fini(&t);
    return o;
}

size_t nr_name_fold(const char *name, size_t len, char *out, size_t cap)
{
    return fold(name, len, out, cap, true);
}

size_t nr_name_fold_script(const char *name, size_t len, char *out, size_t cap)
{
    return fold(name, len, out, cap, false);
}

char *nr_name_fold_dup(const char *name)
{
    size_t len = strlen(name);
    size_t cap = len * 3 + 16; /* case folding may grow a few characters */
    char *out = nr_xmalloc(cap);
    nr_name_fold(name, len, out, cap);
    return out;
}

void nr_name_display(const char *fold, size_t len, char *out, size_t cap)
{
    static const char *const particles[] = {"bin", "bint", "ibn", "al",  "el",  "ul",  "ur",
                                            "de",  "da",   "di",  "del", "der", "van", "von"};
    size_t o = 0;
    if (cap == 0)
        return;
    for (size_t i = 0; i < len && o + 1 < cap;) {
        size_t w = i;
        while (w < len && fold[w] != ' ')
            w++;
        bool particle = false;
        for (size_t k = 0; k < NR_ARRAY_LEN(particles) && i > 0; k++)
            particle |= strlen(particles[k]) == w - i && memcmp(particles[k], fold + i, w - i) == 0;
        for (size_t k = i; k < w && o + 1 < cap; k++) {
            char c = fold[k];
            out[o++] = k == i && !particle && c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
        }
        if (w < len && o + 1 < cap)
            out[o++] = ' ';
        i = w + 1;
    }
    out[o] = '\0';
}

/* ---- word sets -------------------------------------------------------- */

static size_t ws_slot(const struct nr_wordset *ws, const char *p, size_t len)
{
    size_t mask = ws->cap - 1, i = (size_t)nr_hash64(p, len, 0) & mask;
    while (ws->keys[i] && !(strlen(ws->keys[i]) == len && memcmp(ws->keys[i], p, len) == 0))
        i = (i + 1) & mask;
    return i;
}

static void ws_put(struct nr_wordset *ws, char *k)
{
    if ((ws->n + 1) * 2 > ws->cap) {
        struct nr_wordset old = *ws;
        ws->cap = old.cap ? old.cap * 2 : 64;
        ws->keys = nr_xcalloc(ws->cap, sizeof(char *));
        for (size_t i = 0; i < old.cap; i++)
            if (old.keys[i])
                ws->keys[ws_slot(ws, old.keys[i], strlen(old.keys[i]))] = old.keys[i];
        free(old.keys);
    }
    size_t i = ws_slot(ws, k, strlen(k));
    if (ws->keys[i]) {
        free(k);
        return;
    }
    ws->keys[i] = k;
    ws->n++;
}

void nr_wordset_add(struct nr_wordset *ws, const char *s)
{
    struct nr_text t;
    nr_text_init(&t);
    char *w = nr_text_dup(&t, s, strlen(s));
    nr_text_fini(&t);
    if (*w)
        ws_put(ws, w);
    else
        free(w);
}

bool nr_wordset_has(const struct nr_wordset *ws, const char *p, size_t len)
{
    if (!ws->cap)
        return false;
    return ws->keys[ws_slot(ws, p, len)] != NULL;
}

bool nr_wordset_has_orig(const struct nr_wordset *ws, const char *p, size_t len)
{
    char buf[64];
    if (!ws->cap || len == 0)
        return false;
    bool ascii = len < sizeof(buf);
    for (size_t i = 0; ascii && i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x80 || c == '\'') {
            ascii = false;
            break;
        }
        buf[i] = c == '-' ? ' ' : (c >= 'A' && c <= 'Z') ? (char)(c | 0x20) : (char)c;
    }
    if (ascii)
        return nr_wordset_has(ws, buf, len);
    struct nr_text t;
    nr_text_init(&t);
    nr_text_normalize(&t, p, len, 0);
    size_t a = 0, e = t.len;
    while (a < e && t.buf[a] == ' ')
        a++;
    while (e > a && t.buf[e - 1] == ' ')
        e--;
    bool r = nr_wordset_has(ws, t.buf + a, e - a);
    nr_text_fini(&t);
    return r;
}

void nr_wordset_fini(struct nr_wordset *ws)
{
    for (size_t i = 0; i < ws->cap; i++)
        free(ws->keys[i]);
    free(ws->keys);
    memset(ws, 0, sizeof(*ws));
}
