"""Built-in plugin: contributes the rule sets of TOML rule files (``Engine(rules_files=…)``)."""

from __future__ import annotations

from collections.abc import Iterable

from gridpoints._markers import hookimpl
from gridpoints.errors import ConfigurationError
from gridpoints.rules import RuleSet
from gridpoints.rules.toml_file import RuleSource, load_rules

__all__ = ["TomlRuleFiles"]


class TomlRuleFiles:
    """Loads every file when built (so a bad file fails the engine build, naming file and line).

    ``origin(ruleset)`` tells which file a contributed version came from. The same version in
    two files is a ConfigurationError naming both files.
    """

    def __init__(self, paths: Iterable[RuleSource] = ()) -> None:
        sources = list(paths)
        #: The files as text (a package resource's text names its package directory or zip).
        self.paths = tuple(str(p) for p in sources)
        self.rulesets: list[RuleSet] = []
        self._origins: dict[tuple[str, str], str] = {}
        for source, path in zip(sources, self.paths, strict=True):
            for ruleset in load_rules(source):
                key = (ruleset.id, ruleset.version)
                if key in self._origins:
                    raise ConfigurationError(
                        f"rule set {ruleset.id} version {ruleset.version} is in both {self._origins[key]} and {path}"
                    )
                self._origins[key] = path
                self.rulesets.append(ruleset)

    def origin(self, ruleset: RuleSet) -> str | None:
        """The file a version came from, or None if it is not one of these files'."""
        return self._origins.get((ruleset.id, ruleset.version))

    @hookimpl
    def gridpoints_rulesets(self) -> list[RuleSet]:
        """Every version of every file, in file order."""
        return list(self.rulesets)
