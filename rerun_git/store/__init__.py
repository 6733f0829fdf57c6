"""All git: the one process launcher, refs, objects, worktrees, remotes, hooks folder.

The only package that runs git. May import settings and errors only.
"""
