/*
 * lang_cld2.cc - the one C++ file of newsradar: a C entry point to Google's
 * Compact Language Detector 2 (Debian libcld2), whose API is C++ only.
 *
 * Why CLD2 (docs/performance.md has the numbers): on our own news items in
 * 12 languages it is right on every item of >= 200 characters, including
 * Pashto, which libexttextcat has no model for (it calls Pashto Persian or
 * Urdu), and it is ~30x faster (a quadgram/octagram table lookup per few
 * bytes instead of ranking n-gram profiles against 160 fingerprints).
 * The build links libcld2_full before libcld2: Debian's libcld2 carries
 * the 83-language "chrome" tables, libcld2_full the 160-language tables
 * (with Pashto), which take precedence when loaded first.
 *
 * No exceptions cross this boundary (CLD2 throws none; the shim allocates
 * nothing). Reentrant: CLD2's tables are read-only.
 */
#include <cstdio> /* compact_lang_det.h uses FILE without including it */
#include <cstring>

#include <cld2/public/compact_lang_det.h>

extern "C" int nr_lang_cld2_detect(const char *text, size_t len, char *tag, size_t tag_size,
                                   int *reliable, int *percent);

/* Detect the language of UTF-8 text; writes the primary subtag ("en",
 * "zh", "ps") to tag and returns 0, or -1 when CLD2 does not know. */
extern "C" int nr_lang_cld2_detect(const char *text, size_t len, char *tag, size_t tag_size,
                                   int *reliable, int *percent)
{
    if (len > (1u << 30))
        len = 1u << 30;
    CLD2::Language top3[3];
    int pct3[3];
    int text_bytes = 0, valid = 0;
    bool rel = false;
    double norm3[3];
    CLD2::Language l = CLD2::ExtDetectLanguageSummaryCheckUTF8(
        text, (int)len, true, nullptr, 0, top3, pct3, norm3, nullptr, &text_bytes, &rel, &valid);
    *reliable = rel ? 1 : 0;
    *percent = pct3[0];
    if (l == CLD2::UNKNOWN_LANGUAGE || l == CLD2::TG_UNKNOWN_LANGUAGE)
        return -1;
    const char *code = CLD2::LanguageCode(l);
    size_t n = 0;
    while (code[n] && code[n] != '-' && n + 1 < tag_size)
        n++;
    if (n < 2 || (code[n] != '\0' && code[n] != '-'))
        return -1;
    memcpy(tag, code, n);
    tag[n] = '\0';
    return 0;
}
