/*
 * sluice.h: write a sluice plugin in C as a few functions.
 *
 * A sluice plugin is a WebAssembly component implementing wit/plugin.wit (package
 * sluice:plugin@0.5.0, world `plugin`). The contract is batch-oriented and flat (a batch is one
 * byte buffer plus offsets; the answer says where each output line comes from). This helper
 * does that bookkeeping: the plugin sees one line at a time and keeps, drops or replaces it,
 * and sets fields on it. It mirrors the Rust SDK (plugins/sdk/rust), without its extras.
 *
 * The plugin defines three functions (and optionally two more):
 *
 *     const sluice_info *sluice_describe(void);
 *         Name, version, summary and config keys. Called often: return a static.
 *
 *     void *sluice_create(const sluice_config *config, const sluice_grants *grants,
 *                         sluice_error *err);
 *         Reads the configuration and returns the stage's state (any non-NULL pointer).
 *         On a bad configuration: sluice_error_set(err, "key", "what is wrong"), return NULL.
 *         Unknown keys (not in sluice_describe()'s config_keys) and a configuration that is not
 *         a JSON object were already rejected before it is called.
 *
 *     sluice_action sluice_process_line(void *stage, sluice_line *line);
 *         Called once per input line, in order. Return SLUICE_KEEP or SLUICE_DROP; before
 *         returning, sluice_replace() gives a kept line new bytes, sluice_set_field() and
 *         sluice_remove_field() change its fields. Doing nothing and returning SLUICE_KEEP
 *         passes the line through untouched (no copy).
 *
 *     void sluice_finish(void *stage, sluice_emitter *out);       optional
 *         End of stream: may emit trailing lines with sluice_emit(). Default: nothing.
 *
 *     void sluice_destroy(void *stage);                           optional
 *         The stage is dropped: free its state. Default: nothing.
 *
 * Lines are bytes: not NUL-terminated, not necessarily UTF-8, may contain NUL. They come
 * without their terminator (the host restores it, `\n` or `\r\n`).
 *
 * sluice_info.state says how far what the stage keeps between lines reaches. The default (a
 * zero field), SLUICE_STATE_PER_SOURCE, makes the host create one stage per input file, so
 * state never mixes files; SLUICE_STATE_NONE declares that each line is handled on its own;
 * SLUICE_STATE_WHOLE_STREAM that one stage must see every file.
 *
 * Over-long lines (longer than the host's --max-line-bytes) arrive in pieces. This helper is
 * not boundary-safe and follows the contract's conventions for such stages: sluice_process_line
 * is called for the FIRST piece only (line->partial is true then); its decision (keep or drop)
 * applies to every later piece, which passes through unchanged; fields set or removed on the
 * first piece are applied to the LAST piece, which is where a line's fields belong. A
 * replacement replaces the first piece only. Fields the line already has are on its last
 * piece, so sluice_line_field() does not see them on a first piece.
 *
 * Nothing crosses the WebAssembly boundary per line, and the helper allocates per batch, not
 * per line (the buffers it reuses grow to the largest batch).
 *
 * Build (see plugins/examples/c/build.sh):
 *     wit-bindgen c wit --world plugin --out-dir gen
 *     clang-19 --target=wasm32-wasi -mexec-model=reactor -O2 -Wl,--strip-debug -Igen \
 *         -Iplugins/sdk/c -o p.core.wasm app.c plugins/sdk/c/sluice.c gen/plugin.c \
 *         gen/plugin_component_type.o
 *     wasm-tools component new p.core.wasm -o p.wasm
 * Keep the plugin free of stdio (printf and friends): then the module imports nothing.
 */
#ifndef SLUICE_H
#define SLUICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- describe ------------------------------------------------------------------------- */

/* One configuration key the plugin understands (shown by `sluice inspect`). */
typedef struct sluice_config_key {
    const char *name;         /* "min" */
    const char *kind;         /* its JSON type in a few words: "string", "bool", "number" */
    const char *default_json; /* its default as JSON ("\"debug\"", "true"), or NULL */
    const char *doc;          /* one or two sentences */
} sluice_config_key;

/* How far what a stage keeps between lines reaches (the contract's `state`). */
typedef enum sluice_state {
    SLUICE_STATE_PER_SOURCE = 0,   /* one stage per input file (the default) */
    SLUICE_STATE_NONE = 1,         /* each line on its own */
    SLUICE_STATE_WHOLE_STREAM = 2, /* one stage sees every file */
} sluice_state;

/* What the plugin says about itself. */
typedef struct sluice_info {
    const char *name;    /* short, lowercase: "level" */
    const char *version; /* semver */
    const char *summary; /* one line */
    const sluice_config_key *config_keys;
    size_t config_key_count;
    sluice_state state;  /* 0, SLUICE_STATE_PER_SOURCE, unless set */
} sluice_info;

/* ---- create: configuration, grants, errors -------------------------------------------- */

