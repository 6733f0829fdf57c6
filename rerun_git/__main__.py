"""``python -m rerun_git``."""
from __future__ import annotations

from rerun_git.cli import main

raise SystemExit(main())
