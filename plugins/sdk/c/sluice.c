/*
 * sluice.c: the glue between sluice.h and the bindings `wit-bindgen c` generates for
 * wit/plugin.wit (plugin.h / plugin.c). See sluice.h for what a plugin writes.
 *
 * Ownership, as the generated code expects: the plugin owns its arguments (the batch, the
 * config string, the grants) and frees them with the generated *_free functions; everything it
 * returns (strings, lists) is heap memory that the generated post-return functions free, so a
 * non-empty list is always a fresh malloc'd block and an empty one is NULL.
 */
#include "sluice.h"
#include "plugin.h"

#include <stdlib.h>
#include <string.h>

/* ---- growable buffers ----------------------------------------------------------------- */

typedef struct vec {
    void *ptr;
    size_t len; /* elements */
    size_t cap; /* elements */
} vec;

static void *vec_reserve(vec *v, size_t size, size_t extra) {
    if (v->len + extra > v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        while (cap < v->len + extra) cap *= 2;
        void *p = realloc(v->ptr, cap * size);
        if (!p) abort();
        v->ptr = p;
        v->cap = cap;
    }
    return (char *)v->ptr + v->len * size;
}

static void vec_push_u32(vec *v, uint32_t x) {
    *(uint32_t *)vec_reserve(v, 4, 1) = x;
    v->len++;
}

static void vec_push_bytes(vec *v, const void *bytes, size_t n) {
    if (n == 0) return;
    memcpy(vec_reserve(v, 1, n), bytes, n);
    v->len += n;
}

static void vec_free(vec *v) {
    free(v->ptr);
    v->ptr = NULL;
    v->len = v->cap = 0;
}

/* Hands a vector's contents over to a returned list: exactly `len` elements in a block the
 * post-return function frees, NULL when empty. */
static void *vec_take(vec *v, size_t size, size_t *len) {
    *len = v->len;
    void *out = NULL;
    if (v->len) {
        out = malloc(v->len * size);
        if (!out) abort();
        memcpy(out, v->ptr, v->len * size);
    }
    v->len = 0;
    return out;
}

static plugin_string_t string_copy(const void *s, size_t len) {
    plugin_string_t out = {NULL, len};
    if (len) {
        out.ptr = malloc(len);
        if (!out.ptr) abort();
        memcpy(out.ptr, s, len);
    }
    return out;
}

static plugin_string_t string_copy_c(const char *s) {
    return string_copy(s, s ? strlen(s) : 0);
}

/* ---- errors --------------------------------------------------------------------------- */

struct sluice_error {
    bool set;
    char *key;     /* NULL for none */
    char *message;
};

static char *strdup_n(const char *s, size_t n) {
    char *out = malloc(n + 1);
    if (!out) abort();
    memcpy(out, s, n);
    out[n] = 0;
    return out;
}

void sluice_error_set(sluice_error *err, const char *key, const char *message) {
    free(err->key);
    free(err->message);
    err->set = true;
    err->key = key ? strdup_n(key, strlen(key)) : NULL;
    err->message = strdup_n(message, strlen(message));
}

/* A string being built for a message. */
typedef struct text {
    vec v;
} text;

static void text_add(text *t, const char *s) { vec_push_bytes(&t->v, s, strlen(s)); }
static void text_add_n(text *t, const char *s, size_t n) { vec_push_bytes(&t->v, s, n); }
static char *text_finish(text *t) {
    char *out = strdup_n(t->v.ptr ? (const char *)t->v.ptr : "", t->v.len);
    vec_free(&t->v);
    return out;
}

static void error_set_text(sluice_error *err, const char *key, text *t) {
    char *message = text_finish(t);
    sluice_error_set(err, key, message);
    free(message);
}

/* ---- a small JSON reader for the configuration ---------------------------------------- */

typedef struct json {
    const char *p;
    const char *end;
    const char *error; /* what went wrong, once something did */
} json;

