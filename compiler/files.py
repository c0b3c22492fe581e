"""Small file helpers shared by the compile stages, the project cache and the runner.

Standard library only: the project cache imports this on its fast path.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .codes import make
from .diagnostics import Diagnostic, Span


def write_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically (temp file, fsync, rename), keeping the file's mode.

    Returns False, writing nothing, when the file already holds exactly these bytes.
    """
    path = Path(path)
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            mode = path.stat().st_mode & 0o777
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return True


def check_files(files: dict[str, bytes], out_dir: Path) -> list[Diagnostic]:
    """``--check``: one E002 per file whose bytes on disk differ from ``files`` (or that is missing)."""
    diags = []
    for name, data in files.items():
        p = Path(out_dir) / name
        try:
            same = p.read_bytes() == data
            why = "differs from what compile would write"
        except OSError:
            same, why = False, "is missing"
        if not same:
            diags.append(make("E002", f"{p} {why}", span=Span(file=str(p)),
                              help="run `synthspec compile` and commit the result"))
    return diags


def stat_key(path: Path) -> list:
    """A cheap fingerprint of a file or a folder's files: names, sizes and mtimes (no reading)."""
    try:
        if path.is_dir():
            return sorted([p.name, p.stat().st_size, p.stat().st_mtime_ns] for p in path.iterdir() if p.is_file())
        st = path.stat()
        return [st.st_size, st.st_mtime_ns]
    except OSError:
        return ["missing"]
