"""Text → files, atomically: a reader never sees half a file, and a failed run leaves the old one."""

from __future__ import annotations

import os
import stat
import tempfile

from argmap.errors import ArgmapError, Location

__all__ = ["write_atomic", "write_atomic_bytes"]


def write_atomic(path: str, text: str, *, overwrite: bool = True) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename.

    With ``overwrite=False`` an existing file is left alone and FileExistsError is raised."""
    write_atomic_bytes(path, text.encode("utf-8"), overwrite=overwrite)


def write_atomic_bytes(path: str, data: bytes, *, overwrite: bool = True) -> None:
    """:func:`write_atomic` for bytes (images, PDF): the file is exactly ``data``.

    Only a regular file is ever replaced: the rename would put a regular file in the place of
    a symlink, a FIFO or a device node (as root, ``-o /dev/null`` would replace the device)."""
    _refuse_special(path)
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


def _refuse_special(path: str) -> None:
    try:
        info = os.lstat(path)
    except OSError:
        return  # not there (or not reachable): the write itself says what is wrong
    if stat.S_ISREG(info.st_mode):
        return
    from argmap._files import kind_of

    what = "a symbolic link" if stat.S_ISLNK(info.st_mode) else kind_of(info.st_mode)
    hint = (f"give the path it points to ({os.path.realpath(path)})" if stat.S_ISLNK(info.st_mode)
            else "give the path of a file")
    raise ArgmapError.at(Location(path), f"{path} is {what}, not a regular file; argmap writes outputs only "
                                         f"as regular files and does not replace anything else — {hint}")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
