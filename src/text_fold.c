/*
 * text_fold.c - the normalized form of one non-ASCII code point (text.h
 * lists the rules): our own folds (quotes, dashes, invisible characters,
 * the Arabic letter variants), then utf8proc's NFKD and full case folding of
 * that code point alone, marks stripped, our folds again.
 *
 * Why per code point: text.c caches the result per distinct code point of a
 * text (struct nr_fold_slot), so this runs a few hundred times per article
 * however long it is. Cost: ~100-150 instructions (one utf8proc
 * decomposition and category lookup, our range tests).
 *
 * Why NFKD and not NFKC: we strip the marks anyway and only compare our own
 * outputs with each other, so recomposition would be work for nothing.
 *
 * The 2-byte table (nr_text_fold2): the same result, precomputed for every
 * code point of U+0080..U+07FF (Latin-1 to Arabic, Cyrillic, Greek, Hebrew:
 * the 2-byte UTF-8 sequences) whose form is 1 or 2 bytes without a space,
 * as one uint32 (the bytes, their count), per case flag. Why: the
 * per-text cache in text.c costs a key compare, a 10-byte copy and a slot
 * of 16 bytes per code point; the table entry is one load and one 2-byte
 * store, and it is filled from nr_text_fold_cp itself, so its answers are
 * the reference's by construction (tests/unit/test_text_scripts.c checks
 * all 1,920 code points of both tables). Cost: 16 KB, filled once per
 * process at the first non-ASCII text (2 x 1,920 calls of nr_text_fold_cp,
 * ~1 M instructions).
 */
#include "text_int.h"

#include <pthread.h>

/* Marks we strip: generic combining diacritics and Arabic harakat (optional
 * vowel signs). Marks that are part of the spelling (Indic vowel signs,
 * viramas) are kept. */
static bool strip_mark(int32_t cp)
{
    return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
           (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF) ||
           (cp >= 0xFE20 && cp <= 0xFE2F) || (cp >= 0x0610 && cp <= 0x061A) ||
           (cp >= 0x064B && cp <= 0x065F) || cp == 0x0670 || (cp >= 0x06D6 && cp <= 0x06ED);
}

/* Arabic-script letter variants (text.h lists them); digits to ASCII. */
static int32_t fold_arabic(int32_t cp)
{
    if (cp >= 0x0660 && cp <= 0x0669)
        return '0' + (cp - 0x0660);
    if (cp >= 0x06F0 && cp <= 0x06F9)
        return '0' + (cp - 0x06F0);
    switch (cp) {
    case 0x0643: /* kaf */
    case 0x06AA: /* swash kaf */
        return 0x06A9;
    case 0x064A: /* yeh */
    case 0x0649: /* alef maksura */
    case 0x0626: /* yeh with hamza (its NFKD: yeh + hamza above) */
        return 0x06CC;
    case 0x0623: /* alef with hamza above, below, madda, wasla */
    case 0x0625:
    case 0x0622:
    case 0x0671:
        return 0x0627;
    case 0x0624: /* waw with hamza */
        return 0x0648;
    case 0x0629: /* teh marbuta */
    case 0x06C1: /* heh goal (Urdu) */
    case 0x06C2: /* heh goal with hamza */
    case 0x06C3: /* teh marbuta goal */
    case 0x06BE: /* heh doachashmee (Urdu aspirates) */
    case 0x06D5: /* ae */
    case 0x06C0: /* heh with yeh above */
        return 0x0647;
    default:
        return cp;
    }
}

/* Our folds, applied before and after utf8proc. Returns the replacement code
 * point, or -1 to drop the character. ' ' means a collapsible space. */
