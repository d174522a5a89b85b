"""Exception types raised by gridpoints."""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "DefaultCoefficientWarning",
    "GridpointsError",
    "LedgerError",
    "NotFoundError",
    "PluginError",
    "ReviewError",
    "RuleFileError",
    "RuleSetConflictError",
    "StoreBusyError",
    "StoreError",
    "StoreSettingsError",
    "StoreUnavailableError",
]


class GridpointsError(Exception):
    """Base class of every error gridpoints raises on purpose."""


class ConfigurationError(GridpointsError):
    """The engine cannot be built: unknown rule set, clashing plugins, store settings mismatch."""


class RuleFileError(ConfigurationError):
    """A TOML rule file cannot be used; names the file, the line (when known) and the key.

    ``str(error)`` reads ``rules.toml:12: rules[3].points: is a string; expected a number``.
    """

    def __init__(self, source: str, line: int | None, key: str | None, message: str) -> None:
        where = source if line is None else f"{source}:{line}"
        super().__init__(f"{where}: {key}: {message}" if key else f"{where}: {message}")
        self.source = source
        self.line = line
        self.key = key
        self.reason = message


class StoreSettingsError(ConfigurationError):
    """The store was created with another time zone, rule set or rule files than the engine
    opening it.

    ``key`` is ``"tz"``, ``"ruleset"`` or ``"rule_files"``; ``stored`` what the store recorded,
    ``given`` what the engine asked for; ``problem`` says so without saying what to do (the
    command line says it in its options). Opening it anyway takes ``migrate=True``.
    """

    def __init__(self, url: str, key: str, stored: str, given: str, *, problem: str | None = None) -> None:
        self.problem = problem or f"store {url} was created with {key}={stored!r}, not {given!r}"
        super().__init__(f"{self.problem} (pass migrate=True to change it)")
        self.url = url
        self.key = key
        self.stored = stored
        self.given = given


class RuleSetConflictError(ConfigurationError):
    """Two plugins contribute one rule set: the same id and version, or two versions taking
    effect the same day, so which rules apply would be undefined.

    ``problem`` says what clashes and where each side comes from. When an installed plugin (an
    entry point) is one side — say a locality's package and a TOML file with its rule set —
    ``installed`` names it, ``keep`` the other installed plugins loaded and ``files`` the rule
    files involved, so a caller can say how to leave one side out; ``str(error)`` says it for
    Python (``Engine(plugins_enabled=…)``), the command line for its options.
    """

    def __init__(
        self,
        problem: str,
        *,
        installed: tuple[str, ...] = (),
        keep: tuple[str, ...] = (),
        files: tuple[str, ...] = (),
    ) -> None:
        self.problem = problem
        self.installed = installed
        self.keep = keep
        self.files = files
        hint = ""
        if installed:
            hint = f"; to leave the installed plugin {', '.join(installed)} out, build the engine with " \
                f"plugins_enabled={list(keep)!r}"
            if files:
                hint += f"; to use it instead, leave {', '.join(files)} out of rules_files"
        super().__init__(problem + hint)


class PluginError(GridpointsError):
    """A plugin raised or returned something invalid; the message names the plugin."""

    def __init__(self, plugin: str, message: str) -> None:
        super().__init__(f"plugin {plugin!r}: {message}")
        self.plugin = plugin


class StoreError(GridpointsError):
    """The store cannot do what was asked (schema mismatch, corrupt file, lost connection)."""


class StoreBusyError(StoreError):
    """Another writer held the store's lock past the configured timeout; safe to retry."""


class StoreUnavailableError(StoreError):
    """The database server cannot be reached, or the connection dropped mid-call; safe to retry.

    A call that fails this way booked nothing, or (when the connection dropped during the
    commit) booked everything: retrying it books each event once, the rest as duplicates.
    """


class LedgerError(GridpointsError):
    """A ledger operation was refused (for example reversing an entry twice)."""


class ReviewError(GridpointsError):
    """A review decision was refused: unknown event, or already decided."""


class NotFoundError(GridpointsError, LookupError):
    """An id (member, event, entry) the engine does not know."""


class DefaultCoefficientWarning(UserWarning):
    """A member's region has no coefficient in a coefficient table given in Python, so it counts
    with 1. (A rule file's table refuses such a member instead; Python tables keep their older
    meaning, but not silently.) Name the region, or give the table a ``default`` entry."""