/* The stage's configuration: a JSON object (`{}` when the user gave none), already checked to
 * be one whose keys are all known. Valid during sluice_create only. */
typedef struct sluice_config sluice_config;

/* A configuration error being reported; fill it with sluice_error_set. */
typedef struct sluice_error sluice_error;

/* What the host grants the stage. Valid during sluice_create only; copy what you keep. */
typedef struct sluice_grants {
    /* The host's line cap: a line longer than this arrives in pieces. */
    uint32_t max_line_bytes;
    /* The overlap boundary-safe stages see twice (unused by this helper's stages). */
    uint32_t boundary_overlap;
    /* Where reports go (a path, or "stderr"), or NULL; not NUL-terminated. */
    const char *report;
    size_t report_len;
    /* Internal: the granted environment variables; read them with sluice_grants_env. */
    const void *env_;
    size_t env_count_;
} sluice_grants;

/* The value of the granted environment variable `name` (listed under the config's `env` key),
 * not NUL-terminated, with its length in *len; NULL when not granted. */
const char *sluice_grants_env(const sluice_grants *grants, const char *name, size_t *len);

/* Reports a configuration error: `key` is the key at fault (NULL for none), `message` one
 * line saying what is wrong and what would be right. Both are copied. A later call replaces
 * an earlier one. */
void sluice_error_set(sluice_error *err, const char *key, const char *message);

/* Typed getters for top-level keys. Each returns true when the key is absent (the default is
 * used) or holds a value of the right type, and false after filling `err` (naming the key:
 * "expected a string, got a number") when it does not: then return NULL from sluice_create.
 * A key given twice counts with its last value, as in other JSON readers. */

/* A string, decoded (escapes resolved), as a malloc'd NUL-terminated copy in *out (free it),
 * its length in *len (it may contain NUL; `len` may be NULL). When the key is absent, *out is
 * a copy of `default_value`, or NULL when that is NULL. */
bool sluice_config_string(const sluice_config *config, const char *key,
                          const char *default_value, char **out, size_t *len, sluice_error *err);

/* true or false. */
bool sluice_config_bool(const sluice_config *config, const char *key, bool default_value,
                        bool *out, sluice_error *err);

/* A number. */
bool sluice_config_number(const sluice_config *config, const char *key, double default_value,
                          double *out, sluice_error *err);

/* A string that must be one of `choices` (ASCII case ignored): *out is its index. The error
 * reads `unknown value "loud"; expected one of: debug, info, warn, error`. */
bool sluice_config_one_of(const sluice_config *config, const char *key,
                          const char *const *choices, size_t choice_count, size_t default_index,
                          size_t *out, sluice_error *err);

/* Whether the configuration has `key`. */
bool sluice_config_has(const sluice_config *config, const char *key);

/* ---- process ------------------------------------------------------------------------- */

typedef enum sluice_action {
    SLUICE_KEEP = 0, /* pass the line on (with its new bytes, if sluice_replace was called) */
    SLUICE_DROP = 1, /* leave it out; fields set on it are discarded */
} sluice_action;

/* One input line. */
typedef struct sluice_line {
    const uint8_t *data; /* its bytes, without terminator; not NUL-terminated */
    size_t len;
    bool partial;        /* the first piece of an over-long line (see the top of this file) */
    void *internal_;
} sluice_line;

/* The value of the field `key` the line already has (from earlier stages): true and the value
 * (not NUL-terminated) in *value / *len, or false. */
bool sluice_line_field(const sluice_line *line, const char *key, const uint8_t **value,
                       size_t *len);

/* Sets the field `key` on the line (the bytes are copied). Setting a key twice keeps the later
 * value. */
void sluice_set_field(sluice_line *line, const char *key, const uint8_t *value, size_t len);

/* The same for a NUL-terminated value. */
void sluice_set_field_str(sluice_line *line, const char *key, const char *value);

/* Takes the field `key` off the line (no error when it has none). */
void sluice_remove_field(sluice_line *line, const char *key);

/* Gives the line new bytes (copied; no terminator). The last call wins. */
void sluice_replace(sluice_line *line, const uint8_t *bytes, size_t len);

/* ---- finish ------------------------------------------------------------------------- */

typedef struct sluice_emitter sluice_emitter;

/* Emits a trailing line (copied; no terminator: it ends in \n on output). */
void sluice_emit(sluice_emitter *out, const uint8_t *bytes, size_t len);

/* ---- what the plugin defines ---------------------------------------------------------- */

const sluice_info *sluice_describe(void);
void *sluice_create(const sluice_config *config, const sluice_grants *grants, sluice_error *err);
sluice_action sluice_process_line(void *stage, sluice_line *line);
void sluice_finish(void *stage, sluice_emitter *out); /* optional */
void sluice_destroy(void *stage);                      /* optional */

#ifdef __cplusplus
}
#endif

#endif /* SLUICE_H */