static void json_ws(json *j) {
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static bool json_fail(json *j, const char *what) {
    if (!j->error) j->error = what;
    return false;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool json_hex4(json *j, uint32_t *out) {
    if (j->end - j->p < 4) return json_fail(j, "a \\u escape needs four hex digits");
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(j->p[i]);
        if (d < 0) return json_fail(j, "a \\u escape needs four hex digits");
        v = v * 16 + (uint32_t)d;
    }
    j->p += 4;
    *out = v;
    return true;
}

static void utf8_push(vec *out, uint32_t c) {
    uint8_t b[4];
    size_t n;
    if (c < 0x80) {
        b[0] = (uint8_t)c;
        n = 1;
    } else if (c < 0x800) {
        b[0] = (uint8_t)(0xC0 | (c >> 6));
        b[1] = (uint8_t)(0x80 | (c & 0x3F));
        n = 2;
    } else if (c < 0x10000) {
        b[0] = (uint8_t)(0xE0 | (c >> 12));
        b[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        b[2] = (uint8_t)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        b[0] = (uint8_t)(0xF0 | (c >> 18));
        b[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
        b[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        b[3] = (uint8_t)(0x80 | (c & 0x3F));
        n = 4;
    }
    vec_push_bytes(out, b, n);
}

/* Reads a string at j->p (which is at its opening quote), decoding it into `out` when not NULL. */
static bool json_string(json *j, vec *out) {
    j->p++; /* the opening quote */
    for (;;) {
        if (j->p >= j->end) return json_fail(j, "a string is not closed");
        unsigned char c = (unsigned char)*j->p;
        if (c == '"') {
            j->p++;
            return true;
        }
        if (c < 0x20) return json_fail(j, "a control character in a string must be escaped");
        if (c != '\\') {
            const char *start = j->p;
            while (j->p < j->end && *j->p != '"' && *j->p != '\\' &&
                   (unsigned char)*j->p >= 0x20)
                j->p++;
            if (out) vec_push_bytes(out, start, (size_t)(j->p - start));
            continue;
        }
        j->p++;
        if (j->p >= j->end) return json_fail(j, "a string is not closed");
        char e = *j->p++;
        char simple = 0;
        switch (e) {
        case '"': simple = '"'; break;
        case '\\': simple = '\\'; break;
        case '/': simple = '/'; break;
        case 'b': simple = '\b'; break;
        case 'f': simple = '\f'; break;
        case 'n': simple = '\n'; break;
        case 'r': simple = '\r'; break;
        case 't': simple = '\t'; break;
        case 'u': {
            uint32_t c1;
            if (!json_hex4(j, &c1)) return false;
            if (c1 >= 0xDC00 && c1 <= 0xDFFF)
                return json_fail(j, "a \\u escape is a lone low surrogate");
            if (c1 >= 0xD800 && c1 <= 0xDBFF) {
                uint32_t c2;
                if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u')
                    return json_fail(j, "a \\u escape is a lone high surrogate");
                j->p += 2;
                if (!json_hex4(j, &c2)) return false;
                if (c2 < 0xDC00 || c2 > 0xDFFF)
                    return json_fail(j, "a \\u escape is a lone high surrogate");
                c1 = 0x10000 + ((c1 - 0xD800) << 10) + (c2 - 0xDC00);
            }
            if (out) utf8_push(out, c1);
            continue;
        }
        default:
            return json_fail(j, "an unknown escape in a string");
        }
        if (out) vec_push_bytes(out, &simple, 1);
    }
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool json_number(json *j) {
    if (j->p < j->end && *j->p == '-') j->p++;
    if (j->p >= j->end || !is_digit(*j->p)) return json_fail(j, "a malformed number");
    if (*j->p == '0') {
        j->p++;
    } else {
        while (j->p < j->end && is_digit(*j->p)) j->p++;
    }
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (j->p >= j->end || !is_digit(*j->p)) return json_fail(j, "a malformed number");
        while (j->p < j->end && is_digit(*j->p)) j->p++;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-')) j->p++;
        if (j->p >= j->end || !is_digit(*j->p)) return json_fail(j, "a malformed number");
        while (j->p < j->end && is_digit(*j->p)) j->p++;
    }
    return true;
}

static bool json_literal(json *j, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
        return json_fail(j, "an unexpected character");
    j->p += n;
    return true;
}

/* Skips (and validates) one value at j->p. */
static bool json_value(json *j, int depth) {
    json_ws(j);
    if (j->p >= j->end) return json_fail(j, "a value is missing");
    if (depth > 128) return json_fail(j, "nested too deeply");
    switch (*j->p) {
    case '"': return json_string(j, NULL);
    case 't': return json_literal(j, "true");
    case 'f': return json_literal(j, "false");
    case 'n': return json_literal(j, "null");
    case '[':
    case '{': {
        char close = *j->p == '[' ? ']' : '}';
        bool object = close == '}';
        j->p++;
        json_ws(j);
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return true;
        }
        for (;;) {
            if (object) {
                json_ws(j);
                if (j->p >= j->end || *j->p != '"') return json_fail(j, "expected a key (a string)");
                if (!json_string(j, NULL)) return false;
                json_ws(j);
                if (j->p >= j->end || *j->p != ':') return json_fail(j, "expected `:` after a key");
                j->p++;
            }
            if (!json_value(j, depth + 1)) return false;
            json_ws(j);
            if (j->p < j->end && *j->p == ',') {
                j->p++;
                continue;
            }
            if (j->p < j->end && *j->p == close) {
                j->p++;
                return true;
            }
            return json_fail(j, object ? "expected `,` or `}`" : "expected `,` or `]`");
        }
    }
    default:
        if (*j->p == '-' || is_digit(*j->p)) return json_number(j);
        return json_fail(j, "an unexpected character");
    }
}

/* How a value's type reads in a message, from its first character. */
static const char *json_kind(const char *p) {
    switch (*p) {
    case '"': return "a string";
    case 't':
    case 'f': return "a boolean";
    case 'n': return "null";
    case '[': return "a list";
    case '{': return "an object";
    default: return "a number";
    }
}

struct sluice_config {
    const char *text;
    size_t len;
};

/* Calls `visit` for each top-level key (decoded, NUL-terminated) with its value's span. The
 * text was validated before, so this does not fail. Stops when `visit` returns false. */
typedef bool (*key_visitor)(void *ctx, const char *key, size_t key_len, const char *value,
                            const char *value_end);

static void config_each(const sluice_config *c, key_visitor visit, void *ctx) {
    json j = {c->text, c->text + c->len, NULL};
    json_ws(&j);
    if (j.p >= j.end) return; /* empty text counts as {} */
    j.p++;                    /* { */
    vec key = {0};
    for (;;) {
        json_ws(&j);
        if (j.p >= j.end || *j.p != '"') break;
        key.len = 0;
        json_string(&j, &key);
        vec_push_bytes(&key, "", 1); /* NUL */
        json_ws(&j);
        j.p++; /* : */
        json_ws(&j);
        const char *value = j.p;
        json_value(&j, 1);
        if (!visit(ctx, key.ptr, key.len - 1, value, j.p)) break;
        json_ws(&j);
        if (j.p < j.end && *j.p == ',') j.p++;
        else break;
    }
    vec_free(&key);
}

typedef struct find_ctx {
    const char *key;
    const char *value; /* the last occurrence's */
    const char *value_end;
} find_ctx;

static bool find_visit(void *ctx, const char *key, size_t key_len, const char *value,
                       const char *value_end) {
    find_ctx *f = ctx;
    if (strlen(f->key) == key_len && memcmp(f->key, key, key_len) == 0) {
        f->value = value;
        f->value_end = value_end;
    }
    return true;
}

static const char *config_find(const sluice_config *c, const char *key, const char **end) {
    find_ctx f = {key, NULL, NULL};
    config_each(c, find_visit, &f);
    *end = f.value_end;
    return f.value;
}

bool sluice_config_has(const sluice_config *config, const char *key) {
    const char *end;
    return config_find(config, key, &end) != NULL;
}

static bool wrong_type(sluice_error *err, const char *key, const char *expected,
                       const char *value, const char *suffix) {
    text t = {0};
    text_add(&t, "expected ");
    text_add(&t, expected);
    text_add(&t, ", got ");
    text_add(&t, json_kind(value));
    if (suffix) text_add(&t, suffix);
    error_set_text(err, key, &t);
    return false;
}

bool sluice_config_string(const sluice_config *config, const char *key,
                          const char *default_value, char **out, size_t *len, sluice_error *err) {
    const char *end;
    const char *value = config_find(config, key, &end);
    if (!value) {
        *out = default_value ? strdup_n(default_value, strlen(default_value)) : NULL;
        if (len) *len = default_value ? strlen(default_value) : 0;
        return true;
    }
    if (*value != '"') return wrong_type(err, key, "a string", value, NULL);
    json j = {value, end, NULL};
    vec s = {0};
    json_string(&j, &s);
    *out = strdup_n(s.ptr ? (const char *)s.ptr : "", s.len);
    if (len) *len = s.len;
    vec_free(&s);
    return true;
}

bool sluice_config_bool(const sluice_config *config, const char *key, bool default_value,
                        bool *out, sluice_error *err) {
    const char *end;
    const char *value = config_find(config, key, &end);
    if (!value) {
        *out = default_value;
        return true;
    }
    if (*value != 't' && *value != 'f') return wrong_type(err, key, "true or false", value, NULL);
    *out = *value == 't';
    return true;
}

bool sluice_config_number(const sluice_config *config, const char *key, double default_value,
                          double *out, sluice_error *err) {
    const char *end;
    const char *value = config_find(config, key, &end);
    if (!value) {
        *out = default_value;
        return true;
    }
    if (*value != '-' && !is_digit(*value)) return wrong_type(err, key, "a number", value, NULL);
    char *copy = strdup_n(value, (size_t)(end - value));
    *out = strtod(copy, NULL);
    free(copy);
    return true;
}

static char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c; }

static bool equal_ignoring_case(const char *a, size_t a_len, const char *b) {
    if (a_len != strlen(b)) return false;
    for (size_t i = 0; i < a_len; i++)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

static void add_choices(text *t, const char *const *choices, size_t n) {
    text_add(t, "expected one of: ");
    for (size_t i = 0; i < n; i++) {
        if (i) text_add(t, ", ");
        text_add(t, choices[i]);
    }
}

/* Appends `s` as a JSON string (quotes and backslashes escaped, control bytes as \u00XX). */
static void add_quoted(text *t, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    text_add(t, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            text_add_n(t, e, 2);
        } else if (c < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            text_add_n(t, e, 6);
        } else {
            text_add_n(t, (const char *)&c, 1);
        }
    }
    text_add(t, "\"");
}

bool sluice_config_one_of(const sluice_config *config, const char *key,
                          const char *const *choices, size_t choice_count, size_t default_index,
                          size_t *out, sluice_error *err) {
    const char *end;
    const char *value = config_find(config, key, &end);
    if (!value) {
        *out = default_index;
        return true;
    }
    text t = {0};
    if (*value != '"') {
        text_add(&t, "expected a string, got ");
        text_add(&t, json_kind(value));
        text_add(&t, "; ");
        add_choices(&t, choices, choice_count);
        error_set_text(err, key, &t);
        return false;
    }
    json j = {value, end, NULL};
    vec s = {0};
    json_string(&j, &s);
    for (size_t i = 0; i < choice_count; i++) {
        if (equal_ignoring_case(s.ptr ? (const char *)s.ptr : "", s.len, choices[i])) {
            *out = i;
            vec_free(&s);
            return true;
        }
    }
    text_add(&t, "unknown value ");
    add_quoted(&t, s.ptr ? (const char *)s.ptr : "", s.len);
    text_add(&t, "; ");
    add_choices(&t, choices, choice_count);
    vec_free(&s);
    error_set_text(err, key, &t);
    return false;
}

const char *sluice_grants_env(const sluice_grants *grants, const char *name, size_t *len) {
    const plugin_tuple2_string_string_t *env = grants->env_;
    size_t n = strlen(name);
    for (size_t i = 0; i < grants->env_count_; i++) {
        if (env[i].f0.len == n && memcmp(env[i].f0.ptr, name, n) == 0) {
            if (len) *len = env[i].f1.len;
            return (const char *)env[i].f1.ptr;
        }
    }
    return NULL;
}

/* The Levenshtein distance between two short strings, for "did you mean". */
static size_t edit_distance(const char *a, size_t an, const char *b, size_t bn) {
    if (an > 64 || bn > 64) return (size_t)-1;
    size_t row[65];
    for (size_t j = 0; j <= bn; j++) row[j] = j;
    for (size_t i = 1; i <= an; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= bn; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] == b[j - 1] ? 0 : 1);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[bn];
}

typedef struct unknown_ctx {
    const sluice_info *info;
    sluice_error *err;
} unknown_ctx;

static bool unknown_visit(void *ctx, const char *key, size_t key_len, const char *value,
                          const char *value_end) {
    (void)value;
    (void)value_end;
    unknown_ctx *u = ctx;
    const sluice_info *info = u->info;
    for (size_t i = 0; i < info->config_key_count; i++) {
        const char *known = info->config_keys[i].name;
        if (strlen(known) == key_len && memcmp(known, key, key_len) == 0) return true;
    }
    text t = {0};
    if (info->config_key_count == 0) {
        text_add(&t, "unknown key; this plugin takes no configuration");
    } else {
        /* The closest known key within a third of its length (at least 1), ties by name. */
        const char *suggestion = NULL;
        size_t best = (size_t)-1;
        for (size_t i = 0; i < info->config_key_count; i++) {
            const char *known = info->config_keys[i].name;
            size_t kn = strlen(known);
            size_t d = edit_distance(key, key_len, known, kn);
            size_t limit = kn / 3 > 1 ? kn / 3 : 1;
            if (d > limit) continue;
            if (d < best || (d == best && strcmp(known, suggestion) < 0)) {
                best = d;
                suggestion = known;
            }
        }
        text_add(&t, "unknown key; ");
        if (suggestion) {
            text_add(&t, "did you mean ");
            add_quoted(&t, suggestion, strlen(suggestion));
            text_add(&t, "? ");
        }
        text_add(&t, "known keys: ");
        for (size_t i = 0; i < info->config_key_count; i++) {
            if (i) text_add(&t, ", ");
            text_add(&t, info->config_keys[i].name);
        }
    }
    char *name = strdup_n(key, key_len);
    error_set_text(u->err, name, &t);
    free(name);
    return false;
}

/* Checks that the configuration is a JSON object (empty text counts as {}) whose keys are all
 * known. A malformed value is reported with its key. */
static bool config_validate(const sluice_config *c, const sluice_info *info, sluice_error *err) {
    json j = {c->text, c->text + c->len, NULL};
    json_ws(&j);
    if (j.p >= j.end) return true;
    if (*j.p != '{') {
        text t = {0};
        const char *start = j.p;
        if (!json_value(&j, 0) || (json_ws(&j), j.p != j.end)) {
            text_add(&t, "the configuration is not valid JSON: ");
            text_add(&t, j.error ? j.error : "unexpected text after the value");
        } else {
            text_add(&t, "the configuration must be a JSON object, got ");
            text_add(&t, json_kind(start));
        }
        error_set_text(err, NULL, &t);
        return false;
    }
    j.p++;
    json_ws(&j);
    bool first = true;
    vec key = {0};
    for (;;) {
        json_ws(&j);
        if (first && j.p < j.end && *j.p == '}') {
            j.p++;
            break;
        }
        first = false;
        if (j.p >= j.end || *j.p != '"') {
            json_fail(&j, "expected a key (a string)");
            goto malformed;
        }
        key.len = 0;
        if (!json_string(&j, &key)) goto malformed;
        json_ws(&j);
        if (j.p >= j.end || *j.p != ':') {
            json_fail(&j, "expected `:` after a key");
            goto malformed_key;
        }
        j.p++;
        if (!json_value(&j, 1)) goto malformed_key;
        json_ws(&j);
        if (j.p < j.end && *j.p == ',') {
            j.p++;
            continue;
        }
        if (j.p < j.end && *j.p == '}') {
            j.p++;
            break;
        }
        json_fail(&j, "expected `,` or `}`");
        goto malformed_key;
    }
    vec_free(&key);
    json_ws(&j);
    if (j.p != j.end) {
        sluice_error_set(err, NULL,
                         "the configuration is not valid JSON: unexpected text after the object");
        return false;
    }
    unknown_ctx u = {info, err};
    config_each(c, unknown_visit, &u);
    return !err->set;

malformed_key: {
    text t = {0};
    text_add(&t, "the configuration is not valid JSON: ");
    text_add(&t, j.error);
    vec_push_bytes(&key, "", 1);
    error_set_text(err, key.ptr, &t);
    vec_free(&key);
    return false;
}
malformed: {
    text t = {0};
    text_add(&t, "the configuration is not valid JSON: ");
    text_add(&t, j.error);
    error_set_text(err, NULL, &t);
    vec_free(&key);
    return false;
}
}

/* ---- the stage ------------------------------------------------------------------------ */

/* A field change made on the current line: keys and values live in the stage's arena. */
typedef struct change {
    size_t key, key_len; /* offsets into the arena */
    size_t value, value_len;
    bool remove;
    bool dead; /* overridden by a later change of the same key */
} change;

struct exports_sluice_plugin_transform_stage_t {
    void *state;
    /* Over-long lines: true between a line's first piece and its last. */
    bool in_long;
    bool long_keep;
    /* The current line's field changes (kept from a first piece to its last piece). */
    vec changes; /* change */
    vec arena;   /* bytes */
    /* The output being built (reused across batches). */
    vec source, rewritten, data, ends;
    vec names;   /* plugin_string_t, owned, handed over */
    vec f_line, f_name, f_values, f_ends;
    vec removed; /* plugin_tuple2_u32_string_t */
};

typedef exports_sluice_plugin_transform_stage_t stage_t;

/* What sluice_line's internal pointer points to. */
typedef struct line_state {
    stage_t *stage;
    const sluice_plugin_types_fields_t *fields; /* the batch's */
    size_t field_start, field_end;              /* this line's entries */
    size_t data_mark;                           /* stage->data.len before the line */
    bool replaced;
} line_state;

__attribute__((weak)) void sluice_finish(void *stage, sluice_emitter *out) {
    (void)stage;
    (void)out;
}

__attribute__((weak)) void sluice_destroy(void *stage) { (void)stage; }

__attribute__((weak)) void sluice_stage_reach(void *stage, sluice_reach *reach) {
    (void)stage;
    (void)reach;
}

__attribute__((weak)) void sluice_tally(void *stage, sluice_writer *out) {
    (void)stage;
    (void)out;
}

__attribute__((weak)) bool sluice_absorb(void *stage, const uint8_t *tally, size_t len,
                                         sluice_error *err) {
    (void)stage;
    (void)tally;
    (void)len;
    (void)err;
    return true;
}

__attribute__((weak)) void sluice_carry(void *stage, sluice_writer *out) {
    (void)stage;
    (void)out;
}

__attribute__((weak)) bool sluice_resume(void *stage, const uint8_t *carried, size_t len,
                                         sluice_error *err) {
    (void)stage;
    (void)carried;
    (void)len;
    (void)err;
    return true;
}

static sluice_plugin_types_state_t state_to_wit(sluice_state state) {
    switch (state) {
    case SLUICE_STATE_NONE: return SLUICE_PLUGIN_TYPES_STATE_NONE;
    case SLUICE_STATE_WHOLE_STREAM: return SLUICE_PLUGIN_TYPES_STATE_WHOLE_STREAM;
    default: return SLUICE_PLUGIN_TYPES_STATE_PER_SOURCE;
    }
}

void exports_sluice_plugin_transform_describe(exports_sluice_plugin_transform_info_t *ret) {
    const sluice_info *info = sluice_describe();
    ret->name = string_copy_c(info->name);
    ret->version = string_copy_c(info->version);
    ret->summary = string_copy_c(info->summary);
    ret->boundary_safe = false;
    ret->state = state_to_wit(info->state);
    ret->config_keys.len = info->config_key_count;
    ret->config_keys.ptr = NULL;
    if (info->config_key_count) {
        ret->config_keys.ptr = malloc(info->config_key_count * sizeof(sluice_plugin_types_config_key_t));
        if (!ret->config_keys.ptr) abort();
    }
    for (size_t i = 0; i < info->config_key_count; i++) {
        const sluice_config_key *k = &info->config_keys[i];
        sluice_plugin_types_config_key_t *o = &ret->config_keys.ptr[i];
        o->name = string_copy_c(k->name);
        o->kind = string_copy_c(k->kind);
        o->default_.is_some = k->default_json != NULL;
        if (k->default_json) o->default_.val = string_copy_c(k->default_json);
        o->doc = string_copy_c(k->doc);
    }
}

/* The key and message of the latest call that failed, kept for `last-error` (owned). */
static char *last_key;
static char *last_message;

/* Keeps `key` (may be NULL) and `message` for `last-error`, taking them over, and says in
 * `err` how long the message is. */
static bool failed(exports_sluice_plugin_transform_failed_t *err, char *key, char *message) {
    free(last_key);
    free(last_message);
    last_key = key;
    last_message = message;
    err->message_bytes = strlen(message);
    return false;
}

/* The start of `s`, at most `max` bytes, cut at a UTF-8 character boundary. */
static plugin_string_t string_cut(const char *s, size_t max) {
    size_t len = strlen(s);
    if (len > max) {
        len = max;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80) len--;
    }
    return string_copy(s, len);
}

