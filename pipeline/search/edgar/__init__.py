"""SEC EDGAR filings as evidence (``--search edgar``): the SEC's documented JSON APIs over httpx."""

from pipeline.search.edgar.searcher import EdgarSearcher, edgar_searcher

__all__ = ["EdgarSearcher", "edgar_searcher"]
