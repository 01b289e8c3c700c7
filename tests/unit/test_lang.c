/* test_lang.c - language tags: normalization of declared values, detection
 * (accuracy on the labelled items of tests/data/eval/lang_*.jsonl, whose
 * file name is the truth), the English fast path, the article's language. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newsradar/lang.h"

static const char *data_dir;

#define ASSERT_LANG(in, want)                                                                      \
    do {                                                                                           \
        char tag_[NR_LANG_TAG_MAX];                                                                \
        int rc_ = nr_lang_normalize(in, strlen(in), tag_);                                         \
        if (strcmp(want, "") == 0) {                                                               \
            assert_int_equal(rc_, -1);                                                             \
        } else {                                                                                   \
            assert_int_equal(rc_, 0);                                                              \
        }                                                                                          \
        assert_string_equal(tag_, want);                                                           \
    } while (0)

static void test_normalize_codes(void **state)
{
    (void)state;
    ASSERT_LANG("en", "en");
    ASSERT_LANG("EN", "en");
    ASSERT_LANG("en-US", "en");
    ASSERT_LANG("en_gb", "en");
    ASSERT_LANG(" fr-FR ", "fr");
    ASSERT_LANG("zh-Hant-TW", "zh");
    ASSERT_LANG("eng", "en");
    ASSERT_LANG("fre", "fr"); /* ISO 639-2/B */
    ASSERT_LANG("fra", "fr");
    ASSERT_LANG("ger", "de");
    ASSERT_LANG("urd", "ur");
    ASSERT_LANG("pus", "ps");
    ASSERT_LANG("pbu", "ps"); /* Northern Pashto -> its macrolanguage */
    ASSERT_LANG("prs", "fa"); /* Dari */
    ASSERT_LANG("fa-AF", "fa");
    ASSERT_LANG("cmn", "zh");
    ASSERT_LANG("arz", "ar");
    ASSERT_LANG("iw", "he"); /* withdrawn code, still sent (Java's old Locale) */
    ASSERT_LANG("iw-IL", "he");
    ASSERT_LANG("ji", "yi");
    ASSERT_LANG("fil", "tl"); /* BCP 47 Filipino; the detector reports tl */
    ASSERT_LANG("fil-PH", "tl");
    ASSERT_LANG("Filipino", "tl");
}

static void test_normalize_names(void **state)
{
    (void)state;
    ASSERT_LANG("English", "en");
    ASSERT_LANG("ENGLISH (UK)", "en");
    ASSERT_LANG("français", "fr");
    ASSERT_LANG("Francais", "fr");
    ASSERT_LANG("Español", "es");
    ASSERT_LANG("Deutsch", "de");
    ASSERT_LANG("Brazilian Portuguese", "pt");
    ASSERT_LANG("русский", "ru");
    ASSERT_LANG("Русский", "ru");
    ASSERT_LANG("اردو", "ur");
    ASSERT_LANG("فارسی", "fa");
    ASSERT_LANG("فارسي", "fa"); /* Arabic yeh */
    ASSERT_LANG("دری", "fa");
    ASSERT_LANG("پښتو", "ps");
    ASSERT_LANG("Pashto", "ps");
    ASSERT_LANG("Dari", "fa");
    ASSERT_LANG("العربية", "ar");
    ASSERT_LANG("中文", "zh");
    ASSERT_LANG("Türkçe", "tr");
    ASSERT_LANG("Persian", "fa");
    ASSERT_LANG("Bahasa Indonesia", "id");
}

static void test_normalize_lists_and_junk(void **state)
{
    (void)state;
    ASSERT_LANG("[\"ur\", \"en\"]", "ur");
    ASSERT_LANG("en, fr", "en");
    ASSERT_LANG("language is English", "en"); /* a name beats the code "is" */
    ASSERT_LANG("", "");
    ASSERT_LANG("und", "");
    ASSERT_LANG("mul", "");
    ASSERT_LANG("xx-klingon", "");
    ASSERT_LANG("12345", "");
    ASSERT_LANG("\xff\xfe", "");
    char tag[NR_LANG_TAG_MAX];
    assert_int_equal(nr_lang_normalize(NULL, 0, tag), -1);
    /* long input is read up to a limit, never past it */
    char big[4096];
    memset(big, 'x', sizeof(big));
    memcpy(big + 4000, " en", 3);
    assert_int_equal(nr_lang_normalize(big, sizeof(big), tag), -1);
}

struct counts {
    size_t n, ok, n200, ok200;
};