void exports_sluice_plugin_transform_last_error(uint32_t max_bytes,
                                                exports_sluice_plugin_transform_error_t *ret) {
    ret->key.is_some = last_key != NULL;
    if (last_key) ret->key.val = string_cut(last_key, max_bytes);
    ret->message = string_cut(last_message ? last_message : "", max_bytes);
}

bool exports_sluice_plugin_transform_static_stage_create(
    plugin_string_t *config, exports_sluice_plugin_transform_grants_t *grants,
    exports_sluice_plugin_transform_own_stage_t *ret,
    exports_sluice_plugin_transform_failed_t *err) {
    sluice_config c = {(const char *)config->ptr, config->len};
    sluice_grants g = {
        .max_line_bytes = grants->max_line_bytes,
        .boundary_overlap = grants->boundary_overlap,
        .report = grants->report.is_some ? (const char *)grants->report.val.ptr : NULL,
        .report_len = grants->report.is_some ? grants->report.val.len : 0,
        .env_ = grants->env.ptr,
        .env_count_ = grants->env.len,
    };
    sluice_error e = {0};
    void *state = NULL;
    if (config_validate(&c, sluice_describe(), &e)) {
        state = sluice_create(&c, &g, &e);
        if (!state && !e.set) sluice_error_set(&e, NULL, "the plugin could not create the stage");
    }
    plugin_string_free(config);
    exports_sluice_plugin_transform_grants_free(grants);
    if (e.set) {
        if (state) sluice_destroy(state);
        return failed(err, e.key, e.message);
    }
    stage_t *s = calloc(1, sizeof(stage_t));
    if (!s) abort();
    s->state = state;
    *ret = exports_sluice_plugin_transform_stage_new(s);
    return true;
}

