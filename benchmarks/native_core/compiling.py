"""Compile a native-core instrument (``skeleton.c``, ``columns.c``, ``checked.c``, ``verify.c``,
``writer.c``, ``pgcopy.c``) on demand and import it."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shlex
import subprocess
import sysconfig
import tempfile
from pathlib import Path
from types import ModuleType

__all__ = ["build"]

_HERE = Path(__file__).parent
#: The instruments: source file, module name, libraries it links.
_MODULES = {
    "skeleton": ("skeleton.c", "_gp_native_skeleton", ["-lcrypto"]),
    "columns": ("columns.c", "_gp_native_columns", ["-lcrypto"]),
    "checked": ("checked.c", "_gp_native_checked", ["-lcrypto", "-pthread"]),
    "verify": ("verify.c", "_gp_native_verify", ["-lsqlite3", "-lcrypto"]),
    "writer": ("writer.c", "_gp_native_writer", ["-lsqlite3", "-lcrypto"]),
    "pgcopy": ("pgcopy.c", "_gp_native_pgcopy", ["-lcrypto"]),
}


def build(name: str = "skeleton", directory: Path | None = None) -> ModuleType:
    """Compile the instrument ``name`` (``skeleton``, ``columns``, ``checked``, ``verify``, ``writer`` or
    ``pgcopy``; once per source text, the shared headers' included) and import it.

    Raises ``RuntimeError`` with the compiler's output when it cannot be built (no compiler, no
    OpenSSL or SQLite headers).
    """
    filename, module_name, libraries = _MODULES[name]
    source = _HERE / filename
    # The headers are hashed with the source: a change to one of them must rebuild.
    texts = [source.read_bytes(), *(header.read_bytes() for header in sorted(_HERE.glob("*.h")))]
    tag = hashlib.sha256(b"".join(texts)).hexdigest()[:12]
    directory = directory or Path(tempfile.gettempdir()) / f"gridpoints-native-{name}-{tag}"
    target = directory / f"{module_name}{sysconfig.get_config_var('EXT_SUFFIX')}"
    if not target.exists():
        directory.mkdir(parents=True, exist_ok=True)
        compiler = shlex.split(sysconfig.get_config_var("CC") or "cc")
        partial = target.with_name(f"{target.name}.{os.getpid()}.partial")  # one per concurrent build
        command = [
            *compiler, "-O2", "-shared", "-fPIC", f"-I{sysconfig.get_paths()['include']}",
            str(source), "-o", str(partial), *libraries,
        ]  # fmt: skip
        try:
            done = subprocess.run(command, capture_output=True, text=True, check=False)
        except OSError as error:
            raise RuntimeError(f"cannot run the C compiler {compiler[0]!r}: {error}") from None
        if done.returncode != 0:
            raise RuntimeError(f"building the native {name} failed:\n{done.stderr}")
        partial.replace(target)  # atomic: a concurrent build never imports half a file
    spec = importlib.util.spec_from_file_location(module_name, target)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot import {target}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