/* Every lang_<tag>.jsonl item: detection from the text alone. */
static void test_detect_corpus(void **state)
{
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/eval", data_dir);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct counts all = {0};
    size_t langs = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        char truth[8];
        if (sscanf(de->d_name, "lang_%7[a-z].jsonl", truth) != 1)
            continue;
        langs++;
        char path[2048];
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        char *line = NULL;
        size_t cap = 0;
        struct counts c = {0};
        while (getline(&line, &cap, f) > 0) {
            json_error_t je;
            json_t *o = json_loads(line, 0, &je);
            assert_non_null(o);
            const char *t = json_string_value(json_object_get(o, "title"));
            const char *b = json_string_value(json_object_get(o, "body"));
            struct nr_article a;
            memset(&a, 0, sizeof(a));
            a.field[NR_FIELD_TITLE] = (struct nr_str){t, t ? strlen(t) : 0};
            a.field[NR_FIELD_BODY] = (struct nr_str){b, b ? strlen(b) : 0};
            char tag[NR_LANG_TAG_MAX];
            enum nr_lang_source src = nr_lang_of_article(&a, tag);
            size_t chars = 0;
            for (const char *p = t; p && *p; p++)
                chars += ((unsigned char)*p & 0xC0) != 0x80;
            for (const char *p = b; p && *p; p++)
                chars += ((unsigned char)*p & 0xC0) != 0x80;
            bool hit = src == NR_LANG_DETECTED && strcmp(tag, truth) == 0;
            if (!hit)
                fprintf(stderr, "  %s: detected \"%s\"\n",
                        json_string_value(json_object_get(o, "id")), tag);
            c.n++;
            c.ok += hit;
            if (chars >= 200) {
                c.n200++;
                c.ok200 += hit;
            }
            json_decref(o);
        }
        free(line);
        fclose(f);
        fprintf(stderr, "  %s: %zu/%zu (>= 200 chars: %zu/%zu)\n", truth, c.ok, c.n, c.ok200,
                c.n200);
        all.n += c.n, all.ok += c.ok, all.n200 += c.n200, all.ok200 += c.ok200;
    }
    closedir(d);
    assert_true(langs >= 12);
    assert_true(all.n200 > 0);
    /* the target: >= 0.95 on items of >= 200 characters */
    assert_true(all.ok200 * 100 >= all.n200 * 95);
}

static enum nr_lang_source of_text(const char *title, const char *body, char *tag)
{
    struct nr_article a;
    memset(&a, 0, sizeof(a));
    if (title)
        a.field[NR_FIELD_TITLE] = (struct nr_str){title, strlen(title)};
    if (body)
        a.field[NR_FIELD_BODY] = (struct nr_str){body, strlen(body)};
    return nr_lang_of_article(&a, tag);
}

static void test_article_language(void **state)
{
    (void)state;
    char tag[NR_LANG_TAG_MAX];
    struct nr_article a;
    memset(&a, 0, sizeof(a));
    a.field[NR_FIELD_LANGUAGE] = (struct nr_str){"Urdu", 4};
    a.field[NR_FIELD_BODY] = (struct nr_str){"The text is English but the field wins.", 39};
    assert_int_equal(nr_lang_of_article(&a, tag), NR_LANG_DECLARED);
    assert_string_equal(tag, "ur");
    /* an unknown declared value falls back to detection */
    a.field[NR_FIELD_LANGUAGE] = (struct nr_str){"und", 3};
    assert_int_equal(nr_lang_of_article(&a, tag), NR_LANG_DETECTED);
    assert_string_equal(tag, "en");
    /* nothing to go on */
    assert_int_equal(of_text(NULL, "", tag), NR_LANG_UNKNOWN);
    assert_string_equal(tag, "");
    assert_int_equal(of_text("12 34", "!!! ...", tag), NR_LANG_UNKNOWN);
    /* the English fast path does not take Dutch, German or Polish text */
    assert_int_equal(of_text(NULL,
                             "De regering heeft het besluit genomen, want de grens was dicht en "
                             "het is niet duidelijk wanneer die weer opengaat voor vrachtwagens.",
                             tag),
                     NR_LANG_DETECTED);
    assert_string_equal(tag, "nl");
    assert_int_equal(of_text(NULL,
                             "Die Regierung hat die Grenze an der Autobahn geschlossen, weil es "
                             "in der Nacht zu Angriffen auf die Polizei gekommen war.",
                             tag),
                     NR_LANG_DETECTED);
    assert_string_equal(tag, "de");
    assert_int_equal(of_text(NULL,
                             "Rząd zamknął granicę, to jest decyzja, która dotyczy wszystkich "
                             "kierowców ciężarówek czekających na przejściu od wielu dni.",
                             tag),
                     NR_LANG_DETECTED);
    assert_string_equal(tag, "pl");
    /* invalid UTF-8 is not detected, and does not crash */
    assert_int_equal(nr_lang_detect("\xff\xfe\xfd", 3, tag, NULL), -1);
}