void exports_sluice_plugin_transform_stage_destructor(exports_sluice_plugin_transform_stage_t *s) {
    sluice_destroy(s->state);
    vec *vecs[] = {&s->changes, &s->arena,  &s->source,  &s->rewritten, &s->data,
                   &s->ends,    &s->names,  &s->f_line,  &s->f_name,    &s->f_values,
                   &s->f_ends,  &s->removed};
    for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) vec_free(vecs[i]);
    free(s);
}

bool sluice_line_field(const sluice_line *line, const char *key, const uint8_t **value,
                       size_t *len) {
    const line_state *ls = line->internal_;
    const sluice_plugin_types_fields_t *f = ls->fields;
    size_t n = strlen(key);
    for (size_t e = ls->field_start; e < ls->field_end; e++) {
        uint32_t name = f->name.ptr[e];
        if (name >= f->names.len) continue;
        const plugin_string_t *s = &f->names.ptr[name];
        if (s->len == n && memcmp(s->ptr, key, n) == 0) {
            size_t start = e ? f->value_ends.ptr[e - 1] : 0;
            size_t end = f->value_ends.ptr[e];
            if (start > end || end > f->values.len) return false;
            *value = f->values.ptr + start;
            *len = end - start;
            return true;
        }
    }
    return false;
}

