"""The native-core skeleton: issue 13's design change for the in-memory targets, tried.

``skeleton.c`` books a call's events in one pass in C — fields read from each ``Event``, dedupe,
admission, day and month labels, the canonical payload, the entry's canonical text and chained
SHA-256, and the staged entry and event rows — and hands the rows to the store exactly as the
pipeline does. It covers what the standard rule set with checks off needs and refuses the rest
(``NotImplementedError``) before any work: checks, caps, count limits, several rule-set
versions, conditions other than string equality, quantity bounds, members with joined/left
dates, closed months; late reports, ratings and decimal quantities are refused per event. For that
subset it books byte for byte what ``engine.ingest`` books (``tests/test_native_core.py``).

``writer.c`` (``NativeWriter``) is the same trial for the SQLite store's writes: the rows the
skeleton stages, their intake lines and intake row, written natively (``NativeSkeleton.ingest``
with ``writer=``).

``columns.c`` (``NativeColumns``) is the skeleton's pass over columns as a file parser would give
them (``pack``): no Python object per event in, its rows written into C arenas, nothing to the store.

``checked.c`` (``NativeChecked``) is the core over columns with the built-in checks on, their
running state kept per member in C arrays, booking into a native in-memory store (rows, entries and
the intake log in C arenas) what ``engine.ingest`` books with checks on.

``pgcopy.c`` (``NativePgCopy``, in ``benchmarks.native_core.pgcopy``: it needs psycopg) takes the
columns' pass to PostgreSQL: one row per event (``benchmarks.store_rows``' merged layout), its
binary COPY data and intake row built in C from the pass's arenas, sent with psycopg, the read
indexes created after the rows.

``verify.c`` (``NativeVerify``) is the same trial for ``verify()``: the chain pass in C over a
SQLite ledger, and each of verify's other statements stepped in C with no check made — what
verify's reads cost without a Python object per row. ``NativeVerifyOnce`` verifies reading each
table once in C; ``NativeVerifySplit`` is the same split by event id over processes.

They are measuring instruments, not second implementations to ship: ``build()`` compiles them
with the C compiler CPython was built with, against OpenSSL's libcrypto (the library ``hashlib``
uses) and SQLite's library, into a cache directory.
"""

from benchmarks.native_core.checked import CheckedPass, NativeChecked
from benchmarks.native_core.columns import ColumnsPass, NativeColumns, PackedColumns, pack
from benchmarks.native_core.compiling import build
from benchmarks.native_core.once import NativeVerifyOnce
from benchmarks.native_core.skeleton import NativeSkeleton, SkeletonResult
from benchmarks.native_core.split import NativeVerifySplit
from benchmarks.native_core.verify import NativeVerify
from benchmarks.native_core.writer import NativeWriter, WriteSeconds

__all__ = [
    "CheckedPass", "ColumnsPass", "NativeChecked", "NativeColumns", "NativeSkeleton", "NativeVerify",
    "NativeVerifyOnce", "NativeVerifySplit", "NativeWriter", "PackedColumns", "SkeletonResult", "WriteSeconds",
    "build", "pack",
]  # fmt: skip
