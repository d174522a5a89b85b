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
    if isinstance(error, StoreSettingsError):  # the store's recorded zone or rule set differs
        return f"{error}; give the same --ruleset (and --rules, --tz) as when the file was created"
    return str(error)