static void add_change(sluice_line *line, const char *key, const uint8_t *value, size_t len,
                       bool remove) {
    stage_t *s = ((line_state *)line->internal_)->stage;
    size_t key_len = strlen(key);
    change *cs = s->changes.ptr;
    for (size_t i = 0; i < s->changes.len; i++) {
        if (!cs[i].dead && cs[i].key_len == key_len &&
            memcmp((char *)s->arena.ptr + cs[i].key, key, key_len) == 0)
            cs[i].dead = true;
    }
    change c = {.key = s->arena.len, .key_len = key_len, .remove = remove};
    vec_push_bytes(&s->arena, key, key_len);
    c.value = s->arena.len;
    c.value_len = len;
    vec_push_bytes(&s->arena, value, len);
    *(change *)vec_reserve(&s->changes, sizeof(change), 1) = c;
    s->changes.len++;
}

void sluice_set_field(sluice_line *line, const char *key, const uint8_t *value, size_t len) {
    add_change(line, key, value, len, false);
}

void sluice_set_field_str(sluice_line *line, const char *key, const char *value) {
    add_change(line, key, (const uint8_t *)value, strlen(value), false);
}

void sluice_remove_field(sluice_line *line, const char *key) {
    add_change(line, key, NULL, 0, true);
}

void sluice_replace(sluice_line *line, const uint8_t *bytes, size_t len) {
    line_state *ls = line->internal_;
    ls->stage->data.len = ls->data_mark;
    vec_push_bytes(&ls->stage->data, bytes, len);
    ls->replaced = true;
}

