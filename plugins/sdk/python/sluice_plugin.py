"""Write a sluice plugin in Python as a class.

A sluice plugin is a WebAssembly component implementing ``wit/plugin.wit`` (package
``sluice:plugin@0.7.0``, world ``plugin``). The contract is batch-oriented and flat: a batch is one
byte buffer plus offsets, and the answer says where each output line comes from. This module
does that bookkeeping, so that a plugin is a subclass of :class:`Plugin` that sees one line at a
time::

    from sluice_plugin import Plugin, ConfigKey, ConfigError, Drop, export

    class Grep(Plugin):
        NAME = "grep-out"
        VERSION = "0.1.0"
        SUMMARY = "Drop the lines that contain a word"
        CONFIG_KEYS = [ConfigKey("word", "string", doc="The word whose lines are dropped.")]

        def __init__(self, config, grants):
            self.word = config.get_str("word").encode()   # a Config is a dict with getters
            if not self.word:
                raise ConfigError("word", "is required (a string)")

        def process_line(self, line, fields):
            return Drop if self.word in line else None

    Transform = export(Grep)   # componentize-py looks for `Transform` in the app module

``process_line(line, fields)`` gets the line's bytes (no terminator; not necessarily UTF-8; NUL
possible) and a fresh ``dict`` of the fields the line already has (``str`` -> ``bytes``). It
returns ``None`` to keep the line, :data:`Drop` to drop it, or ``bytes`` (or ``str``, encoded
as UTF-8) to replace it. Changing ``fields`` sets fields on the line (values ``bytes`` or
``str``) and deleting a key removes that field.

It mirrors the Rust SDK (``plugins/sdk/rust``) without its extras. It is built with componentize-py
(see ``plugins/examples/python/build.sh``): put this module and ``transform.py`` beside it on
the path (``-p plugins/sdk/python``).

Over-long lines (longer than the host's ``--max-line-bytes``) arrive in pieces. This helper is
not boundary-safe and follows the contract's conventions for such stages: ``process_line`` is
called for the *first* piece only; its decision (keep or drop) applies to every later piece,
which passes through unchanged; fields set or removed on the first piece are applied to the
*last* piece, where a line's fields belong. A replacement replaces the first piece only. Fields
the line already has are on its last piece, so the first piece's ``fields`` does not show them.

``STATE`` says how far what the plugin keeps between lines reaches: ``"per-source"`` (the
default) makes the host create one plugin instance per input file, so state never mixes files;
``"none"`` declares that each line is handled on its own; ``"whole-stream"`` that one instance
must see every file. Lines keep their terminators (``\n``, ``\r\n``): the host restores them.

The host runs a stage on several threads (``--threads``), each thread with its own instance,
when its ``reach`` (a :class:`Reach`) says that its state is ``"none"``, or that it tallies or
carries. By default a stage's reach is ``STATE`` and it hands nothing over; a plugin overrides
the optional methods below to say more:

- ``reach()`` narrows ``STATE`` for one configuration (a stage that keeps something only when a
  key asks for it; never wider than ``STATE``), and sets ``tallies`` or ``carries``.
- ``tallies``: the state is ``"none"`` except for counts kept for an end-of-run report. At the
  end the host asks each other instance for its counts (``tally()``, bytes in the plugin's own
  encoding) and gives them to one instance (``absorb(tally)``), which then reports for every
  line.
- ``carries``: the plugin keeps a little between lines of one source (whether a block is open)
  and can say what (``carry()``, bytes) and start from it (``resume(carried)``). The host gives
  a batch to any instance, resumed with what it expects the source's previous batch to have
  left; when that guess was wrong, it runs the batch again from the right state. Worth it when
  what is carried is usually empty (``b""``).

The helper's own state between lines (an over-long line in progress) is never carried:
``resume`` starts from a line's start.

Nothing crosses the WebAssembly boundary per line: one call per batch.
"""

import json as _json
import traceback as _traceback

__all__ = [
    "Plugin", "ConfigKey", "ConfigError", "Config", "Grants", "Drop", "Reach", "export",
]

_STATES = ("none", "per-source", "whole-stream")


class ConfigError(Exception):
    """A configuration error naming the key at fault (``None`` for none)."""

    def __init__(self, key, message):
        super().__init__(message)
        self.key = key
        self.message = message


class Drop:
    """Returned by ``process_line`` (the class itself or an instance): drop the line."""


class ConfigKey:
    """One configuration key the plugin understands (shown by ``sluice inspect``).

    ``default`` is the default as JSON text (``'"debug"'``, ``"true"``), or ``None``.
    """

    def __init__(self, name, kind, default=None, doc=""):
        self.name = name
        self.kind = kind
        self.default = default
        self.doc = doc


