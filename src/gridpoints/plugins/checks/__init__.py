"""The built-in anti-gaming checks, each its own plugin, and their configuration.

``Engine(check_config={...})`` maps a check name to its options (a mapping passed to the
check's constructor), to False (switch it off) or to True/None (defaults). Each configured
check object is registered in the engine's plugin manager and contributes itself through
``gridpoints_checks`` — the hook a locality's checks use too.
"""

from __future__ import annotations

from collections.abc import Mapping

from gridpoints.errors import ConfigurationError
from gridpoints.plugins.checks._base import BuiltinCheck
from gridpoints.plugins.checks.burst import Burst
from gridpoints.plugins.checks.daily_limit import DailyLimit
from gridpoints.plugins.checks.duplicate_submission import DuplicateSubmission
from gridpoints.plugins.checks.evidence import Evidence
from gridpoints.plugins.checks.outlier import Outlier

__all__ = [
    "BUILTIN_CHECKS",
    "BuiltinCheck",
    "Burst",
    "DailyLimit",
    "DuplicateSubmission",
    "Evidence",
    "Outlier",
    "configure_checks",
    "effective_check_config",
]

#: Check name → class, in the order they run on an event.
BUILTIN_CHECKS: Mapping[str, type[BuiltinCheck]] = {
    cls.name: cls for cls in (DuplicateSubmission, DailyLimit, Evidence, Burst, Outlier)
}

CheckOptions = Mapping[str, object] | bool | None


def effective_check_config(
    from_rules: Mapping[str, Mapping[str, object]], from_python: Mapping[str, CheckOptions] | None = None
) -> dict[str, CheckOptions]:
    """The configuration ``configure_checks`` takes: a rule set's ``[checks.<name>]`` tables
    (``RuleSet.checks``; ``enabled = false`` switches a check off), then ``Engine(check_config=…)``
    over them option by option: a mapping adds or replaces options (and switches the check on),
    False switches it off, True switches it on, None leaves the rule file's configuration."""
    config: dict[str, CheckOptions] = {}
    written: dict[str, dict[str, object]] = {}  # the file's options, kept for a check it switched off
    for name, table in from_rules.items():
        written[name] = {k: v for k, v in table.items() if k != "enabled"}
        config[name] = written[name] if table.get("enabled", True) else False
    for name, given in (from_python or {}).items():
        if given is None:
            config.setdefault(name, None)
        elif given is True:
            config[name] = written.get(name, True)
        elif isinstance(given, Mapping):
            config[name] = {**written.get(name, {}), **given}
        else:
            config[name] = given  # False, or something configure_checks refuses by name
    return config


def configure_checks(config: Mapping[str, CheckOptions] | None = None) -> list[BuiltinCheck]:
    """The built-in checks configured from ``config`` (see the module doc); bad options are a
    ConfigurationError naming the check and the option."""
    config = dict(config or {})
    unknown = sorted(set(config) - set(BUILTIN_CHECKS))
    if unknown:
        raise ConfigurationError(
            f"check_config: no built-in check {unknown[0]!r}; known: {', '.join(BUILTIN_CHECKS)}"
        )
    checks: list[BuiltinCheck] = []
    for name, cls in BUILTIN_CHECKS.items():
        options = config.get(name)
        if options is False:
            continue
        if options is None or options is True:
            options = {}
        if not isinstance(options, Mapping):
            raise ConfigurationError(f"check_config[{name!r}]: {options!r} is not a mapping of options, True or False")
        try:
            checks.append(cls(**{str(k): v for k, v in options.items()}))
        except (TypeError, ValueError) as error:
            raise ConfigurationError(f"check_config[{name!r}]: {error}") from None
    return checks