/* The index of `name` in the output's names, added when new. */
static uint32_t intern(stage_t *s, const char *name, size_t len) {
    plugin_string_t *names = s->names.ptr;
    for (size_t i = 0; i < s->names.len; i++)
        if (names[i].len == len && memcmp(names[i].ptr, name, len) == 0) return (uint32_t)i;
    plugin_string_t copy = string_copy(name, len);
    *(plugin_string_t *)vec_reserve(&s->names, sizeof(plugin_string_t), 1) = copy;
    return (uint32_t)s->names.len++;
}

/* Applies the pending field changes to output line `j` (removals first, as the host does). */
static void commit_changes(stage_t *s, uint32_t j) {
    change *cs = s->changes.ptr;
    const char *arena = s->arena.ptr;
    for (size_t i = 0; i < s->changes.len; i++) {
        if (cs[i].dead) continue;
        if (cs[i].remove) {
            plugin_tuple2_u32_string_t r = {j, string_copy(arena + cs[i].key, cs[i].key_len)};
            *(plugin_tuple2_u32_string_t *)vec_reserve(&s->removed, sizeof r, 1) = r;
            s->removed.len++;
        } else {
            vec_push_u32(&s->f_line, j);
            vec_push_u32(&s->f_name, intern(s, arena + cs[i].key, cs[i].key_len));
            vec_push_bytes(&s->f_values, arena + cs[i].value, cs[i].value_len);
            vec_push_u32(&s->f_ends, (uint32_t)s->f_values.len);
        }
    }
    s->changes.len = 0;
    s->arena.len = 0;
}

