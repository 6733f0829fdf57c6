"""The version of rerun-git (one place; read by the record and ``--version``)."""
__version__ = "0.1.0"
