"""The record: RunRecord <-> ``.rerun/run.toml`` and ``run_config.json``, environment, datasets, comparison.

Pure data and its validation (the trust boundary for what is read from a
run). May import store (to read a record), experiment's import-light
helpers, settings and errors.
"""
