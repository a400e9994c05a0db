"""Text → files, atomically: a reader never sees half a file, and a failed run leaves the old one."""

from __future__ import annotations

import os
import tempfile

__all__ = ["write_atomic", "write_atomic_bytes"]


def write_atomic(path: str, text: str, *, overwrite: bool = True) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename.

    With ``overwrite=False`` an existing file is left alone and FileExistsError is raised."""
    write_atomic_bytes(path, text.encode("utf-8"), overwrite=overwrite)


def write_atomic_bytes(path: str, data: bytes, *, overwrite: bool = True) -> None:
    """:func:`write_atomic` for bytes (images, PDF): the file is exactly ``data``."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".argmap-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; give what open() would
        if overwrite:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # fails if path exists, without a window for a race
            os.unlink(temporary)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