class Reach:
    """How far a configured stage's state reaches, and what it can hand to another instance
    (what ``Plugin.reach`` returns): ``state`` is one of ``STATE``'s values, the same as
    ``STATE`` or narrower; ``tallies`` is true when ``tally`` and ``absorb`` merge the counts of
    several instances for one report; ``carries`` is true when ``carry`` and ``resume`` hand
    what the stage keeps between lines to another instance."""

    def __init__(self, state, tallies=False, carries=False):
        self.state = state
        self.tallies = tallies
        self.carries = carries


class Grants:
    """What the host grants the stage: ``env`` (dict of the environment variables listed under
    the config's ``env`` key), ``report`` (where reports go, or ``None``), ``max_line_bytes``
    and ``boundary_overlap``."""

    def __init__(self, env, report, max_line_bytes, boundary_overlap):
        self.env = env
        self.report = report
        self.max_line_bytes = max_line_bytes
        self.boundary_overlap = boundary_overlap


def _kind(value):
    """How a JSON value's type reads in a message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _quote(text):
    """``text`` as a JSON string, as the other helpers quote values in messages."""
    return _json.dumps(text, ensure_ascii=False)


class Config(dict):
    """The stage's configuration: the JSON object as a ``dict``, with typed getters whose errors
    name the key. Each returns ``default`` when the key is absent."""

    def get_str(self, key, default=None):
        value = self.get(key, default)
        if key in self and not isinstance(value, str):
            raise ConfigError(key, f"expected a string, got {_kind(value)}")
        return value

    def get_bool(self, key, default=None):
        value = self.get(key, default)
        if key in self and not isinstance(value, bool):
            raise ConfigError(key, f"expected true or false, got {_kind(value)}")
        return value

    def get_number(self, key, default=None):
        value = self.get(key, default)
        if key in self and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ConfigError(key, f"expected a number, got {_kind(value)}")
        return value

    def get_one_of(self, key, choices, default=None):
        """A string that must be one of ``choices`` (ASCII case ignored); returns the choice as
        written in ``choices``."""
        expected = "expected one of: " + ", ".join(choices)
        if key not in self:
            return default
        value = self[key]
        if not isinstance(value, str):
            raise ConfigError(key, f"expected a string, got {_kind(value)}; {expected}")
        lowered = _ascii_lower(value)
        for choice in choices:
            if _ascii_lower(choice) == lowered:
                return choice
        raise ConfigError(key, f"unknown value {_quote(value)}; {expected}")


def _ascii_lower(text):
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


class Plugin:
    """Subclass it: set the constants, implement ``__init__`` and ``process_line``."""

    NAME = "unnamed"
    VERSION = "0.0.0"
    SUMMARY = "A sluice plugin"
    #: The configuration keys (``ConfigKey``); any other key is rejected before ``__init__``.
    CONFIG_KEYS = []
    #: How far the plugin's state reaches: ``"per-source"`` (one instance per input file),
    #: ``"none"`` (each line on its own) or ``"whole-stream"`` (one instance sees every file).
    STATE = "per-source"

    def __init__(self, config, grants):
        """Validate ``config`` (a :class:`Config`) and set up; raise :class:`ConfigError`."""

    def process_line(self, line, fields):
        """Return ``None`` (keep), :data:`Drop`, or new ``bytes``/``str``; edit ``fields``."""
        return None

    def finish(self):
        """End of stream: return trailing lines (an iterable of ``bytes``/``str``) or ``None``."""
        return None

    def reach(self):
        """How far this configured stage's state reaches, and what it can hand to another
        instance: a :class:`Reach`. Called once, right after ``__init__``; an exception fails
        the stage's creation as one in ``__init__`` does. Default: ``Reach(STATE)``, nothing
        handed over."""
        return Reach(self.STATE)

    def tally(self):
        """What this instance counted for its end-of-run report (``bytes`` or ``str``, in the
        plugin's own encoding), which it then forgets, so that its own report no longer counts
        it. Asked at the end of the stream, before ``finish``, when ``reach`` says ``tallies``.
        It cannot fail: an exception is a trap, which ends the run. Default: ``b""``."""
        return b""

    def absorb(self, tally):
        """Adds what another instance of the same configuration gave in ``tally`` (``bytes``),
        so that this instance's report covers it too; an exception is an error, as in
        ``process_line``. Default: ignores it."""

    def carry(self):
        """What this instance keeps between lines after its latest batch (``bytes`` or ``str``,
        in the plugin's own encoding): ``b""`` when it keeps nothing, as at the start of a
        source. Asked after a batch when ``reach`` says ``carries``, never in the middle of an
        over-long line. It cannot fail: an exception is a trap, which ends the run. Default:
        ``b""``."""
        return b""

    def resume(self, carried):
        """Starts the next batch from ``carried`` (``bytes``), what ``carry`` gave on an
        instance of the same configuration (``b""``: the start of a source), in place of what
        this instance kept; an exception is an error, as in ``process_line``. Default: ignores
        it."""


_plugin_class = None


def _edit_distance(a, b):
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        diag, row[0] = row[0], i
        for j in range(1, len(b) + 1):
            up = row[j]
            row[j] = min(diag + (a[i - 1] != b[j - 1]), up + 1, row[j - 1] + 1)
            diag = up
    return row[len(b)]


def _unknown_key(key, known):
    if not known:
        return ConfigError(key, "unknown key; this plugin takes no configuration")
    close = [(_edit_distance(key, k), k) for k in known]
    close = [(d, k) for d, k in close if d <= max(len(k) // 3, 1)]
    hint = f"did you mean {_quote(min(close)[1])}? " if close else ""
    return ConfigError(key, f"unknown key; {hint}known keys: {', '.join(known)}")


def _parse_config(text, cls):
    if not text.strip():
        return Config()
    try:
        value = _json.loads(text)
    except ValueError as e:
        raise ConfigError(None, f"the configuration is not valid JSON: {e}") from None
    if not isinstance(value, dict):
        raise ConfigError(None, f"the configuration must be a JSON object, got {_kind(value)}")
    known = [k.name for k in cls.CONFIG_KEYS]
    for key in value:
        if key not in known:
            raise _unknown_key(key, known)
    return Config(value)


def _as_bytes(value, what):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{what} must be bytes or str, not {type(value).__name__}")


def export(cls):
    """Makes ``cls`` (a :class:`Plugin` subclass) the plugin; returns the ``Transform`` class
    that componentize-py expects in the app module: write ``Transform = export(MyPlugin)``."""
    global _plugin_class
    _plugin_class = cls
    from wit_world import exports
    from wit_world.imports import types

    states = _wit_states()
    if cls.STATE not in states:
        raise ValueError(f"{cls.__name__}.STATE must be one of {', '.join(states)}, "
                         f"not {cls.STATE!r}")

    class Transform(exports.Transform):
        def describe(self):
            return types.Info(
                cls.NAME, cls.VERSION, cls.SUMMARY,
                [types.ConfigKey(k.name, k.kind, k.default, k.doc) for k in cls.CONFIG_KEYS],
                False, states[cls.STATE],
            )

        def last_error(self, max_bytes):
            key, message = _last_error
            return types.Error(
                None if key is None else _cut(key, max_bytes), _cut(message, max_bytes),
            )

    return Transform


def _wit_states():
    """The values of ``STATE`` and ``Reach.state``, and the contract's states they stand for."""
    from wit_world.imports import types

    return dict(zip(_STATES,
                    (types.State.NONE, types.State.PER_SOURCE, types.State.WHOLE_STREAM)))


def _wit_reach(plugin):
    """The plugin's ``reach()`` as the contract's ``reach``; raises when it is not a Reach."""
    from wit_world.imports import types

    reach = plugin.reach()
    if not isinstance(reach, Reach):
        raise TypeError(f"reach() must return a Reach, not {type(reach).__name__}")
    state = _wit_states().get(reach.state)
    if state is None:
        raise ValueError(f"the state reach() returns must be one of {', '.join(_STATES)}, "
                         f"not {reach.state!r}")
    return types.Reach(state, bool(reach.tallies), bool(reach.carries))


# The key and message of the latest call that failed, kept for `last-error`.
_last_error = (None, "")


def _failed(key, message):
    """Keeps ``key`` and ``message`` for ``last-error``; the ``Err`` a failed call raises."""
    global _last_error
    from componentize_py_types import Err
    from wit_world.imports import types

    _last_error = (key, message)
    return Err(types.Failed(len(message.encode())))


def _cut(text, max_bytes):
    """The start of ``text``, at most ``max_bytes`` bytes of UTF-8, on a character boundary."""
    return text.encode()[:max_bytes].decode("utf-8", "ignore")


def _error_text(e):
    """An exception as one line: its type, message and where it was raised."""
    frames = _traceback.extract_tb(e.__traceback__)
    where = f" (at {frames[-1].name}, line {frames[-1].lineno})" if frames else ""
    return f"{type(e).__name__}: {e}{where}".replace("\n", " ")


class Stage:
    """The exported ``stage`` resource: holds the plugin instance. Used through transform.py."""

    @classmethod
    def create(cls, config, grants):
        try:
            conf = _parse_config(config, _plugin_class)
            plugin = _plugin_class(
                conf,
                Grants(dict(grants.env), grants.report, grants.max_line_bytes,
                       grants.boundary_overlap),
            )
            # Asked now, so that an error in it fails the creation (`reach` cannot fail).
            reach = _wit_reach(plugin)
        except ConfigError as e:
            raise _failed(e.key, str(e.message).replace("\n", " ")) from None
        except Exception as e:  # never trap: a bug in __init__ is reported as an error
            raise _failed(None, _error_text(e)) from None
        stage = cls()
        stage._plugin = plugin
        stage._reach = reach
        # An over-long line being passed on piece by piece: None, or (keep, changes), where
        # changes is the first piece's field changes ({key: bytes or None}) for the last piece.
        stage._long = None
        return stage

    def process(self, batch):
        try:
            return self._process(batch)
        except Exception as e:
            raise _failed(None, f"{_plugin_class.NAME}: {_error_text(e)}") from None

    def _process(self, batch):
        from wit_world.imports import types

        process_line = self._plugin.process_line
        data = batch.data
        ends = batch.ends
        partial = set(batch.partial)
        table = batch.fields
        f_lines = table.line
        n_fields = len(f_lines)
        fi = 0
        source = []
        rewritten = []
        out_data = bytearray()
        out_ends = []
        removed = []
        names = []
        name_index = {}
        o_line, o_name, o_values, o_ends = [], [], bytearray(), []

        def apply(j, changes):
            for key, value in changes.items():
                if value is None:
                    removed.append((j, key))
                    continue
                idx = name_index.get(key)
                if idx is None:
                    idx = name_index[key] = len(names)
                    names.append(key)
                o_line.append(j)
                o_name.append(idx)
                o_values.extend(value)
                o_ends.append(len(o_values))

        start = 0
        for i, end in enumerate(ends):
            line = data[start:end]
            start = end
            # This line's fields from earlier stages.
            original = None
            while fi < n_fields and f_lines[fi] < i:
                fi += 1
            if fi < n_fields and f_lines[fi] == i:
                original = {}
                value_ends = table.value_ends
                while fi < n_fields and f_lines[fi] == i:
                    v_start = value_ends[fi - 1] if fi else 0
                    original[table.names[table.name[fi]]] = table.values[v_start:value_ends[fi]]
                    fi += 1
            is_partial = i in partial if partial else False

            if self._long is not None:
                # A later piece of an over-long line: the first piece's decision holds.
                keep, changes = self._long
                if keep:
                    j = len(source)
                    source.append(i)
                    if not is_partial and changes:
                        apply(j, changes)
                if not is_partial:
                    self._long = None
                continue

            fields = dict(original) if original else {}
            result = process_line(line, fields)
            if result is Drop or isinstance(result, Drop):
                if is_partial:
                    self._long = (False, None)
                continue
            j = len(source)
            source.append(i)
            if result is not None:
                rewritten.append(j)
                out_data += _as_bytes(result, "the value process_line returns")
                out_ends.append(len(out_data))
            changes = None
            if fields or original:
                changes = {}
                for key, value in fields.items():
                    if not isinstance(key, str):
                        raise TypeError(f"a field name must be a str, not {type(key).__name__}")
                    value = _as_bytes(value, f"the value of field {key!r}")
                    if original is None or original.get(key) != value:
                        changes[key] = value
                if original:
                    for key in original:
                        if key not in fields:
                            changes[key] = None
            if is_partial:
                self._long = (True, changes)
            elif changes:
                apply(j, changes)

        return types.Output(
            source, rewritten, bytes(out_data), out_ends, [], removed,
            types.Fields(names, o_line, o_name, bytes(o_values), o_ends, []), [], [], None,
        )

    def tick(self):
        from wit_world.imports import types

        return types.Emitted(b"", [], types.Fields([], [], [], b"", [], []), [], [], [], None, None)

    def finish(self):
        from wit_world.imports import types

        try:
            lines = self._plugin.finish() or []
            data = bytearray()
            ends = []
            for line in lines:
                data += _as_bytes(line, "a line finish returns")
                ends.append(len(data))
        except Exception as e:
            raise _failed(None, f"{_plugin_class.NAME}: {_error_text(e)}") from None
        empty = types.Fields([], [], [], b"", [], [])
        return types.Emitted(bytes(data), ends, empty, [], [], [], None, None)

    def reach(self):
        return self._reach

    def tally(self):
        return _as_bytes(self._plugin.tally() or b"", "what tally returns")

    def absorb(self, tally):
        try:
            self._plugin.absorb(tally)
        except Exception as e:
            raise _failed(None, f"{_plugin_class.NAME}: {_error_text(e)}") from None

    def carry(self):
        return _as_bytes(self._plugin.carry() or b"", "what carry returns")

    def resume(self, carried):
        # The next batch starts a line: no over-long line is in progress.
        self._long = None
        try:
            self._plugin.resume(carried)
        except Exception as e:
            raise _failed(None, f"{_plugin_class.NAME}: {_error_text(e)}") from None
