"""level: finds a line's log level, normalises it into a field, and drops the lines below a
minimum. The same plugin is written in C and JavaScript beside this folder; all three behave
identically (see ../README.md).

The level is the first word of the line (a word is a maximal run of ASCII letters) whose
lowercase form is a level name:

    trace, debug, dbg                                                    -> DEBUG
    info, information, notice                                            -> INFO
    warn, warning                                                        -> WARN
    error, err, fatal, critical, crit, panic, alert, emerg, emergency    -> ERROR

Only words lying entirely within the first 128 bytes of the line are looked at, so a long line
costs no more than a short one.
"""

import re

from sluice_plugin import ConfigError, ConfigKey, Drop, Plugin, export

SEARCHED_BYTES = 128
LEVELS = ["DEBUG", "INFO", "WARN", "ERROR"]
WORDS = {
    **dict.fromkeys([b"trace", b"debug", b"dbg"], 0),
    **dict.fromkeys([b"info", b"information", b"notice"], 1),
    **dict.fromkeys([b"warn", b"warning"], 2),
    **dict.fromkeys(
        [b"error", b"err", b"fatal", b"critical", b"crit", b"panic", b"alert", b"emerg",
         b"emergency"], 3),
}
# The searched bytes are lowercased first. Then a quick search: the leftmost place where a level
# name starts (every level word starts with one of these stems), with the letters after it.
# When that is a whole level word, it is the first one. Otherwise (a stem inside a longer word,
# such as "errors") the exact regex decides: the first whole word (not preceded or followed by
# a letter) that is a level name. Both search SEARCHED_BYTES + 1 bytes, so that a word cut by the
# limit is seen to be longer; a match reaching past the limit is ignored. (One regex with a
# lookbehind and IGNORECASE does the same in one call, but is 5 times slower in CPython.)
QUICK = re.compile(rb"(?:trace|debug|dbg|info|notice|warn|err|fatal|crit|panic|alert|emerg)[a-z]*")
EXACT = re.compile(rb"(?<![a-z])(?:" + b"|".join(WORDS) + rb")(?![a-z])")


class Level(Plugin):
    NAME = "level"
    VERSION = "0.1.0"
    SUMMARY = "Find each line's log level, set it as a normalised field, drop lines below a minimum"
    CONFIG_KEYS = [
        ConfigKey("field", "string", '"level"',
                  "The field set to the line's level: DEBUG, INFO, WARN or ERROR."),
        ConfigKey("min", "string", '"debug"',
                  "Lines whose level is below this one are dropped: debug, info, warn or error "
                  "(any case)."),
        ConfigKey("keep_unknown", "bool", "true",
                  "Whether lines without a recognisable level are kept."),
    ]
    STATE = "none"  # each line on its own

    def __init__(self, config, grants):
        self.field = config.get_str("field", "level")
        if self.field == "":
            raise ConfigError("field", "is empty; name a field")
        if "\0" in self.field:
            raise ConfigError("field", "must not contain NUL")
        choices = [name.lower() for name in LEVELS]
        self.min = choices.index(config.get_one_of("min", choices, "debug"))
        self.keep_unknown = config.get_bool("keep_unknown", True)
        self.values = [name.encode() for name in LEVELS]

    def process_line(self, line, fields):
        head = line[:SEARCHED_BYTES + 1].lower()
        match = QUICK.search(head)
        if match is None:
            return None if self.keep_unknown else Drop
        level = WORDS.get(match[0])
        at = match.start()
        if level is None or (at and 0x61 <= head[at - 1] <= 0x7A):
            match = EXACT.search(head)
            if match is None:
                return None if self.keep_unknown else Drop
            level = WORDS[match[0]]
        if match.end() > SEARCHED_BYTES:
            return None if self.keep_unknown else Drop
        if level < self.min:
            return Drop
        fields[self.field] = self.values[level]
        return None


Transform = export(Level)
