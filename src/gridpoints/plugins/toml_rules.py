"""Built-in plugin: contributes the rule sets of TOML rule files (``Engine(rules_files=…)``)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from gridpoints._markers import hookimpl
from gridpoints.errors import ConfigurationError
from gridpoints.rules import RuleSet
from gridpoints.rules.toml_file import RuleSource, decode_rules, read_rule_file

__all__ = ["TomlRuleFiles"]


class TomlRuleFiles:
    """Loads every file when built (so a bad file fails the engine build, naming file and line).

    ``origin(ruleset)`` tells which file a contributed version came from. The same version in
    two files is a ConfigurationError naming both files. ``recorded`` is what a store keeps of
    them: each file's absolute path (or resource) with the SHA-256 of its content.
    """

    def __init__(self, paths: Iterable[RuleSource] = ()) -> None:
        sources = list(paths)
        #: The files as text (a package resource's text names its package directory or zip).
        self.paths = tuple(str(p) for p in sources)
        self.rulesets: list[RuleSet] = []
        #: ``(absolute path, SHA-256 of the content)`` of each file, in order.
        self.recorded: tuple[tuple[str, str], ...] = ()
        self._origins: dict[tuple[str, str], str] = {}
        for source, path in zip(sources, self.paths, strict=True):
            name, raw = read_rule_file(source)
            self.recorded += ((name, hashlib.sha256(raw).hexdigest()),)
            for ruleset in decode_rules(raw, path):
                key = (ruleset.id, ruleset.version)
                if key in self._origins:
                    raise ConfigurationError(
                        f"rule set {ruleset.id} version {ruleset.version} is in both {self._origins[key]} and {path}"
                    )
                self._origins[key] = path
                self.rulesets.append(ruleset)

    def only_ruleset(self) -> str | None:
        """The id of the one rule set the files define, or None (no files, or several ids)."""
        ids = {ruleset.id for ruleset in self.rulesets}
        return ids.pop() if len(ids) == 1 else None

    def origin(self, ruleset: RuleSet) -> str | None:
        """The file a version came from, or None if it is not one of these files'."""
        return self._origins.get((ruleset.id, ruleset.version))

    @hookimpl
    def gridpoints_rulesets(self) -> list[RuleSet]:
        """Every version of every file, in file order."""
        return list(self.rulesets)
