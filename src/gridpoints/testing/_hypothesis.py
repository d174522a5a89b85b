"""Hypothesis' ``hypothesis`` entry point: ``st.from_type(gp.Member)`` and ``gp.Event`` work.

Hypothesis calls ``_hypothesis_setup_hook`` at the end of its own import (unless the environment
sets ``HYPOTHESIS_NO_PLUGINS``), because gridpoints declares it under
``[project.entry-points.hypothesis]``. The strategies are resolved when first asked for: the
hook may run while ``gridpoints.testing.strategies`` itself is importing Hypothesis.
"""

from __future__ import annotations

from hypothesis import strategies as st

__all__ = ["_hypothesis_setup_hook"]


def _members(_type: type) -> st.SearchStrategy[object]:
    from gridpoints.testing.strategies import members

    return members()


def _events(_type: type) -> st.SearchStrategy[object]:
    from gridpoints.testing.strategies import events

    return events()


def _hypothesis_setup_hook() -> None:
    """Register the default ``members()`` and ``events()`` strategies for their types."""
    import gridpoints as gp

    st.register_type_strategy(gp.Member, _members)
    st.register_type_strategy(gp.Event, _events)
