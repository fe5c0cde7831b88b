// {{name}}: a sluice plugin. It puts `prefix` in front of every line.
//
// Start here: processLine sees one line at a time (a Uint8Array, without its terminator) and
// returns undefined to keep it, DROP to drop it, or new bytes. sluice.js (the helper) does
// the batching and the contract's bookkeeping; its top comment documents the rest.

import { ConfigError, ConfigKey, Plugin, exportPlugin } from './sluice.js';

class Prefix extends Plugin {
  static NAME = '{{name}}';
  static VERSION = '0.1.0';
  static SUMMARY = 'Put a prefix in front of every line';
  static CONFIG_KEYS = [
    new ConfigKey('prefix', 'string', '"> "', 'What to put in front of each line.'),
  ];
  // Each line on its own. Leave it out (per source: one instance per input file) when the
  // plugin keeps something between lines.
  static STATE = 'none';

  constructor(config, grants) {
    super(config, grants);
    const prefix = config.getString('prefix', '> ');
    if (prefix.includes('\0')) throw new ConfigError('prefix', 'must not contain NUL');
    this.prefix = new TextEncoder().encode(prefix);
  }

  processLine(line, fields) {
    // For an over-long line this is called for its first piece only: the prefix goes in
    // front of the line once, and the other pieces pass through.
    const out = new Uint8Array(this.prefix.length + line.length);
    out.set(this.prefix, 0);
    out.set(line, this.prefix.length);
    return out;
  }
}

// componentize-js builds the component from the `transform` export of this module.
export const transform = exportPlugin(Prefix);
