"""``python -m benchmarks``: see benchmarks/runner.py."""

from benchmarks.runner import main

raise SystemExit(main())
