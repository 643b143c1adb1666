// A minimal JSON reader for the supervisor's plan (written by podrig, so trusted and small) and a
// string builder for the status it writes back.
#ifndef SUP_JSON_H
#define SUP_JSON_H

#include <stddef.h>
#include <stdint.h>

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jnode {
    jtype type;
    char *str;              // J_STR value, J_NUM text
    int boolean;
    size_t count;           // J_ARR / J_OBJ children
    struct jnode *items;    // children
    char **keys;            // J_OBJ keys
} jnode;

/// Parses `text`; returns 0 or -1 (with *err set to a static message).
int json_parse(const char *text, jnode *out, const char **err);
const jnode *json_get(const jnode *obj, const char *key);
const char *json_str(const jnode *obj, const char *key);  // NULL if absent or not a string
int64_t json_int(const jnode *obj, const char *key, int64_t dflt);
/// json_int clamped to lo…hi, so a cast to int never wraps (dflt when absent).
int json_int_in(const jnode *obj, const char *key, int dflt, int lo, int hi);
uint64_t json_u64(const jnode *obj, const char *key);     // numbers or "0x…" strings
int json_bool(const jnode *obj, const char *key);
/// A NULL-terminated argv copied out of a string array (NULL if absent).
char **json_strv(const jnode *arr);

typedef struct sbuf {
    char *data;
    size_t len, cap;
} sbuf;

void sb_add(sbuf *b, const char *s);
void sb_addn(sbuf *b, const char *s, size_t n);
void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_str(sbuf *b, const char *s);  // a quoted, escaped JSON string ("null" for NULL)
void sb_free(sbuf *b);

#endif
