/*
 * level: finds a line's log level, normalises it into a field, and drops the lines below a
 * minimum. The same plugin is written in Python and JavaScript beside this folder; all three
 * behave identically (see ../README.md).
 *
 * The level is the first word of the line (a word is a maximal run of ASCII letters) whose
 * lowercase form is a level name:
 *   trace, debug, dbg                                            -> DEBUG
 *   info, information, notice                                    -> INFO
 *   warn, warning                                                -> WARN
 *   error, err, fatal, critical, crit, panic, alert, emerg,
 *   emergency                                                    -> ERROR
 * Only words lying entirely within the first 128 bytes of the line are looked at, so a long
 * line costs no more than a short one.
 */
#include <stdlib.h>
#include <string.h>

#include "sluice.h"

#define SEARCHED_BYTES 128

enum { DEBUG, INFO, WARN, ERROR, UNKNOWN };
static const char *const LEVEL_NAMES[] = {"DEBUG", "INFO", "WARN", "ERROR"};
static const char *const MIN_CHOICES[] = {"debug", "info", "warn", "error"};

#define WORD(w, level) {w, sizeof w - 1, level}
static const struct {
    const char *word;
    size_t len;
    int level;
} WORDS[] = {
    WORD("trace", DEBUG),      WORD("debug", DEBUG), WORD("dbg", DEBUG),     WORD("info", INFO),
    WORD("information", INFO), WORD("notice", INFO), WORD("warn", WARN),     WORD("warning", WARN),
    WORD("error", ERROR),      WORD("err", ERROR),   WORD("fatal", ERROR),   WORD("critical", ERROR),
    WORD("crit", ERROR),       WORD("panic", ERROR), WORD("alert", ERROR),   WORD("emerg", ERROR),
    WORD("emergency", ERROR),
};
#define SHORTEST_WORD 3
#define LONGEST_WORD 11

typedef struct level_stage {
    char *field;       /* the field set to the level's name */
    int min;           /* lines below this level are dropped */
    bool keep_unknown; /* keep the lines without a level */
} level_stage;

const sluice_info *sluice_describe(void) {
    static const sluice_config_key keys[] = {
        {"field", "string", "\"level\"", "The field set to the line's level: DEBUG, INFO, WARN or ERROR."},
        {"min", "string", "\"debug\"",
         "Lines whose level is below this one are dropped: debug, info, warn or error (any case)."},
        {"keep_unknown", "bool", "true", "Whether lines without a recognisable level are kept."},
    };
    static const sluice_info info = {
        "level", "0.1.0",
        "Find each line's log level, set it as a normalised field, drop lines below a minimum",
        keys, sizeof keys / sizeof keys[0],
        SLUICE_STATE_NONE, /* each line on its own */
    };
    return &info;
}

void *sluice_create(const sluice_config *config, const sluice_grants *grants, sluice_error *err) {
    (void)grants;
    level_stage *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    size_t min, field_len;
    if (!sluice_config_string(config, "field", "level", &s->field, &field_len, err) ||
        !sluice_config_one_of(config, "min", MIN_CHOICES, 4, DEBUG, &min, err) ||
        !sluice_config_bool(config, "keep_unknown", true, &s->keep_unknown, err)) {
        free(s->field);
        free(s);
        return NULL;
    }
    if (field_len == 0 || strlen(s->field) != field_len) {
        sluice_error_set(err, "field", field_len ? "must not contain NUL" : "is empty; name a field");
        free(s->field);
        free(s);
        return NULL;
    }
    s->min = (int)min;
    return s;
}

void sluice_destroy(void *stage) {
    level_stage *s = stage;
    free(s->field);
    free(s);
}

static bool is_letter(uint8_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* The level of the word `w` (n letters), or UNKNOWN. */
static int word_level(const uint8_t *w, size_t n) {
    if (n < SHORTEST_WORD || n > LONGEST_WORD) return UNKNOWN;
    char lower[LONGEST_WORD];
    for (size_t i = 0; i < n; i++) lower[i] = (char)(w[i] | 0x20); /* ASCII letters only */
    for (size_t k = 0; k < sizeof WORDS / sizeof WORDS[0]; k++)
        if (WORDS[k].len == n && WORDS[k].word[0] == lower[0] && memcmp(WORDS[k].word, lower, n) == 0)
            return WORDS[k].level;
    return UNKNOWN;
}

/* The level of the line: its first level word lying within the first SEARCHED_BYTES bytes. */
static int line_level(const uint8_t *data, size_t len) {
    size_t limit = len < SEARCHED_BYTES ? len : SEARCHED_BYTES;
    size_t i = 0;
    while (i < limit) {
        if (!is_letter(data[i])) {
            i++;
            continue;
        }
        size_t start = i;
        while (i < limit && is_letter(data[i])) i++;
        if (i == limit && limit < len && is_letter(data[limit]))
            break; /* the word runs past the searched bytes */
        int level = word_level(data + start, i - start);
        if (level != UNKNOWN) return level;
    }
    return UNKNOWN;
}

sluice_action sluice_process_line(void *stage, sluice_line *line) {
    level_stage *s = stage;
    int level = line_level(line->data, line->len);
    if (level == UNKNOWN) return s->keep_unknown ? SLUICE_KEEP : SLUICE_DROP;
    if (level < s->min) return SLUICE_DROP;
    sluice_set_field_str(line, s->field, LEVEL_NAMES[level]);
    return SLUICE_KEEP;
}
