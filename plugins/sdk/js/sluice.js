// sluice.js: write a sluice plugin in JavaScript as a class.
//
// A sluice plugin is a WebAssembly component implementing wit/plugin.wit (package
// sluice:plugin@0.7.0, world `plugin`). The contract is batch-oriented and flat: a batch is one
// byte buffer plus offsets, and the answer says where each output line comes from. This module
// does that bookkeeping, so that a plugin is a subclass of `Plugin` that sees one line at a time:
//
//     import { Plugin, ConfigKey, ConfigError, DROP, exportPlugin } from './sluice.js';
//
//     class Grep extends Plugin {
//       static NAME = 'grep-out';
//       static VERSION = '0.1.0';
//       static SUMMARY = 'Drop the lines that contain a word';
//       static CONFIG_KEYS = [new ConfigKey('word', 'string', null, 'The word to drop.')];
//
//       constructor(config, grants) {
//         super(config, grants);
//         this.word = config.getString('word', '');
//         if (!this.word) throw new ConfigError('word', 'is required (a string)');
//       }
//
//       processLine(line, fields) {
//         return latin1(line).includes(this.word) ? DROP : undefined;
//       }
//     }
//
//     export const transform = exportPlugin(Grep);   // what componentize-js exports
//
// processLine(line, fields) gets the line's bytes as a Uint8Array (no terminator; not
// necessarily UTF-8; NUL possible; a view into the batch, valid during the call: copy it to
// keep it) and a fresh object of the fields the line already has (name -> Uint8Array). It
// returns undefined (or null) to keep the line, DROP to drop it, or a Uint8Array (or a string,
// encoded as UTF-8) to replace it. Setting a property of `fields` sets that field on the line
// (a Uint8Array or a string) and deleting one removes that field.
//
// It mirrors the Rust SDK (plugins/sdk/rust) without its extras. Build it with componentize-js
// (see plugins/examples/js/build.mjs).
//
// Over-long lines (longer than the host's --max-line-bytes) arrive in pieces. This helper is
// not boundary-safe and follows the contract's conventions for such stages: processLine is
// called for the *first* piece only; its decision (keep or drop) applies to every later piece,
// which passes through unchanged; fields set or removed on the first piece are applied to the
// *last* piece, where a line's fields belong. A replacement replaces the first piece only.
// Fields the line already has are on its last piece, so the first piece's `fields` does not
// show them.
//
// `static STATE` says how far what the plugin keeps between lines reaches: 'per-source' (the
// default) makes the host create one plugin instance per input file, so state never mixes
// files; 'none' declares that each line is handled on its own; 'whole-stream' that one instance
// must see every file. Lines keep their terminators (\n, \r\n): the host restores them.
//
// The host runs a stage on several threads (--threads), each thread with its own instance, when
// its reach says that its state is 'none', or that it tallies or carries. By default a stage's
// reach is its STATE and it hands nothing over; a plugin overrides the optional methods of
// `Plugin` to say more:
//
// - reach() narrows STATE for one configuration (a stage that keeps something only when a key
//   asks for it; never wider than STATE), and sets `tallies` or `carries`.
// - tallies: the state is 'none' except for counts kept for an end-of-run report. At the end
//   the host asks each other instance for its counts (tally(), bytes in the plugin's own
//   encoding) and gives them to one instance (absorb(tally)), which then reports for every
//   line.
// - carries: the plugin keeps a little between lines of one source (whether a block is open)
//   and can say what (carry(), bytes) and start from it (resume(carried)). The host gives a
//   batch to any instance, resumed with what it expects the source's previous batch to have
//   left; when that guess was wrong, it runs the batch again from the right state. Worth it
//   when what is carried is usually empty.
//
// The helper's own state between lines (an over-long line in progress) is never carried:
// resume starts from a line's start.
//
// Nothing crosses the WebAssembly boundary per line: one call per batch.

/** Returned by processLine: drop the line. */
export const DROP = Symbol('sluice.DROP');

/** A configuration error naming the key at fault (null for none). */
export class ConfigError extends Error {
  constructor(key, message) {
    super(message);
    this.key = key;
  }
}

/** One configuration key the plugin understands (shown by `sluice inspect`); `defaultJson` is
 * its default as JSON text ('"debug"', 'true'), or null. */
