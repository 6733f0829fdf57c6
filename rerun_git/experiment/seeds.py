"""Seeds: the run seed's last two fallbacks, and each cell's seed from the run seed and the cell's key.

The whole run-seed rule (``--seed``, ``[run] seed``, the DataManager's
``random_state``, a fixed default) is in docs/guide.md, "Seeds"; the first two
are applied by :func:`rerun_git.capture.recorder.choose_seed`. A cell's seed
(:func:`cell_seed`) never depends on the order cells run in, nor on which
process runs it, so a grid gives the same numbers serially, in joblib workers
or on a Dask cluster.
"""
from __future__ import annotations

import hashlib
from typing import Any

#: The run seed when neither ``--seed``, ``[run] seed`` nor the DataManager's ``random_state`` gives one.
DEFAULT_SEED = 0
#: Seeds are what numpy accepts for ``np.random.seed``: 0 .. 2**32 - 1.
MAX_SEED = 2**32 - 1
#: Cell seeds lie in ``[0, 2**31 - 1)``: valid for numpy, ``random`` and every scikit-learn ``random_state``.
SEED_MODULUS = 2**31 - 1


def fallback_seed(data_manager: Any) -> int:
    """The DataManager's ``random_state`` when it is an int, else :data:`DEFAULT_SEED`."""
    state = getattr(data_manager, "random_state", None)
    if isinstance(state, int) and not isinstance(state, bool) and 0 <= state <= MAX_SEED:
        return state
    return DEFAULT_SEED


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