static int32_t fold_special(int32_t cp)
{
    switch (cp) {
    case 0x2018:
    case 0x2019:
    case 0x201A:
    case 0x201B:
    case 0x02BC:
    case 0x02BB:
    case 0x2032:
    case 0x00B4:
    case 0xFF07:
        return '\'';
    case 0x201C:
    case 0x201D:
    case 0x201E:
    case 0x201F:
    case 0x00AB:
    case 0x00BB:
    case 0x2033:
    case 0xFF02:
        return '"';
    case 0x2010:
    case 0x2011:
    case 0x2012:
    case 0x2013:
    case 0x2014:
    case 0x2015:
    case 0x2212:
    case 0xFE58:
    case 0xFE63:
    case 0xFF0D:
    case 0x2043:
    case 0x058A:
    case 0x05BE:
    case 0x0085:
    case 0x2028:
    case 0x2029:
        return ' ';
    case 0x00AD:
    case 0x200B:
    case 0x200C:
    case 0x200D:
    case 0x200E: /* LRM, RLM, Arabic letter mark: invisible in Arabic web text */
    case 0x200F:
    case 0x061C:
    case 0x2060:
    case 0xFEFF:
    case 0x0640:
        return -1;
    default:
        break;
    }
    if (cp >= 0x0600 && cp <= 0x06FF)
        return fold_arabic(cp);
    if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) /* bidi controls */
        return -1;
    if (cp >= 0x80 && cp <= 0x9F) /* C1 controls */
        return ' ';
    return cp;
}

/* fold_special, utf8proc's NFKD (and case fold unless opts lacks it) of
 * the code point alone, Unicode separators as ' ', marks stripped, our
 * folds again, ASCII through tbl. At most 96 bytes (24 code points of 4). */
size_t nr_text_fold_cp(int32_t cp, utf8proc_option_t opts, const unsigned char *tbl,
                       unsigned char *out)
{
    cp = fold_special(cp);
    if (cp < 0)
        return 0;
    int32_t dec[24];
    utf8proc_ssize_t n;
    if (cp < 0x80 || (cp >= 0xAC00 && cp <= 0xD7A3)) {
        dec[0] = cp;
        n = 1;
    } else {
        int bc = 0;
        n = utf8proc_decompose_char(cp, dec, (utf8proc_ssize_t)NR_ARRAY_LEN(dec), opts, &bc);
        if (n < 0 || n > (utf8proc_ssize_t)NR_ARRAY_LEN(dec)) {
            dec[0] = cp;
            n = 1;
        }
        /* Unicode spaces (Zs) and other separators become our space. */
        if (n == 1 && dec[0] >= 0x80) {
            utf8proc_category_t cat = utf8proc_category(dec[0]);
            if (cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL ||
                cat == UTF8PROC_CATEGORY_ZP || cat == UTF8PROC_CATEGORY_CC)
                dec[0] = ' ';
        }
    }
    size_t m = 0;
    for (utf8proc_ssize_t k = 0; k < n; k++) {
        int32_t d = dec[k];
        if (strip_mark(d))
            continue;
        if (d >= 0x80) {
            d = fold_special(d);
            if (d < 0)
                continue;
        }
        if (d < 0x80)
            out[m++] = tbl[d];
        else
            m += (size_t)utf8proc_encode_char(d, (utf8proc_uint8_t *)out + m);
    }
    return m;
}

static uint32_t fold2[2][NR_FOLD2_N];
static pthread_once_t fold2_once = PTHREAD_ONCE_INIT;

static void fold2_init(void)
{
    nr_text_tables_init();
    for (unsigned keep = 0; keep < 2; keep++) {
        utf8proc_option_t opts = UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE;
        if (!keep)
            opts |= UTF8PROC_CASEFOLD;
        const unsigned char *tbl = nr_text_ascii_fold_table(keep);
        for (uint32_t cp = 0; cp < NR_FOLD2_N; cp++) {
            unsigned char out[96];
            size_t m = cp < 0x80 ? 3 : nr_text_fold_cp((int32_t)cp, opts, tbl, out);
            uint32_t e = NR_FOLD2_SLOW;
            if (m == 1 && out[0] != ' ')
                e = 1u << 16 | out[0];
            else if (m == 2 && out[0] != ' ' && out[1] != ' ')
                e = 2u << 16 | (uint32_t)out[1] << 8 | out[0];
            fold2[keep][cp] = e;
        }
    }
}

const uint32_t *nr_text_fold2(unsigned keep)
{
    pthread_once(&fold2_once, fold2_init);
    return fold2[keep ? 1 : 0];
}
