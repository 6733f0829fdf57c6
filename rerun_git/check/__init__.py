"""Check: the pre-commit check of a project (no training) and the hook scripts and their installation.

May import capture, record, experiment, store, settings and errors.
"""