export class ConfigKey {
  constructor(name, kind, defaultJson, doc) {
    this.name = name;
    this.kind = kind;
    this.defaultJson = defaultJson ?? null;
    this.doc = doc ?? '';
  }
}

/** How a JSON value's type reads in a message. */
function kind(value) {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return 'a boolean';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'string') return 'a string';
  if (Array.isArray(value)) return 'a list';
  return 'an object';
}

const asciiLower = (s) => s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

/** The stage's configuration: `values` is the JSON object; the getters' errors name the key.
 * Each getter returns `def` when the key is absent. */
export class Config {
  constructor(values) {
    this.values = values;
  }
  has(key) {
    return hasOwn(this.values, key);
  }
  get(key, def) {
    return this.has(key) ? this.values[key] : def;
  }
  getString(key, def) {
    const value = this.get(key, def);
    if (this.has(key) && typeof value !== 'string') {
      throw new ConfigError(key, `expected a string, got ${kind(value)}`);
    }
    return value;
  }
  getBool(key, def) {
    const value = this.get(key, def);
    if (this.has(key) && typeof value !== 'boolean') {
      throw new ConfigError(key, `expected true or false, got ${kind(value)}`);
    }
    return value;
  }
  getNumber(key, def) {
    const value = this.get(key, def);
    if (this.has(key) && typeof value !== 'number') {
      throw new ConfigError(key, `expected a number, got ${kind(value)}`);
    }
    return value;
  }
  /** A string that must be one of `choices` (ASCII case ignored); returns the choice as
   * written in `choices`. */
  getOneOf(key, choices, def) {
    if (!this.has(key)) return def;
    const value = this.values[key];
    const expected = `expected one of: ${choices.join(', ')}`;
    if (typeof value !== 'string') {
      throw new ConfigError(key, `expected a string, got ${kind(value)}; ${expected}`);
    }
    const lowered = asciiLower(value);
    const found = choices.find((c) => asciiLower(c) === lowered);
    if (found === undefined) {
      throw new ConfigError(key, `unknown value ${JSON.stringify(value)}; ${expected}`);
    }
    return found;
  }
}

/** Subclass it: set the static constants, implement the constructor and processLine. */
export class Plugin {
  static NAME = 'unnamed';
  static VERSION = '0.0.0';
  static SUMMARY = 'A sluice plugin';
  /** The configuration keys (ConfigKey); any other key is rejected before the constructor. */
  static CONFIG_KEYS = [];
  /** How far the plugin's state reaches: 'per-source' (one instance per input file), 'none'
   * (each line on its own) or 'whole-stream' (one instance sees every file). */
  static STATE = 'per-source';

  /** Validate `config` (a Config) and set up; throw ConfigError. `grants` has env (a Map),
   * report (or undefined), maxLineBytes and boundaryOverlap. */
  constructor(config, grants) {}

  /** Return undefined (keep), DROP, or new bytes (Uint8Array or string); edit `fields`. */
  processLine(line, fields) {
    return undefined;
  }

  /** End of stream: return trailing lines (an iterable of Uint8Array or string) or undefined. */
  finish() {
    return undefined;
  }

  /** How far this configured stage's state reaches, and what it can hand to another instance:
   * `{ state, tallies, carries }`, where `state` is one of STATE's values, the same as STATE or
   * narrower, and `tallies` and `carries` (false when left out) say whether tally and absorb,
   * or carry and resume, hand over what the stage keeps. Called once, right after the
   * constructor; an exception fails the stage's creation as one in the constructor does.
   * Default: STATE, nothing handed over. */
  reach() {
    return { state: this.constructor.STATE, tallies: false, carries: false };
  }

  /** What this instance counted for its end-of-run report (a Uint8Array or a string, in the
   * plugin's own encoding), which it then forgets, so that its own report no longer counts it.
   * Asked at the end of the stream, before finish, when reach says `tallies`. It cannot fail:
   * an exception is a trap, which ends the run. Default: nothing. */
  tally() {
    return new Uint8Array(0);
  }

  /** Adds what another instance of the same configuration gave in tally (a Uint8Array), so
   * that this instance's report covers it too; an exception is an error, as in processLine.
   * Default: ignores it. */
  absorb(tally) {}

  /** What this instance keeps between lines after its latest batch (a Uint8Array or a string,
   * in the plugin's own encoding): empty when it keeps nothing, as at the start of a source.
   * Asked after a batch when reach says `carries`, never in the middle of an over-long line. It
   * cannot fail: an exception is a trap, which ends the run. Default: nothing. */
  carry() {
    return new Uint8Array(0);
  }

