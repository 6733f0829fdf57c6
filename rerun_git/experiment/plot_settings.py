"""Plot settings shared by evaluators and workflows."""
from __future__ import annotations


from rerun_git.errors import RerunError
from rerun_git.experiment._params import Rebuildable

#: Image formats matplotlib writes without extra packages.
FILE_FORMATS = ("png", "svg", "svgz", "pdf", "jpg", "jpeg", "eps", "ps", "tif", "tiff", "webp", "pgf")


class PlotSettings(Rebuildable):
    """Figure format, size and colours.

    Parameters
    ----------
    file_format : str
        Image format, e.g. ``"png"``, ``"svg"``, ``"pdf"``.
    width, height : float
        Figure size in inches.
    dpi : int
        Resolution.
    transparent : bool
        Transparent background.
    primary_color, secondary_color, accent_color : str
        Colours as hex strings.
    """

    def __init__(
        self,
        file_format: str = "png",
        width: float = 10,
        height: float = 8,
        dpi: int = 300,
        transparent: bool = False,
        primary_color: str = "#1175D5",
        secondary_color: str = "#00A878",
        accent_color: str = "#DE6B48",
    ) -> None:
        self._keep_params(locals())

    def validate(self) -> None:
        """Raise RerunError when a setting has the wrong type."""
        for key in ("file_format", "primary_color", "secondary_color", "accent_color"):
            if not isinstance(getattr(self, key), str):
                raise RerunError(f"PlotSettings {key} must be a string", hint=f"got {getattr(self, key)!r}")
        for key in ("width", "height", "dpi"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise RerunError(f"PlotSettings {key} must be a positive number", hint=f"got {value!r}")
        if not isinstance(self.transparent, bool):
            raise RerunError("PlotSettings transparent must be True or False", hint=f"got {self.transparent!r}")
        if self.file_format.lower() not in FILE_FORMATS:
            raise RerunError(f"PlotSettings file_format {self.file_format!r} is not supported",
                             hint=f"choose one of {', '.join(FILE_FORMATS)}")

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"PlotSettings({args})"
