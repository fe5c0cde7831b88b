"""{{name}}: a sluice plugin. It puts `prefix` in front of every line.

Start here: ``process_line`` sees one line at a time (bytes, without its terminator) and
returns ``None`` to keep it, ``Drop`` to drop it, or new bytes. ``sluice_plugin`` (the helper)
does the batching and the contract's bookkeeping; its docstring documents the rest.
"""

from sluice_plugin import ConfigError, ConfigKey, Plugin, export


class Prefix(Plugin):
    NAME = "{{name}}"
    VERSION = "0.1.0"
    SUMMARY = "Put a prefix in front of every line"
    CONFIG_KEYS = [
        ConfigKey("prefix", "string", '"> "', "What to put in front of each line."),
    ]
    # Each line on its own. Leave it out (per source: one instance per input file) when the
    # plugin keeps something between lines.
    STATE = "none"

    def __init__(self, config, grants):
        prefix = config.get_str("prefix", "> ")
        if "\0" in prefix:
            raise ConfigError("prefix", "must not contain NUL")
        self.prefix = prefix.encode()

    def process_line(self, line, fields):
        # For an over-long line this is called for its first piece only: the prefix goes in
        # front of the line once, and the other pieces pass through.
        return self.prefix + line


# componentize-py builds the component from the `Transform` class of this module.
Transform = export(Prefix)