  /** Starts the next batch from `carried` (a Uint8Array), what carry gave on an instance of the
   * same configuration (empty: the start of a source), in place of what this instance kept; an
   * exception is an error, as in processLine. Default: ignores it. */
  resume(carried) {}
}

/** The line's bytes as a string of the same length, one char per byte (Latin-1), for regexes
 * and comparisons: not a UTF-8 decoding. */
export function latin1(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
  }
  return s;
}

const encoder = new TextEncoder();

/** A field's value (`key`) or a replacement (`key` null) as bytes. */
function asBytes(value, key) {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return encoder.encode(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  const what = key === null ? 'the value processLine returns' : `the value of field ${JSON.stringify(key)}`;
  throw new TypeError(`${what} must be a Uint8Array or a string, not ${typeof value}`);
}

/** What tally or carry (`method`) returned, as bytes: none for undefined or null. */
function handedOver(value, method) {
  if (value === undefined || value === null) return new Uint8Array(0);
  if (typeof value === 'string' || ArrayBuffer.isView(value)) return asBytes(value, null);
  throw new TypeError(
    `what ${method} returns must be a Uint8Array or a string, not ${typeof value}`);
}

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function editDistance(a, b) {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = Math.min(diag + (a[i - 1] === b[j - 1] ? 0 : 1), up + 1, row[j - 1] + 1);
      diag = up;
    }
  }
  return row[b.length];
}

function unknownKey(key, known) {
  if (known.length === 0) return new ConfigError(key, 'unknown key; this plugin takes no configuration');
  let best = null;
  for (const k of known) {
    const d = editDistance(key, k);
    if (d > Math.max(Math.floor(k.length / 3), 1)) continue;
    if (best === null || d < best[0] || (d === best[0] && k < best[1])) best = [d, k];
  }
  const hint = best ? `did you mean ${JSON.stringify(best[1])}? ` : '';
  return new ConfigError(key, `unknown key; ${hint}known keys: ${known.join(', ')}`);
}

