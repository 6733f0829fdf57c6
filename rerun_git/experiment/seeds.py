"""The run seed's last two fallbacks: the DataManager's ``random_state``, else a fixed default.

The whole rule (``--seed``, ``[run] seed``, these two) is in docs/guide.md,
"Seeds"; the first two are applied by :func:`rerun_git.capture.recorder.choose_seed`.
"""
from __future__ import annotations

from typing import Any

#: The run seed when neither ``--seed``, ``[run] seed`` nor the DataManager's ``random_state`` gives one.
DEFAULT_SEED = 0
#: Seeds are what numpy accepts for ``np.random.seed``: 0 .. 2**32 - 1.
MAX_SEED = 2**32 - 1


def fallback_seed(data_manager: Any) -> int:
    """The DataManager's ``random_state`` when it is an int, else :data:`DEFAULT_SEED`."""
    state = getattr(data_manager, "random_state", None)
    if isinstance(state, int) and not isinstance(state, bool) and 0 <= state <= MAX_SEED:
        return state
    return DEFAULT_SEED
