"""Project code cannot fake success: ``sys.exit``, ``os._exit`` and a dead worker become one :class:`RerunError`.

A CI gate reads rerun-git's exit code, so project code that exits (with 0
or anything else) while it is being run must never end the process as if
the run had passed.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from rerun_git.errors import RerunError

#: Exceptions of joblib/loky, concurrent.futures and Dask saying a worker process died.
WORKER_DEATHS = ("TerminatedWorkerError", "BrokenProcessPool", "KilledWorker", "BrokenExecutor")
_HINT = "a run or reproduction must finish its experiments; remove the exit from the project's code"


class ProjectExit(SystemExit):
    """Raised in place of ``os._exit(code)`` while project code runs in rerun-git's own process."""


@contextmanager
def project_code(what: str) -> Iterator[None]:
    """Run project code for ``what`` (``"the run"``): an exit or a dead worker inside is a :class:`RerunError`.

    ``os._exit`` is replaced only for this process (a forked child still
    exits for real), and restored afterwards.
    """
    real_exit, pid = os._exit, os.getpid()

    def refuse_exit(code: int) -> None:
        if os.getpid() != pid:
            real_exit(code)
        raise ProjectExit(code)

    os._exit = refuse_exit
    try:
        yield
    except ProjectExit as exc:
        raise RerunError(f"project code called os._exit({exc.code!r}) during {what}: that is a failure",
                         hint=_HINT) from None
    except SystemExit as exc:
        raise RerunError(f"project code called sys.exit({exc.code!r}) during {what}: that is a failure",
                         hint=_HINT) from None
    except Exception as exc:
        if any(kind.__name__ in WORKER_DEATHS for kind in type(exc).__mro__):
            raise RerunError(f"a worker process died during {what} ({type(exc).__name__})",
                             hint="it was killed or ran out of memory; no run was recorded") from None
        raise
    finally:
        os._exit = real_exit