static void clear_changes(stage_t *s) {
    s->changes.len = 0;
    s->arena.len = 0;
}

static bool process_error(exports_sluice_plugin_transform_failed_t *err, const char *message,
                          exports_sluice_plugin_transform_batch_t *batch) {
    exports_sluice_plugin_transform_batch_free(batch);
    return failed(err, NULL, strdup_n(message, strlen(message)));
}

bool exports_sluice_plugin_transform_method_stage_process(
    exports_sluice_plugin_transform_borrow_stage_t s, exports_sluice_plugin_transform_batch_t *batch,
    exports_sluice_plugin_transform_output_t *ret, exports_sluice_plugin_transform_failed_t *err) {
    const uint8_t *data = batch->data.ptr;
    const uint32_t *ends = batch->ends.ptr;
    size_t n = batch->ends.len;
    const uint32_t *partial = batch->partial.ptr;
    size_t partial_len = batch->partial.len, pi = 0;
    const sluice_plugin_types_fields_t *fields = &batch->fields;
    size_t field_count = fields->line.len, fi = 0;
    if (fields->name.len != field_count || fields->value_ends.len != field_count)
        return process_error(err, "malformed batch: the fields table's lists differ in length",
                             batch);

    s->source.len = s->rewritten.len = s->data.len = s->ends.len = 0;
    s->f_line.len = s->f_name.len = s->f_values.len = s->f_ends.len = 0;
    s->names.len = 0;
    s->removed.len = 0;
    vec_reserve(&s->source, 4, n);

    uint32_t start = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t end = ends[i];
        if (end < start || end > batch->data.len)
            return process_error(err, "malformed batch: `ends` is not ascending within `data`",
                                 batch);
        bool is_partial = false;
        while (pi < partial_len && partial[pi] < i) pi++;
        if (pi < partial_len && partial[pi] == i) is_partial = true;
        size_t field_start = fi;
        while (fi < field_count && fields->line.ptr[fi] < i) field_start = ++fi;
        while (fi < field_count && fields->line.ptr[fi] == i) fi++;

        if (s->in_long) {
            /* A later piece of an over-long line: the first piece's decision holds. */
            if (s->long_keep) {
                uint32_t j = (uint32_t)s->source.len;
                vec_push_u32(&s->source, (uint32_t)i);
                if (!is_partial) commit_changes(s, j);
            }
            if (!is_partial) {
                s->in_long = false;
                clear_changes(s);
            }
            start = end;
            continue;
        }

        line_state ls = {s, fields, field_start, fi, s->data.len, false};
        sluice_line line = {data + start, end - start, is_partial, &ls};
        sluice_action action = sluice_process_line(s->state, &line);
        uint32_t j = (uint32_t)s->source.len;
        if (action == SLUICE_KEEP) {
            vec_push_u32(&s->source, (uint32_t)i);
            if (ls.replaced) {
                vec_push_u32(&s->rewritten, j);
                vec_push_u32(&s->ends, (uint32_t)s->data.len);
            }
        } else {
            s->data.len = ls.data_mark;
        }
        if (is_partial) {
            s->in_long = true;
            s->long_keep = action == SLUICE_KEEP;
            if (action != SLUICE_KEEP) clear_changes(s);
        } else if (action == SLUICE_KEEP) {
            commit_changes(s, j);
        } else {
            clear_changes(s);
        }
        start = end;
    }
    exports_sluice_plugin_transform_batch_free(batch);

    memset(ret, 0, sizeof *ret);
    ret->source.ptr = vec_take(&s->source, 4, &ret->source.len);
    ret->rewritten.ptr = vec_take(&s->rewritten, 4, &ret->rewritten.len);
    ret->data.ptr = vec_take(&s->data, 1, &ret->data.len);
    ret->ends.ptr = vec_take(&s->ends, 4, &ret->ends.len);
    ret->removed.ptr = vec_take(&s->removed, sizeof(plugin_tuple2_u32_string_t), &ret->removed.len);
    ret->fields.names.ptr = vec_take(&s->names, sizeof(plugin_string_t), &ret->fields.names.len);
    ret->fields.line.ptr = vec_take(&s->f_line, 4, &ret->fields.line.len);
    ret->fields.name.ptr = vec_take(&s->f_name, 4, &ret->fields.name.len);
    ret->fields.values.ptr = vec_take(&s->f_values, 1, &ret->fields.values.len);
    ret->fields.value_ends.ptr = vec_take(&s->f_ends, 4, &ret->fields.value_ends.len);
    return true;
}

