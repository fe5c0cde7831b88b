/*
 * sluice.h: write a sluice plugin in C as a few functions.
 *
 * A sluice plugin is a WebAssembly component implementing wit/plugin.wit (package
 * sluice:plugin@0.7.0, world `plugin`). The contract is batch-oriented and flat (a batch is one
 * byte buffer plus offsets; the answer says where each output line comes from). This helper
 * does that bookkeeping: the plugin sees one line at a time and keeps, drops or replaces it,
 * and sets fields on it. It mirrors the Rust SDK (plugins/sdk/rust), without its extras.
 *
 * The plugin defines three functions (and optionally up to seven more):
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
 * and, to let the host run the stage on several threads (`--threads`), each thread with its
 * own stage (see "Threads" below):
 *
 *     void sluice_stage_reach(void *stage, sluice_reach *reach);  optional
 *         How far this stage's state reaches with its configuration, and what it can hand to
 *         another stage. Called once, right after sluice_create, with *reach filled with the
 *         default, which it changes where it needs to: sluice_info.state, neither tallies nor
 *         carries.
 *
 *     void sluice_tally(void *stage, sluice_writer *out);         optional
 *         What the stage counted for its end-of-run report, written with sluice_write in the
 *         plugin's own encoding; the stage then forgets it. Asked at the end of the stream,
 *         before sluice_finish, when reach->tallies is set. Default: nothing.
 *
 *     bool sluice_absorb(void *stage, const uint8_t *tally, size_t len, sluice_error *err);
 *                                                                 optional
 *         Adds what another stage of the same configuration wrote in sluice_tally, so that
 *         this stage's report covers it too. On an error: sluice_error_set(err, NULL, "what is
 *         wrong"), return false. Default: ignores it and returns true.
 *
 *     void sluice_carry(void *stage, sluice_writer *out);         optional
 *         What the stage keeps between lines after its latest batch, written with sluice_write:
 *         nothing when it keeps nothing, as at the start of a source. Asked after a batch when
 *         reach->carries is set, never in the middle of an over-long line. Default: nothing.
 *
 *     bool sluice_resume(void *stage, const uint8_t *carried, size_t len, sluice_error *err);
 *                                                                 optional
 *         Starts the next batch from `carried`, what sluice_carry wrote on a stage of the same
 *         configuration (empty: the start of a source), in place of what this stage kept.
 *         Errors as in sluice_absorb. Default: ignores it and returns true.
 *
 * Lines are bytes: not NUL-terminated, not necessarily UTF-8, may contain NUL. They come
 * without their terminator (the host restores it, `\n` or `\r\n`).
 *
 * sluice_info.state says how far what the stage keeps between lines reaches. The default (a
 * zero field), SLUICE_STATE_PER_SOURCE, makes the host create one stage per input file, so
 * state never mixes files; SLUICE_STATE_NONE declares that each line is handled on its own;
 * SLUICE_STATE_WHOLE_STREAM that one stage must see every file.
 *
 * Threads: the host runs a stage on several threads, each with its own stage, when its reach
 * (sluice_stage_reach) says its state is SLUICE_STATE_NONE, or that it tallies or carries:
 * - tallies: the state is none except for counts kept for an end-of-run report (lines
 *   parsed, lines dropped). At the end the host has each other stage write its counts
 *   (sluice_tally) and gives them to one stage (sluice_absorb), which then reports for every
 *   line.
 * - carries: the stage keeps a little between lines of one source (whether a block is open)
 *   and can say what (sluice_carry) and start from it (sluice_resume). The host gives a batch
 *   to any stage, resumed with what it expects the source's previous batch to have left; when
 *   that guess was wrong, it runs the batch again from the right state. Worth it when what is
 *   carried is usually empty.
 * A reach may narrow sluice_info.state for one configuration (a stage that keeps something
 * only when a key asks for it), never widen it. The helper's own state between lines (an
 * over-long line in progress) is never carried: sluice_resume starts from a line's start.
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

/* ---- reach, tally and carry ---------------------------------------------------------- */

/* How far a configured stage's state reaches, and what it can hand to another stage (see
 * "Threads" at the top of this file). */
typedef struct sluice_reach {
    sluice_state state; /* sluice_info.state or narrower */
    bool tallies;       /* sluice_tally and sluice_absorb merge the report's counts */
    bool carries;       /* sluice_carry and sluice_resume hand over the state between lines */
} sluice_reach;

/* Where sluice_tally and sluice_carry write. */
typedef struct sluice_writer sluice_writer;

/* Appends bytes (copied) to what sluice_tally or sluice_carry hands over. */
void sluice_write(sluice_writer *out, const uint8_t *bytes, size_t len);

/* ---- what the plugin defines ---------------------------------------------------------- */

const sluice_info *sluice_describe(void);
void *sluice_create(const sluice_config *config, const sluice_grants *grants, sluice_error *err);
sluice_action sluice_process_line(void *stage, sluice_line *line);
void sluice_finish(void *stage, sluice_emitter *out); /* optional */
void sluice_destroy(void *stage);                      /* optional */
/* Optional, for threads: */
void sluice_stage_reach(void *stage, sluice_reach *reach);
void sluice_tally(void *stage, sluice_writer *out);
bool sluice_absorb(void *stage, const uint8_t *tally, size_t len, sluice_error *err);
void sluice_carry(void *stage, sluice_writer *out);
bool sluice_resume(void *stage, const uint8_t *carried, size_t len, sluice_error *err);

#ifdef __cplusplus
}
#endif

#endif /* SLUICE_H */
