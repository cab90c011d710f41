"""The one way this project writes a file: to a temporary file beside it, then a rename.

A crash, an interrupted download or a failed check inside the ``with`` block leaves the
target as it was (absent or complete) and no partial file behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` if the block succeeds.

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "table.txt"
    >>> with atomic_path(target) as part:
    ...     _ = part.write_text("done")
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('done', ['table.txt'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".part", delete=False)
    handle.close()
    part = Path(handle.name)
    try:
        yield part
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