bool exports_sluice_plugin_transform_method_stage_tick(exports_sluice_plugin_transform_borrow_stage_t s,
                                                       exports_sluice_plugin_transform_emitted_t *ret,
                                                       exports_sluice_plugin_transform_failed_t *err) {
    (void)s;
    (void)err;
    memset(ret, 0, sizeof *ret);
    return true;
}

struct sluice_emitter {
    vec data;
    vec ends;
};

void sluice_emit(sluice_emitter *out, const uint8_t *bytes, size_t len) {
    vec_push_bytes(&out->data, bytes, len);
    vec_push_u32(&out->ends, (uint32_t)out->data.len);
}

bool exports_sluice_plugin_transform_method_stage_finish(
    exports_sluice_plugin_transform_borrow_stage_t s, exports_sluice_plugin_transform_emitted_t *ret,
    exports_sluice_plugin_transform_failed_t *err) {
    (void)err;
    sluice_emitter out = {0};
    sluice_finish(s->state, &out);
    memset(ret, 0, sizeof *ret);
    ret->data.ptr = vec_take(&out.data, 1, &ret->data.len);
    ret->ends.ptr = vec_take(&out.ends, 4, &ret->ends.len);
    vec_free(&out.data);
    vec_free(&out.ends);
    return true;
}

void exports_sluice_plugin_transform_method_stage_reach(
    exports_sluice_plugin_transform_borrow_stage_t s, exports_sluice_plugin_transform_reach_t *ret) {
    sluice_reach reach = {sluice_describe()->state, false, false};
    sluice_stage_reach(s->state, &reach);
    ret->state = state_to_wit(reach.state);
    ret->tallies = reach.tallies;
    ret->carries = reach.carries;
}

struct sluice_writer {
    vec bytes;
};

void sluice_write(sluice_writer *out, const uint8_t *bytes, size_t len) {
    vec_push_bytes(&out->bytes, bytes, len);
}

/* What `hook` writes, as a returned list. */
static void write_list(exports_sluice_plugin_transform_borrow_stage_t s,
                       void (*hook)(void *, sluice_writer *), plugin_list_u8_t *ret) {
    sluice_writer out = {0};
    hook(s->state, &out);
    ret->ptr = vec_take(&out.bytes, 1, &ret->len);
    vec_free(&out.bytes);
}

/* Calls `hook` with `bytes`, frees them, and keeps the hook's error, if any, for `last-error`. */
static bool read_list(exports_sluice_plugin_transform_borrow_stage_t s,
                      bool (*hook)(void *, const uint8_t *, size_t, sluice_error *),
                      plugin_list_u8_t *bytes, const char *fallback,
                      exports_sluice_plugin_transform_failed_t *err) {
    sluice_error e = {0};
    if (!hook(s->state, bytes->ptr, bytes->len, &e) && !e.set) sluice_error_set(&e, NULL, fallback);
    plugin_list_u8_free(bytes);
    if (e.set) {
        free(e.key);
        return failed(err, NULL, e.message);
    }
    return true;
}

void exports_sluice_plugin_transform_method_stage_tally(
    exports_sluice_plugin_transform_borrow_stage_t s, plugin_list_u8_t *ret) {
    write_list(s, sluice_tally, ret);
}

bool exports_sluice_plugin_transform_method_stage_absorb(
    exports_sluice_plugin_transform_borrow_stage_t s, plugin_list_u8_t *tally,
    exports_sluice_plugin_transform_failed_t *err) {
    return read_list(s, sluice_absorb, tally, "the plugin could not absorb a tally", err);
}

void exports_sluice_plugin_transform_method_stage_carry(
    exports_sluice_plugin_transform_borrow_stage_t s, plugin_list_u8_t *ret) {
    write_list(s, sluice_carry, ret);
}

bool exports_sluice_plugin_transform_method_stage_resume(
    exports_sluice_plugin_transform_borrow_stage_t s, plugin_list_u8_t *carried,
    exports_sluice_plugin_transform_failed_t *err) {
    /* The next batch starts a line: no over-long line is in progress. */
    s->in_long = false;
    clear_changes(s);
    return read_list(s, sluice_resume, carried, "the plugin could not resume from a carry", err);
}
