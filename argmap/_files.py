"""A path → its bytes, read safely: regular files only, never more than a bound, never blocking.

A device (``/dev/zero``) or a FIFO reports a size of 0, so a size check alone lets an unbounded
or never-ending read through; this reader opens without blocking, checks what it opened (not
what the path named a moment before), and reads at most the limit + 1 byte. Folder walks are
bounded too, so that ``evidence: [/]`` is an error, not a walk of the whole disk.
"""

from __future__ import annotations

import hashlib
import os
import stat

from argmap.errors import ArgmapError, Location

__all__ = ["MAX_FILE_BYTES", "decode_text", "read_text", "MAX_WALK_DEPTH", "MAX_WALK_ENTRIES", "digest_of", "kind_of", "forget_reads", "read_bytes",
           "refuse_input", "walk_files"]

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_WALK_ENTRIES = 100_000  # names looked at in one evidence folder, all levels together
MAX_WALK_DEPTH = 16

#: SHA-256 of the bytes last read from each path (absolute): a report states the hash of what it
#: used, not of a file that may have changed or gone since
_DIGESTS: dict[str, str] = {}
#: (device, inode) of every file read: an output onto one of them is refused (symlinks and hard links too)
_READ: dict[tuple[int, int], str] = {}

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"))


def kind_of(mode: int) -> str:
    """'a folder', 'a character device' … for a mode that is not a regular file's."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_bytes(path: str, at: Location | None = None, *, limit: int | None = None, track: bool = True) -> bytes:
    """The bytes of the regular file at ``path`` (symlinks followed), at most ``limit``;
    anything else is an ArgmapError at ``at``. ``track``: record it as an input of the command."""
    path = os.fspath(path)  # a pathlib.Path from Python callers
    at = at or Location(path)
    limit = MAX_FILE_BYTES if limit is None else limit
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:  # the name would break every report, JSON and terminal line it is written to
        shown = os.fsencode(path).decode("utf-8", "backslashreplace")
        raise ArgmapError.at(Location(shown), f"the file name {shown} is not UTF-8; rename the file (argmap "
                                              "writes file names into reports and JSON, which are UTF-8)") from None
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        handle = os.open(path, flags)
    except FileNotFoundError:
        raise ArgmapError.at(at, f"no such file: {path}") from None
    except IsADirectoryError:
        raise ArgmapError.at(at, f"{path} is a folder; give a file") from None
    except OSError as exc:
        raise ArgmapError.at(at, f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(handle)
        mode = info.st_mode
        if stat.S_ISDIR(mode):
            raise ArgmapError.at(at, f"{path} is a folder; give a file")
        if not stat.S_ISREG(mode):
            raise ArgmapError.at(at, f"{path} is not a regular file ({kind_of(mode)}); argmap reads only "
                                     "regular files — copy the data into a file and give its path")
        size = info.st_size
        if size > limit:
            raise ArgmapError.at(at, f"file is {_amount(size)}; argmap reads files up to {_amount(limit)}")
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(handle, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise ArgmapError.at(at, f"cannot read {path}: {exc.strerror or exc}") from None
    finally:
        os.close(handle)
    if total > limit:
        raise ArgmapError.at(at, f"file grew past {_amount(limit)} while it was read; argmap reads files up "
                                 f"to {_amount(limit)}")
    data = b"".join(chunks)
    if track:
        _DIGESTS[os.path.abspath(path)] = hashlib.sha256(data).hexdigest()
        _READ[(info.st_dev, info.st_ino)] = path
    return data


def forget_reads() -> None:
    """Start a new command: what earlier commands of this process read is not its input."""
    _DIGESTS.clear()
    _READ.clear()


def refuse_input(path: str, at: Location | None = None) -> None:
    """Raise an ArgmapError when ``path`` is a file this run read (the model, an evidence file,
    the bibliography, a log): ``diagram M -o M`` would otherwise turn the model into an SVG.
    ``-`` is standard output, not a path."""
    if path == "-":
        return
    try:
        info = os.stat(path)
    except OSError:
        return
    read_as = _READ.get((info.st_dev, info.st_ino))
    try:  # an input deleted since may have left its inode to another file
        still = read_as is not None and os.path.samefile(read_as, path)
    except OSError:
        still = False
    if still:
        assert read_as is not None
        same = "" if os.path.abspath(read_as) == os.path.abspath(path) else f" (the same file as {read_as})"
        raise ArgmapError.at(at or Location(path), f"{path} is an input of this command{same}; argmap never "
                                                   "writes over its inputs — choose another output path")


def digest_of(path: str) -> str:
    """The SHA-256 of what was last read from ``path``, reading it (safely) if it never was."""
    known = _DIGESTS.get(os.path.abspath(path))
    if known is None:
        read_bytes(path)
        known = _DIGESTS[os.path.abspath(path)]
    return known


def _amount(size: int) -> str:
    return f"{size / 1e6:.0f} MB" if size >= 10**6 else f"{size:,} bytes"


def walk_files(root: str, suffixes: tuple[str, ...], at: Location) -> list[str]:
    """Files under ``root`` ending in ``suffixes``, sorted, without following folder symlinks;
    more than MAX_WALK_ENTRIES names or MAX_WALK_DEPTH levels is an error at ``at``."""
    files: list[str] = []
    seen = 0
    base = root.rstrip(os.sep).count(os.sep)
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        seen += len(dirs) + len(names)
        if seen > MAX_WALK_ENTRIES:
            raise ArgmapError.at(at, f"evidence folder {root} holds more than {MAX_WALK_ENTRIES:,} files and "
                                     "folders; name the folder of this case's evidence, not a larger one")
        if folder.rstrip(os.sep).count(os.sep) - base >= MAX_WALK_DEPTH and dirs:
            raise ArgmapError.at(at, f"evidence folder {root} nests folders more than {MAX_WALK_DEPTH} levels "
                                     "deep; name the folder of this case's evidence, not a larger one")
        files.extend(os.path.join(folder, n) for n in sorted(names) if n.endswith(suffixes))
    return files


def read_text(path: str, location: Location | None = None) -> str:
    """A regular file's text as UTF-8 (at most MAX_FILE_BYTES), or a clear problem."""
    data = read_bytes(path, location or Location(path), limit=MAX_FILE_BYTES)
    return decode_text(data, path)


def decode_text(data: bytes, path: str) -> str:
    """Bytes read from ``path`` as UTF-8 text with Unix line ends, or a problem at the bad byte."""
    try:
        return data.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ArgmapError.at(
            Location(path, line), "file is not UTF-8 text; save it as UTF-8 in your editor"
        ) from None
