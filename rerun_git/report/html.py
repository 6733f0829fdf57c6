"""HTML building blocks: the one escape, number formatting, the page frame and embedded JSON data.

Record and tag values are untrusted (runs come from other people): they reach
a page only through :func:`esc` (text and attributes) or :func:`json_data`
(a ``<script type="application/json">`` block, which browsers never run,
with ``<``, ``>`` and ``&`` escaped so that it cannot be closed early).
Scripts and styles are separate files of the report, never built from
records; the Content-Security-Policy forbids everything else, network
requests included.
"""
from __future__ import annotations

import html
import json
import math
from typing import Any

#: No network, no inline script, no plugins: only the report's own files .
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "base-uri 'none'; form-action 'none'")


def esc(value: Any) -> str:
    """``value`` as text safe inside HTML text and double- or single-quoted attributes."""
    return html.escape("" if value is None else str(value), quote=True)


def number(value: Any) -> str:
    """A metric or parameter for display: floats to 4 significant digits, the rest as text (escaped by callers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "none" if value is None else str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:.4g}"
    return str(value)


def setting(value: Any) -> str:
    """A configuration value for display: exact (``0.1``, ``5.0``, ``True``), ``none`` for None."""
    return "none" if value is None else str(value)


def sort_key(value: Any) -> str:
    """The ``data-v`` attribute the table sorts by: a finite number as is, anything else empty (text sort)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return repr(float(value))
    return ""


def json_data(element_id: str, data: Any) -> str:
    """``data`` as a non-executable JSON block, safe to embed (non-finite numbers become null)."""
    try:
        text = json.dumps(data, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    except ValueError:  # a NaN or an infinity somewhere: JSON has none, null stands for it
        text = json.dumps(_finite(data), ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="{esc(element_id)}">{text}</script>'


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def page(title: str, body: str, *, root: str = "", script: bool = False) -> str:
    """A whole HTML document: ``root`` is the relative path to the report's top folder (``""`` or ``"../"``)."""
    tail = f'<script src="{root}report.js"></script>' if script else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="referrer" content="no-referrer"><title>{esc(title)}</title>'
        f'<link rel="stylesheet" href="{root}report.css"></head>\n<body>{body}{tail}</body></html>\n'
    )


def table(headers: list[str], rows: list[list[Any]], *, css: str = "") -> str:
    """A plain table of escaped cells (numbers formatted)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(number(c))}</td>" for c in row) + "</tr>" for row in rows)
    cls = f' class="{css}"' if css else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
