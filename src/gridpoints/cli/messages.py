"""Error messages for the command line: what to do, said in its options rather than in Python."""

from __future__ import annotations

from gridpoints.errors import RuleSetConflictError, StoreSettingsError

__all__ = ["explained"]


def explained(error: Exception) -> str:
    """The error's message, with what to do said in command-line options, not Python arguments."""
    if isinstance(error, RuleSetConflictError):
        if not error.installed:
            return error.problem
        leave_out = " ".join(f"--plugin {name}" for name in error.keep) or "--no-plugins"
        text = f"{error.problem}; to leave the installed plugin {', '.join(error.installed)} out, add {leave_out}"
        if error.files:
            text += f"; to use it instead, leave out --rules {' '.join(error.files)}"
        return text
    if isinstance(error, StoreSettingsError):  # the store's recorded zone, rule set or rule files differ
        if error.key == "rule_files":
            return f"{error.problem}; give the rule files it was created with, or add --migrate to record these"
        if error.key == "ruleset":
            return (
                f"{error.problem}; leave out --ruleset (and --rules files of another rule set) to use the "
                "store's, or add --migrate to change it"
            )
        return f"{error.problem}; leave out --tz to use the store's, or add --migrate to change it"
    return str(error)
