"""The gridpoints benchmark harness: ``python -m benchmarks --size quick|medium|full``.

Every scenario runs in a fresh subprocess over the same deterministic workload (the
``gridpoints.demo`` generator), so peak RSS is per scenario and ratios compare numbers measured
in one run on one machine. See docs/performance.md for the figures and how to read them.
"""

__all__: list[str] = []
