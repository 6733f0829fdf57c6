"""Seeds of experiment cells: a pure function of the run seed and the cell's key.

A cell's seed never depends on the order cells run in, nor on which process
runs it, so a grid gives the same numbers serially, in joblib workers or on a
Dask cluster.
"""
from __future__ import annotations

import hashlib

#: Cell seeds lie in ``[0, 2**31 - 1)``: valid for numpy, ``random`` and every scikit-learn ``random_state``.
SEED_MODULUS = 2**31 - 1


def cell_seed(run_seed: int, key: str) -> int:
    """The seed of the cell ``key`` (``"<group>/<dataset>/split_<i>/<algorithm>"``) in a run seeded ``run_seed``.

    Parameters
    ----------
    run_seed : int
        The run's seed.
    key : str
        The cell's key.

    Returns
    -------
    int
        ``int(sha256("<run_seed>:<key>")[:8 bytes]) mod (2**31 - 1)``.

    Examples
    --------
    >>> cell_seed(42, "baseline/diabetes/split_0/ridge") == cell_seed(42, "baseline/diabetes/split_0/ridge")
    True
    """
    digest = hashlib.sha256(f"{int(run_seed)}:{key}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % SEED_MODULUS