function parseConfig(text, cls) {
  if (text.trim() === '') return new Config({});
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(null, `the configuration is not valid JSON: ${e.message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(null, `the configuration must be a JSON object, got ${kind(value)}`);
  }
  const known = cls.CONFIG_KEYS.map((k) => k.name);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw unknownKey(key, known);
  }
  return new Config(value);
}

/** An exception as one line: its type and message. */
function errorText(e) {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return text.replace(/[\r\n]+/g, ' ');
}

/** A growable byte buffer. */
class Bytes {
  constructor() {
    this.buf = new Uint8Array(4096);
    this.len = 0;
  }
  push(bytes) {
    const need = this.len + bytes.length;
    if (need > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < need) cap *= 2;
      const grown = new Uint8Array(cap);
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(bytes, this.len);
    this.len = need;
  }
  take() {
    const out = this.buf.slice(0, this.len);
    this.len = 0;
    return out;
  }
}

/** The output of one batch being built. */
class Out {
  constructor(data, values) {
    this.rewritten = [];
    this.data = data;
    this.ends = [];
    this.removed = [];
    this.names = [];
    this.nameIndex = new Map();
    this.line = [];
    this.name = [];
    this.values = values;
    this.valueEnds = [];
  }
  rewrite(j, bytes) {
    this.rewritten.push(j);
    this.data.push(asBytes(bytes, null));
    this.ends.push(this.data.len);
  }
  /** Applies field changes ([key, bytes or null, ...]) to output line `j`. */
  apply(j, changes) {
    const values = this.values;
    for (let k = 0; k < changes.length; k += 2) {
      const key = changes[k];
      const value = changes[k + 1];
      if (value === null) {
        this.removed.push([j, key]);
        continue;
      }
      let idx = this.nameIndex.get(key);
      if (idx === undefined) {
        idx = this.names.length;
        this.nameIndex.set(key, idx);
        this.names.push(key);
      }
      this.line.push(j);
      this.name.push(idx);
      values.push(value);
      this.valueEnds.push(values.len);
    }
  }
  finish(source) {
    return {
      source,
      rewritten: new Uint32Array(this.rewritten),
      data: this.data.take(),
      ends: new Uint32Array(this.ends),
      detached: new Uint32Array(0),
      removed: this.removed,
      fields: {
        names: this.names,
        line: new Uint32Array(this.line),
        name: new Uint32Array(this.name),
        values: this.values.take(),
        valueEnds: new Uint32Array(this.valueEnds),
        kinds: [],
      },
      timestamps: [],
      terminators: [],
      wake: undefined,
    };
  }
}

/** The fields line `i` has, from entry `fi` of the batch's table on: name -> bytes. */
function lineFields(table, i, fi) {
  const fLines = table.line;
  const valueEnds = table.valueEnds;
  const fields = {};
  for (; fi < fLines.length && fLines[fi] === i; fi++) {
    const vStart = fi ? valueEnds[fi - 1] : 0;
    fields[table.names[table.name[fi]]] = table.values.subarray(vStart, valueEnds[fi]);
  }
  return fields;
}

/** What processLine changed in `fields` (whose own keys are `keys`; it started as `original`,
 * or empty when null), as a flat [key, bytes or null (removed), ...] list, or null for
 * nothing. */
function fieldChanges(fields, keys, original, copy) {
  let changes = null;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k];
    const value = asBytes(fields[key], key);
    if (original === null || !hasOwn(original, key) || !sameBytes(original[key], value)) {
      if (changes === null) changes = [];
      changes.push(key, copy ? value.slice() : value);
    }
  }
  if (original !== null) {
    for (const key in original) {
      if (!hasOwn(fields, key)) {
        if (changes === null) changes = [];
        changes.push(key, null);
      }
    }
  }
  return changes;
}

const emptyFields = () => ({
  names: [], line: new Uint32Array(0), name: new Uint32Array(0), values: new Uint8Array(0),
  valueEnds: new Uint32Array(0),
  kinds: [],
});

/**
 * Makes `cls` (a Plugin subclass) the plugin; returns the `transform` interface object that
 * componentize-js exports: write `export const transform = exportPlugin(MyPlugin);`.
 */
// The key and message of the latest call that failed, kept for `last-error`.
let lastError = { key: undefined, message: '' };

/** Keeps `key` and `message` for `last-error`; what a failed call throws. */
function failed(key, message) {
  lastError = { key, message };
  return { messageBytes: BigInt(encoder.encode(message).length) };
}

/** The start of `text`, at most `maxBytes` bytes of UTF-8, on a character boundary. */
function cut(text, maxBytes) {
  const bytes = encoder.encode(text);
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}

const STATES = ['none', 'per-source', 'whole-stream'];

/** The plugin's reach() as the contract's `reach`; throws when its state is not a state. */
function reachOf(plugin) {
  const reach = plugin.reach();
  if (reach === null || typeof reach !== 'object') {
    throw new TypeError(`reach() must return { state, tallies, carries }, not ${reach}`);
  }
  if (!STATES.includes(reach.state)) {
    throw new TypeError(
      `the state reach() returns must be one of ${STATES.join(', ')}, not ${reach.state}`);
  }
  return { state: reach.state, tallies: Boolean(reach.tallies), carries: Boolean(reach.carries) };
}

export function exportPlugin(cls) {
  const name = cls.NAME;
  if (!STATES.includes(cls.STATE)) {
    throw new Error(`${cls.name}.STATE must be one of ${STATES.join(', ')}, not ${cls.STATE}`);
  }

  class Stage {
    static create(config, grants) {
      let plugin;
      let reach;
      try {
        const conf = parseConfig(config, cls);
        plugin = new cls(conf, {
          env: new Map(grants.env),
          report: grants.report,
          maxLineBytes: grants.maxLineBytes,
          boundaryOverlap: grants.boundaryOverlap,
        });
        // Asked now, so that an error in it fails the creation (`reach` cannot fail).
        reach = reachOf(plugin);
      } catch (e) {
        // Never trap: a bug in the constructor is reported as a configuration error too.
        if (e instanceof ConfigError) {
          throw failed(e.key ?? undefined, String(e.message).replace(/[\r\n]+/g, ' '));
        }
        throw failed(undefined, errorText(e));
      }
      return new Stage(plugin, reach);
    }

    constructor(plugin, reach) {
      this.plugin = plugin;
      this.reached = reach;
      // An over-long line being passed on piece by piece: null, or {keep, changes}, where
      // changes is the first piece's field changes (name -> bytes, or null to remove).
      this.long = null;
      this.data = new Bytes();
      this.values = new Bytes();
    }

    process(batch) {
      try {
        return this.processBatch(batch);
      } catch (e) {
        throw failed(undefined, `${name}: ${errorText(e)}`);
      }
    }

    processBatch(batch) {
      // The engine runs interpreted (SpiderMonkey has no JIT inside WebAssembly) and without
      // inline caches, so every property read and call costs a lookup: the per-line path keeps
      // what it needs in locals, and touches the output tables only for lines whose fields
      // change.
      const plugin = this.plugin;
      const drop = DROP;
      const data = batch.data;
      const ends = batch.ends;
      const partial = batch.partial;
      const nPartial = partial.length;
      const table = batch.fields;
      const fLines = table.line;
      const nFields = fLines.length;
      const n = ends.length;
      const out = new Out(this.data, this.values);
      const source = new Uint32Array(n);
      let long = this.long;
      let fi = 0;
      let pi = 0;
      let j = 0;
      let start = 0;
      for (let i = 0; i < n; i++) {
        const end = ends[i];
        // This line's fields from earlier stages.
        let original = null;
        if (fi < nFields) {
          while (fi < nFields && fLines[fi] < i) fi++;
          if (fi < nFields && fLines[fi] === i) original = lineFields(table, i, fi);
          while (fi < nFields && fLines[fi] === i) fi++;
        }
        let isPartial = false;
        if (pi < nPartial) {
          while (pi < nPartial && partial[pi] < i) pi++;
          isPartial = pi < nPartial && partial[pi] === i;
        }

        if (long !== null) {
          // A later piece of an over-long line: the first piece's decision holds.
          if (long.keep) {
            if (!isPartial && long.changes !== null) out.apply(j, long.changes);
            source[j++] = i;
          }
          if (!isPartial) long = null;
          start = end;
          continue;
        }

        const fields = original === null ? {} : Object.assign({}, original);
        const result = plugin.processLine(data.subarray(start, end), fields);
        start = end;
        if (result === drop) {
          if (isPartial) long = { keep: false, changes: null };
          continue;
        }
        if (result !== undefined && result !== null) out.rewrite(j, result);
        const keys = Object.keys(fields);
        const changes =
          keys.length === 0 && original === null
            ? null
            : fieldChanges(fields, keys, original, isPartial);
        if (isPartial) {
          long = { keep: true, changes };
        } else if (changes !== null) {
          out.apply(j, changes);
        }
        source[j++] = i;
      }
      this.long = long;
      return out.finish(source.subarray(0, j));
    }

    tick() {
      return { data: new Uint8Array(0), ends: new Uint32Array(0), fields: emptyFields(),
        timestamps: [], terminators: [], sources: [], report: undefined, wake: undefined };
    }

    finish() {
      const out = new Bytes();
      const ends = [];
      try {
        for (const line of this.plugin.finish() ?? []) {
          out.push(asBytes(line, null));
          ends.push(out.len);
        }
      } catch (e) {
        throw failed(undefined, `${name}: ${errorText(e)}`);
      }
      return { data: out.take(), ends: new Uint32Array(ends), fields: emptyFields(),
        timestamps: [], terminators: [], sources: [], report: undefined, wake: undefined };
    }

    reach() {
      return this.reached;
    }

    tally() {
      return handedOver(this.plugin.tally(), 'tally');
    }

    absorb(tally) {
      try {
        this.plugin.absorb(tally);
      } catch (e) {
        throw failed(undefined, `${name}: ${errorText(e)}`);
      }
    }

    carry() {
      return handedOver(this.plugin.carry(), 'carry');
    }

    resume(carried) {
      // The next batch starts a line: no over-long line is in progress.
      this.long = null;
      try {
        this.plugin.resume(carried);
      } catch (e) {
        throw failed(undefined, `${name}: ${errorText(e)}`);
      }
    }
  }

  return {
    describe() {
      return {
        name: cls.NAME,
        version: cls.VERSION,
        summary: cls.SUMMARY,
        configKeys: cls.CONFIG_KEYS.map((k) => ({
          name: k.name, kind: k.kind, default: k.defaultJson ?? undefined, doc: k.doc,
        })),
        boundarySafe: false,
        state: cls.STATE,
      };
    },
    lastError(maxBytes) {
      const { key, message } = lastError;
      return { key: key === undefined ? undefined : cut(key, maxBytes), message: cut(message, maxBytes) };
    },
    Stage,
  };
}
