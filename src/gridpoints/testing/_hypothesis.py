"""Hypothesis' ``hypothesis`` entry point: ``st.from_type(gp.Member)`` and ``gp.Event`` work.

Hypothesis calls ``_hypothesis_setup_hook`` when it is imported (unless the environment sets
``HYPOTHESIS_NO_PLUGINS``), because gridpoints declares it under
``[project.entry-points.hypothesis]``.
"""

from __future__ import annotations

__all__ = ["_hypothesis_setup_hook"]


def _hypothesis_setup_hook() -> None:
    """Register the default ``members()`` and ``events()`` strategies for their types."""
    from hypothesis import strategies as st

    import gridpoints as gp
    from gridpoints.testing.strategies import events, members

    st.register_type_strategy(gp.Member, members())
    st.register_type_strategy(gp.Event, events())
