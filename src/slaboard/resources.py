"""Files shipped with slaboard: themes/ and sample_data/.

An installed wheel carries them in ``slaboard/_data/``; a source checkout has them
at the top of the tree.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The shipped folder ``name`` ("themes" or "sample_data")."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parents[1] / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"slaboard's {name}/ folder is missing from this installation; reinstall slaboard")
