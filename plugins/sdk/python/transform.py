"""The module componentize-py reads the exported `stage` resource from (it is named after the
WIT interface `transform`). Nothing to edit: the plugin class is chosen with
`sluice_plugin.export(MyPlugin)` in the app module."""

from sluice_plugin import Stage  # noqa: F401
