/*
 * {{name}}: a sluice plugin. It puts `prefix` in front of every line.
 *
 * Start here: sluice_process_line sees one line at a time and keeps, replaces or drops it.
 * sluice.h (the helper) does the batching and the contract's bookkeeping; its top comment
 * documents every function. No stdio: then the component imports nothing at all.
 */
#include <stdlib.h>
#include <string.h>

#include "sluice.h"

static const sluice_config_key CONFIG_KEYS[] = {
    {"prefix", "string", "\"> \"", "What to put in front of each line."},
};

static const sluice_info INFO = {
    .name = "{{name}}",
    .version = "0.1.0",
    .summary = "Put a prefix in front of every line",
    .config_keys = CONFIG_KEYS,
    .config_key_count = sizeof CONFIG_KEYS / sizeof CONFIG_KEYS[0],
    /* Each line on its own. Leave it out (per source: one stage per input file) when the
     * stage keeps something between lines. */
    .state = SLUICE_STATE_NONE,
};

/* The stage: its configuration, parsed once, and a buffer reused for every line. */
typedef struct stage {
    char *prefix;
    size_t prefix_len;
    unsigned char *buffer;
    size_t capacity;
} stage;

const sluice_info *sluice_describe(void) { return &INFO; }

void *sluice_create(const sluice_config *config, const sluice_grants *grants, sluice_error *err) {
    (void)grants;
    stage *s = calloc(1, sizeof *s);
    if (s == NULL) {
        sluice_error_set(err, NULL, "out of memory");
        return NULL;
    }
    if (!sluice_config_string(config, "prefix", "> ", &s->prefix, &s->prefix_len, err)) {
        free(s);
        return NULL;
    }
    return s;
}

sluice_action sluice_process_line(void *state, sluice_line *line) {
    stage *s = state;
    size_t len = s->prefix_len + line->len;
    if (len > s->capacity) {
        unsigned char *grown = realloc(s->buffer, len);
        if (grown == NULL) return SLUICE_KEEP; /* keep the line as it is rather than fail */
        s->buffer = grown;
        s->capacity = len;
    }
    memcpy(s->buffer, s->prefix, s->prefix_len);
    if (line->len > 0) memcpy(s->buffer + s->prefix_len, line->data, line->len);
    /* For an over-long line this is called for its first piece only: the prefix goes in front
     * of the line once, and the other pieces pass through. */
    sluice_replace(line, s->buffer, len);
    return SLUICE_KEEP;
}

void sluice_destroy(void *state) {
    stage *s = state;
    free(s->prefix);
    free(s->buffer);
    free(s);
}
