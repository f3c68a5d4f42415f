"""The HTML page printed to PDF with WeasyPrint (the optional ``pdf`` extra: ``pip install 'groundbrief[pdf]'``).

WeasyPrint lays out HTML and CSS itself in Python, on the Pango text library the system provides: no
browser to install or sandbox, the same result on every run. It fetches nothing: the page is
self-contained, and any URL a replaced template names (an image, a stylesheet) is refused, so a
briefing never makes a request while it is printed. Links stay clickable in the PDF.
"""

from __future__ import annotations

import logging

from pipeline.errors import UsageError

INSTALL_HINT = "pip install 'groundbrief[pdf]'"
# WeasyPrint reports CSS it ignores (and the refused fetches) through logging: not the user's concern.
logging.getLogger("weasyprint").addHandler(logging.NullHandler())
logging.getLogger("weasyprint").propagate = False


def render_pdf(html: str) -> bytes:
    """``html`` as PDF bytes; ``UsageError`` saying what to install if WeasyPrint or Pango is missing."""
    weasyprint = load_weasyprint()
    return weasyprint.HTML(string=html, base_url=None, url_fetcher=_refuse).write_pdf()


def load_weasyprint():
    """The ``weasyprint`` module, or one line saying what is missing."""
    try:
        import weasyprint
    except ImportError:
        raise UsageError(f"PDF output needs WeasyPrint: {INSTALL_HINT}") from None
    except OSError as error:  # the Python package is there, the system's Pango is not
        raise UsageError(f"PDF output needs the Pango library WeasyPrint draws text with ({error}); on Debian or "
                         "Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0") from None
    return weasyprint


def _refuse(url: str, *args, **kwargs):
    raise ValueError(f"not fetched: {url[:80]}")
