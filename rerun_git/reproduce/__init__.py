"""Reproduce: a run's snapshot checked, checked out into a worktree, rebuilt, re-run and compared.

May import capture, record, experiment, store, settings and errors; never
browse, check, report, service or commands.
"""
