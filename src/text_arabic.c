/*
 * text_arabic.c - Arabic-script clitics at match time (see text.h).
 *
 * Arabic writes the conjunction and prepositions wa-, fa-, bi-, li-, ka- and
 * the article al- glued to the next word (والقاعدة, لباكستان, بالقاعدة), and
 * Arabic, Persian, Urdu and Pashto glue possessives, plurals, the relative
 * -i/-iya and case endings after it (باكستانية, پاکستانی, طالبانو,
 * پاکستانیوں). A name inside such a word must still count, or most
 * mentions are lost. So the boundary test, when it fails between two
 * Arabic-script letters, asks here whether the rest of that word is one of
 * a closed list of clitics: before the match (up to 4 letters back to the
 * word start) or after it (up to the word end). The lists are written in
 * normalized form (text.h: kaf/yeh/heh/teh marbuta folded, marks gone).
 *
 * Why lists at match time and not more aliases: every alias gets every
 * clitic for free, and a list of ~12 prefixes and ~45 suffixes is easy to
 * review; the price is that a word which merely begins with an alias plus
 * suffix-like letters also counts (rare for names; the country generator
 * drops aliases that are common words).
 * Cost: only paid when a match sits inside an Arabic-script word; a
 * compare of a few bytes against the lists (linear, tens of entries).
 */
#include "newsradar/text.h"

#include <string.h>

/* U+0600..U+06FF and U+0750..U+077F are 2-byte sequences D8..DD xx. */
static bool arabic_letter_at(const char *buf, size_t len, size_t pos)
{
    if (pos + 2 > len)
        return false;
    unsigned a = (unsigned char)buf[pos], b = (unsigned char)buf[pos + 1];
    if (a < 0xD8 || a > 0xDD || (b & 0xC0) != 0x80)
        return false;
    unsigned cp = ((a & 0x1F) << 6) | (b & 0x3F);
    /* letters: 0621-064A, 066E-06D3, 06D5, 06EE-06EF, 06FA-06FC, 0750-077F */
    return (cp >= 0x0621 && cp <= 0x064A) || (cp >= 0x066E && cp <= 0x06D3) || cp == 0x06D5 ||
           (cp >= 0x06EE && cp <= 0x06EF) || (cp >= 0x06FA && cp <= 0x06FC) ||
           (cp >= 0x0750 && cp <= 0x077F);
}

static const char *const prefixes[] = {
    "و",   "ف",  "ب",  "ل",  "ک",  "ال", "وال", "فال",  "بال",  "کال",  "لل",   "ولل",
    "فلل", "وب", "ول", "وک", "فب", "فل", "فک",  "وبال", "وکال", "فبال", "فکال",
};

static const char *const suffixes[] = {
    /* Arabic: nisba -i/-iya/-iyun/-iyin, plural/dual, pronouns */
    "ی",
    "یه",
    "یون",
    "یین",
    "یان",
    "یات",
    "ه",
    "ها",
    "هم",
    "هما",
    "کم",
    "کما",
    "نا",
    "ان",
    "ین",
    "ون",
    "ات",
    /* Persian/Dari: -i, plural -ha/-an, ezafe, possessives */
    "های",
    "هایی",
    "ای",
    "یی",
    "ام",
    "اش",
    "مان",
    "تان",
    "شان",
    "یها",
    "یهای",
    /* Urdu: oblique and plural forms */
    "ے",
    "وں",
    "یں",
    "یوں",
    "یاں",
    "یے",
    /* Pashto: oblique, plural, feminine */
    "ې",
    "ۍ",
    "و",
    "یانو",
    "انو",
    "یو",
};

/* Words that are an alias and a clitic but a common word of their own,
 * not the name (normalized form): "drop(s)" in Urdu, Persian and Arabic is
 * Qatar's name plus a suffix (پولیو کے قطرے, polio drops; قطرات المطر,
 * raindrops). */
static const char *const common_words[] = {
    "قطرے", "قطره", "قطرات", "قطروں", "قطرو",
};

static bool in_list(const char *const *list, size_t n, const char *p, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]) == len && memcmp(list[i], p, len) == 0)
            return true;
    return false;
}

bool nr_text_arabic_prefix_ok(const char *buf, size_t len, size_t start)
{
    if (!arabic_letter_at(buf, len, start))
        return false;
    size_t ws = start;
    for (int k = 0; k < 4 && ws >= 2 && arabic_letter_at(buf, len, ws - 2); k++)
        ws -= 2;
    if (ws == start || (ws > 0 && nr_text_word_before(buf, ws)))
        return false; /* not a short Arabic-script prefix at a word start */
    return in_list(prefixes, NR_ARRAY_LEN(prefixes), buf + ws, start - ws);
}

bool nr_text_arabic_suffix_ok(const char *buf, size_t len, size_t end)
{
    if (end < 2 || !arabic_letter_at(buf, len, end - 2))
        return false;
    size_t we = end;
    for (int k = 0; k < 4 && arabic_letter_at(buf, len, we); k++)
        we += 2;
    if (we == end || (we < len && nr_text_word_at(buf, len, we)))
        return false; /* the word goes on past the suffix */
    if (!in_list(suffixes, NR_ARRAY_LEN(suffixes), buf + end, we - end))
        return false;
    size_t ws = end - 2; /* the whole word, for the common words */
    for (int k = 0; k < 8 && ws >= 2 && arabic_letter_at(buf, len, ws - 2); k++)
        ws -= 2;
    return !in_list(common_words, NR_ARRAY_LEN(common_words), buf + ws, we - ws);
}

/* Is there a ZWNJ (U+200C) in orig, the text t normalized, between the
 * Arabic-script letters that end before and start at normalized byte i?
 * The normalizer drops it (the word joins: "می‌شود" == "میشود"); the
 * original still has it. */
static bool zwnj_at(const struct nr_text *t, const char *orig, size_t i)
{
    if (i < 2 || !arabic_letter_at(t->buf, t->len, i - 2) || !arabic_letter_at(t->buf, t->len, i))
        return false;
    uint32_t a = nr_text_orig(t, i - 1), b = nr_text_orig(t, i);
    /* the gap holds dropped marks, tatweel and invisible characters only:
     * a few bytes, unless the text is adversarial */
    for (uint32_t p = a + 1; p + 3 <= b && p < a + 64; p++)
        if (memcmp(orig + p, "\xE2\x80\x8C", 3) == 0)
            return true;
    return false;
}

bool nr_text_zwnj_boundary_ok(const struct nr_text *t, const char *orig, size_t start, size_t end)
{
    if (!orig)
        return false;
    const char *buf = t->buf;
    size_t len = t->len;
    /* only the stem before a ZWNJ: the part after it starts no word of its
     * own ("زنان", women, in توپ‌زنان, batsmen) */
    bool s_ok = start == 0 || !nr_text_word_before(buf, start) ||
                !nr_text_word_at(buf, len, start) || nr_text_arabic_prefix_ok(buf, len, start);
    bool e_ok = end >= len || !nr_text_word_before(buf, end) || !nr_text_word_at(buf, len, end) ||
                nr_text_arabic_suffix_ok(buf, len, end) || zwnj_at(t, orig, end);
    return s_ok && e_ok;
}