/* A headline too short for CLD2 takes the language of its script, never
 * English; Latin script stays unknown. */
static void test_script_fallback(void **state)
{
    (void)state;
    char tag[NR_LANG_TAG_MAX];
    assert_int_equal(of_text("Пакистан закрыл границу", NULL, tag), NR_LANG_SCRIPT);
    assert_string_equal(tag, "ru");
    assert_string_equal(nr_lang_source_name(NR_LANG_SCRIPT), "script");
    assert_int_equal(of_text("طورخم بند", NULL, tag), NR_LANG_SCRIPT);
    assert_string_equal(tag, "ar");
    assert_int_equal(of_text("Latin short", NULL, tag), NR_LANG_UNKNOWN);
    assert_string_equal(tag, "");
    /* the script guess itself: Arabic-script languages by their own letters */
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"طورخم بند", "ar"},           {"د پولې ټکر", "ps"}, {"سرحد پر جھڑپ", "ur"},
        {"مرز بسته شد، گذرگاه", "fa"}, {"Торхам", "ru"},     {"关闭口岸", "zh"},
        {"国境を閉鎖", "ja"},          {"국경 폐쇄", "ko"},  {"Κλειστά σύνορα", "el"},
        {"הגבול נסגר", "he"},          {"सीमा बंद", "hi"},    {"ปิดชายแดน", "th"},
        {"Торхам: PK-AF", "ru"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (nr_lang_script_guess(cases[i].text, strlen(cases[i].text), tag) != 0 ||
            strcmp(tag, cases[i].want) != 0)
            fail_msg("\"%s\": \"%s\", want %s", cases[i].text, tag, cases[i].want);
    }
    /* no script with most letters, Latin, nothing, a cut UTF-8 sequence */
    static const char *const none[] = {"Торхам Torkham border", "Border", "", "12 34 !!", "\xd0"};
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        assert_int_equal(nr_lang_script_guess(none[i], strlen(none[i]), tag), -1);
        assert_string_equal(tag, "");
    }
}

/* The script shortcut in front of CLD2 (Russian, Chinese) takes neither
 * other languages written in Cyrillic nor Japanese or Korean: those still
 * go to CLD2. */
static void test_script_shortcut(void **state)
{
    (void)state;
    static const struct {
        const char *title, *body, *want;
    } cases[] = {
        {"Пакистан закрыл границу",
         "Власти Пакистана в понедельник закрыли пограничный переход Торхам после перестрелки "
         "между пограничниками двух стран, сообщили местные чиновники.",
         "ru"},
        {"Україна закрила кордон",
         "Влада України в понеділок закрила пункт пропуску на кордоні після обстрілу, "
         "повідомили місцеві чиновники та прикордонна служба.",
         "uk"},
        {"България затвори границата",
         "Властите в България затвориха граничния пункт в понеделник след престрелка между "
         "граничните служители на двете страни, съобщиха местни служители.",
         "bg"},
        {"Србија затворила границу",
         "Власти Србије су у понедељак затвориле гранични прелаз након пуцњаве између "
         "граничара две земље, саопштили су локални званичници.",
         "sr"},
        {"巴基斯坦关闭边境口岸",
         "巴基斯坦当局周一关闭了托尔汉姆边境口岸，此前两国边防部队发生交火，当地官员表示，"
         "口岸何时重新开放尚不清楚。",
         "zh"},
        {"パキスタンが国境を閉鎖",
         "パキスタン当局は月曜日、両国の国境警備隊の間で銃撃戦があった後、トルハム国境検問所を"
         "閉鎖したと地元当局者が明らかにした。",
         "ja"},
    };
    char tag[NR_LANG_TAG_MAX];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum nr_lang_source src = of_text(cases[i].title, cases[i].body, tag);
        if (src != NR_LANG_DETECTED || strcmp(tag, cases[i].want) != 0)
            fail_msg("%s: \"%s\" (%s), want %s", cases[i].title, tag, nr_lang_source_name(src),
                     cases[i].want);
    }
}

int main(int argc, char **argv)
{
    data_dir = argc > 1 ? argv[1] : "tests/data";
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize_codes),          cmocka_unit_test(test_normalize_names),
        cmocka_unit_test(test_normalize_lists_and_junk), cmocka_unit_test(test_detect_corpus),
        cmocka_unit_test(test_article_language),         cmocka_unit_test(test_script_fallback),
        cmocka_unit_test(test_script_shortcut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
