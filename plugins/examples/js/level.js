// level: finds a line's log level, normalises it into a field, and drops the lines below a
// minimum. The same plugin is written in C and Python beside this folder; all three behave
// identically (see ../README.md).
//
// The level is the first word of the line (a word is a maximal run of ASCII letters) whose
// lowercase form is a level name:
//   trace, debug, dbg                                                    -> DEBUG
//   info, information, notice                                            -> INFO
//   warn, warning                                                        -> WARN
//   error, err, fatal, critical, crit, panic, alert, emerg, emergency    -> ERROR
// Only words lying entirely within the first 128 bytes of the line are looked at, so a long
// line costs no more than a short one.

import { ConfigError, ConfigKey, DROP, Plugin, exportPlugin } from './sluice.js';

const SEARCHED_BYTES = 128;
const LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'];
const WORDS = new Map([
  ...['trace', 'debug', 'dbg'].map((w) => [w, 0]),
  ...['info', 'information', 'notice'].map((w) => [w, 1]),
  ...['warn', 'warning'].map((w) => [w, 2]),
  ...['error', 'err', 'fatal', 'critical', 'crit', 'panic', 'alert', 'emerg', 'emergency'].map(
    (w) => [w, 3],
  ),
]);
// SpiderMonkey runs interpreted inside WebAssembly (no JIT), so the work per line is kept to a
// few native calls. The searched bytes become a lowercase string, one char per byte (Latin-1):
// the regexes see bytes. First a quick search: the leftmost place where a level name starts
// (every level word starts with one of these stems), with the letters after it. When that is
// a whole level word, it is the first one. Otherwise (a stem inside a longer word, such as
// "errors") the exact regex decides: the first whole word (not preceded or followed by a
// letter) that is a level name. Both search SEARCHED_BYTES + 1 bytes, so that a word cut by the
// limit is seen to be longer; a match reaching past the limit is ignored.
const QUICK = /(?:trace|debug|dbg|info|notice|warn|err|fatal|crit|panic|alert|emerg)[a-z]*/;
const EXACT = new RegExp(`(?<![a-z])(?:${[...WORDS.keys()].join('|')})(?![a-z])`);
const encoder = new TextEncoder();

class Level extends Plugin {
  static NAME = 'level';
  static VERSION = '0.1.0';
  static SUMMARY =
    "Find each line's log level, set it as a normalised field, drop lines below a minimum";
  static CONFIG_KEYS = [
    new ConfigKey('field', 'string', '"level"',
      "The field set to the line's level: DEBUG, INFO, WARN or ERROR."),
    new ConfigKey('min', 'string', '"debug"',
      'Lines whose level is below this one are dropped: debug, info, warn or error (any case).'),
    new ConfigKey('keep_unknown', 'bool', 'true',
      'Whether lines without a recognisable level are kept.'),
  ];
  static STATE = 'none'; // each line on its own

  constructor(config, grants) {
    super(config, grants);
    this.field = config.getString('field', 'level');
    if (this.field === '') throw new ConfigError('field', 'is empty; name a field');
    if (this.field.includes('\0')) throw new ConfigError('field', 'must not contain NUL');
    const choices = LEVELS.map((name) => name.toLowerCase());
    this.min = choices.indexOf(config.getOneOf('min', choices, 'debug'));
    this.keepUnknown = config.getBool('keep_unknown', true);
    this.values = LEVELS.map((name) => encoder.encode(name));
  }

  processLine(line, fields) {
    const head = String.fromCharCode.apply(null, line.subarray(0, SEARCHED_BYTES + 1)).toLowerCase();
    let match = QUICK.exec(head);
    if (match === null) return this.keepUnknown ? undefined : DROP;
    let at = match.index;
    let word = match[0];
    const before = at === 0 ? 0 : head.charCodeAt(at - 1);
    let level = WORDS.get(word);
    if (level === undefined || (before >= 0x61 && before <= 0x7a)) {
      match = EXACT.exec(head);
      if (match === null) return this.keepUnknown ? undefined : DROP;
      at = match.index;
      word = match[0];
      level = WORDS.get(word);
    }
    if (at + word.length > SEARCHED_BYTES) return this.keepUnknown ? undefined : DROP;
    if (level < this.min) return DROP;
    fields[this.field] = this.values[level];
    return undefined;
  }
}

export const transform = exportPlugin(Level);
