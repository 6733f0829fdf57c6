"""Everything git: the only package that runs git or imports GitPython."""
