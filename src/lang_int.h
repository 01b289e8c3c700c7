/* lang_int.h - lang.c's generated name table (lang_names.c). */
#ifndef NEWSRADAR_LANG_INT_H
#define NEWSRADAR_LANG_INT_H

#include <stddef.h>

struct nr_lang_name {
    const char *key; /* lower case code or name */
    const char *tag;
};
extern const struct nr_lang_name nr_lang_names[];
extern const size_t nr_lang_n_names;

/* lang_cld2.cc */
int nr_lang_cld2_detect(const char *text, size_t len, char *tag, size_t tag_size, int *reliable,
                        int *percent);

#endif
