"""groundbrief: dated markdown research briefings for analysts.

The public entry point is :func:`pipeline.generate.generate_report`; the data model is in
:mod:`pipeline.models`. Imports stay light here so the CLI starts fast.
"""

__version__ = "0.1.0"
