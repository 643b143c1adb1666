#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *p;
    const char *err;
} jparser;

static void skip_ws(jparser *ps) {
    while (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\t' || *ps->p == '\r') ps->p++;
}

static int parse_value(jparser *ps, jnode *out, int depth);

static void put_utf8(sbuf *b, unsigned cp) {
    char c[4];
    if (cp < 0x80) { c[0] = (char)cp; sb_addn(b, c, 1); }
    else if (cp < 0x800) { c[0] = (char)(0xC0 | (cp >> 6)); c[1] = (char)(0x80 | (cp & 0x3F)); sb_addn(b, c, 2); }
    else if (cp < 0x10000) {
        c[0] = (char)(0xE0 | (cp >> 12)); c[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); c[2] = (char)(0x80 | (cp & 0x3F));
        sb_addn(b, c, 3);
    } else {
        c[0] = (char)(0xF0 | (cp >> 18)); c[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        c[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); c[3] = (char)(0x80 | (cp & 0x3F));
        sb_addn(b, c, 4);
    }
}

static int parse_string(jparser *ps, char **out) {
    if (*ps->p != '"') { ps->err = "expected a string"; return -1; }
    ps->p++;
    sbuf b = {0};
    sb_addn(&b, "", 0);
    while (*ps->p && *ps->p != '"') {
        if (*ps->p == '\\') {
            ps->p++;
            char e = *ps->p++;
            switch (e) {
            case 'n': sb_addn(&b, "\n", 1); break;
            case 't': sb_addn(&b, "\t", 1); break;
            case 'r': sb_addn(&b, "\r", 1); break;
            case 'b': sb_addn(&b, "\b", 1); break;
            case 'f': sb_addn(&b, "\f", 1); break;
            case 'u': {
                unsigned cp = 0;
                for (int i = 0; i < 4; i++) {
                    char h = *ps->p++;
                    cp <<= 4;
                    if (h >= '0' && h <= '9') cp |= (unsigned)(h - '0');
                    else if (h >= 'a' && h <= 'f') cp |= (unsigned)(h - 'a' + 10);
                    else if (h >= 'A' && h <= 'F') cp |= (unsigned)(h - 'A' + 10);
                    else { ps->err = "bad \\u escape"; sb_free(&b); return -1; }
                }
                put_utf8(&b, cp);  // surrogate pairs are not expected in plans
                break;
            }
            case '\0': ps->err = "unterminated string"; sb_free(&b); return -1;
            default: sb_addn(&b, &e, 1);
            }
        } else {
            sb_addn(&b, ps->p, 1);
            ps->p++;
        }
    }
    if (*ps->p != '"') { ps->err = "unterminated string"; sb_free(&b); return -1; }
    ps->p++;
    *out = b.data;
    return 0;
}

static int parse_container(jparser *ps, jnode *out, int depth, int is_obj) {
    char close = is_obj ? '}' : ']';
    ps->p++;
    size_t cap = 0;
    out->type = is_obj ? J_OBJ : J_ARR;
    skip_ws(ps);
    if (*ps->p == close) { ps->p++; return 0; }
    for (;;) {
        if (out->count == cap) {
            cap = cap ? cap * 2 : 4;
            out->items = realloc(out->items, cap * sizeof(jnode));
            if (is_obj) out->keys = realloc(out->keys, cap * sizeof(char *));
        }
        skip_ws(ps);
        if (is_obj) {
            if (parse_string(ps, &out->keys[out->count]) != 0) return -1;
            skip_ws(ps);
            if (*ps->p != ':') { ps->err = "expected ':'"; return -1; }
            ps->p++;
        }
        memset(&out->items[out->count], 0, sizeof(jnode));
        if (parse_value(ps, &out->items[out->count], depth + 1) != 0) return -1;
        out->count++;
        skip_ws(ps);
        if (*ps->p == ',') { ps->p++; continue; }
        if (*ps->p == close) { ps->p++; return 0; }
        ps->err = "expected ',' or a closing bracket";
        return -1;
    }
}

static int parse_value(jparser *ps, jnode *out, int depth) {
    if (depth > 64) { ps->err = "nested too deeply"; return -1; }
    skip_ws(ps);
    char c = *ps->p;
    if (c == '{' || c == '[') return parse_container(ps, out, depth, c == '{');
    if (c == '"') { out->type = J_STR; return parse_string(ps, &out->str); }
    if (strncmp(ps->p, "true", 4) == 0) { out->type = J_BOOL; out->boolean = 1; ps->p += 4; return 0; }
    if (strncmp(ps->p, "false", 5) == 0) { out->type = J_BOOL; ps->p += 5; return 0; }
    if (strncmp(ps->p, "null", 4) == 0) { out->type = J_NULL; ps->p += 4; return 0; }
    if (c == '-' || (c >= '0' && c <= '9')) {
        const char *start = ps->p;
        while (*ps->p && strchr("+-0123456789.eE", *ps->p)) ps->p++;
        out->type = J_NUM;
        out->str = strndup(start, (size_t)(ps->p - start));
        return 0;
    }
    ps->err = "unexpected character";
    return -1;
}

int json_parse(const char *text, jnode *out, const char **err) {
    jparser ps = {text, NULL};
    memset(out, 0, sizeof(*out));
    if (parse_value(&ps, out, 0) != 0) { *err = ps.err; return -1; }
    return 0;
}

const jnode *json_get(const jnode *obj, const char *key) {
    if (obj == NULL || obj->type != J_OBJ) return NULL;
    for (size_t i = 0; i < obj->count; i++)
        if (strcmp(obj->keys[i], key) == 0) return obj->items[i].type == J_NULL ? NULL : &obj->items[i];
    return NULL;
}

const char *json_str(const jnode *obj, const char *key) {
    const jnode *n = json_get(obj, key);
    return n && n->type == J_STR ? n->str : NULL;
}

int64_t json_int(const jnode *obj, const char *key, int64_t dflt) {
    const jnode *n = json_get(obj, key);
    return n && n->type == J_NUM ? strtoll(n->str, NULL, 10) : dflt;
}

int json_int_in(const jnode *obj, const char *key, int dflt, int lo, int hi) {
    int64_t v = json_int(obj, key, dflt);
    return v < lo ? lo : v > hi ? hi : (int)v;
}

uint64_t json_u64(const jnode *obj, const char *key) {
    const jnode *n = json_get(obj, key);
    if (n == NULL || (n->type != J_NUM && n->type != J_STR)) return 0;
    return strtoull(n->str, NULL, 0);
}

int json_bool(const jnode *obj, const char *key) {
    const jnode *n = json_get(obj, key);
    return n && n->type == J_BOOL && n->boolean;
}

char **json_strv(const jnode *arr) {
    if (arr == NULL || arr->type != J_ARR) return NULL;
    char **v = calloc(arr->count + 1, sizeof(char *));
    for (size_t i = 0; i < arr->count; i++) v[i] = arr->items[i].type == J_STR ? arr->items[i].str : (char *)"";
    return v;
}

void sb_addn(sbuf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        b->data = realloc(b->data, cap);
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void sb_add(sbuf *b, const char *s) { sb_addn(b, s, strlen(s)); }

void sb_printf(sbuf *b, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof(tmp)) { sb_addn(b, tmp, (size_t)n); return; }
    char *big = malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_addn(b, big, (size_t)n);
    free(big);
}

void sb_str(sbuf *b, const char *s) {
    if (s == NULL) { sb_add(b, "null"); return; }
    sb_addn(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': sb_add(b, "\\\""); break;
        case '\\': sb_add(b, "\\\\"); break;
        case '\n': sb_add(b, "\\n"); break;
        case '\r': sb_add(b, "\\r"); break;
        case '\t': sb_add(b, "\\t"); break;
        default:
            if (*p < 0x20) sb_printf(b, "\\u%04x", *p);
            else sb_addn(b, (const char *)p, 1);
        }
    }
    sb_addn(b, "\"", 1);
}

void sb_free(sbuf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
