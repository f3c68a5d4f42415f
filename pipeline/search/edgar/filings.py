"""Which filings a briefing reads: companies by the SEC's ticker file, their filings from the
submissions API, an 8-K's earnings release from its filing index, and filings that mention a
company from full-text search. Everything here reads the SEC's documented formats and says
``MalformedIndex`` when one isn't what it should be."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from pipeline.search.edgar.client import EdgarError

#: The kinds of filing a briefing reads, by form; the latest of each kind in the window is read.
KINDS = {"10-K": "annual report", "10-Q": "quarterly report", "8-K": "earnings release", "S-1": "registration statement"}
FORMS = {"10-K": "10-K", "10-Q": "10-Q", "8-K": "8-K", "S-1": "S-1", "S-1/A": "S-1"}
EARNINGS_ITEM = "2.02"  # Results of Operations and Financial Condition: the 8-K that carries the earnings release
ARCHIVES = "https://www.sec.gov/Archives/edgar/data"
_LEGAL_WORDS = frozenset(
    "corp corporation inc incorporated co company ltd limited plc llc lp holdings holding group sa nv ag se the de class".split()
)
_CIK_IN_NAME = re.compile(r"\s*\((?:CIK\s*)?\d{4,10}\)\s*$|\s{2,}\(.*$")


class MalformedIndex(EdgarError):
    """An index (ticker file, submissions, filing index, search result) that isn't in the SEC's format."""


@dataclass(frozen=True)
class Company:
    cik: int
    name: str  # as the SEC writes it: NVIDIA CORP
    asked_as: str  # as the request names it: NVIDIA

    @property
    def display(self) -> str:
        """``NVIDIA Corp``: the request's own spelling of the words it names, the SEC's capitals otherwise softened."""
        asked = {word.lower(): word for word in self.asked_as.split()}
        return " ".join(asked.get(word.lower(), word.title() if word.isupper() else word) for word in self.name.split())


@dataclass(frozen=True)
class Filing:
    company: Company
    accession: str  # 0001045810-25-000207
    form: str  # as filed: 10-Q, S-1/A
    filed: date
    document: str  # the file to read: the primary document, or an 8-K's earnings release
    items: tuple[str, ...] = ()
    primary: str = ""  # the filing's primary document, as the submissions list names it

    @property
    def kind(self) -> str:
        return FORMS.get(self.form, self.form)

    @property
    def folder(self) -> str:
        return f"/Archives/edgar/data/{self.company.cik}/{self.accession.replace('-', '')}"

    @property
    def link(self) -> str:
        """The document on sec.gov, whichever host it was read from."""
        return f"{ARCHIVES}/{self.company.cik}/{self.accession.replace('-', '')}/{self.document}"

    @property
    def publisher(self) -> str:
        return f"{self.company.display}, {self.form}"


def normalized(name: str) -> str:
    words = re.findall(r"[a-z0-9]+", name.lower().replace("&", " and "))
    return " ".join(word for word in words if word not in _LEGAL_WORDS)


def find_company(name: str, ticker_file: bytes) -> Company | None:
    """The company ``name`` names in the SEC's ``company_tickers.json``: by ticker (``NVDA``) or by its
    registered name without legal words (``NVIDIA`` for ``NVIDIA CORP``); the first listed wins."""
    try:
        rows = list(json.loads(ticker_file).values())
        entries = [(int(row["cik_str"]), str(row["ticker"]), str(row["title"])) for row in rows]
    except (ValueError, TypeError, KeyError, AttributeError):
        raise MalformedIndex("the SEC's ticker file (company_tickers.json) is not in its usual format") from None
    wanted = normalized(name)
    for cik, ticker, title in entries:
        if ticker.upper() == name.strip().upper() or (wanted and normalized(title) == wanted):
            return Company(cik=cik, name=title, asked_as=name)
    return None


def latest_filings(company: Company, submissions: bytes, since: date, until: date) -> list[Filing]:
    """The latest filing of each kind (10-K, 10-Q, earnings 8-K, S-1 or its amendment) filed in
    ``since``–``until``, newest first, from the submissions API's ``filings.recent`` columns."""
    try:
        data = json.loads(submissions)
        recent = data["filings"]["recent"]
        columns = ("accessionNumber", "form", "filingDate", "primaryDocument")
        rows = zip(*(recent[column] for column in columns), recent.get("items") or [""] * len(recent["form"]))
        if len({len(recent[column]) for column in columns}) != 1:
            raise ValueError("columns of different lengths")
        name = str(data.get("name") or company.name)
        filings = [
            Filing(Company(company.cik, name, company.asked_as), str(accession), str(form),
                   date.fromisoformat(str(filed)), str(document), tuple(str(items or "").replace(" ", "").split(",")),
                   str(document))
            for accession, form, filed, document, items in rows
        ]
    except (ValueError, TypeError, KeyError, AttributeError):
        raise MalformedIndex(f"the SEC's list of {company.name}'s filings (CIK {company.cik}) is not in its usual format") from None
    latest: dict[str, Filing] = {}
    for filing in sorted(filings, key=lambda f: f.filed, reverse=True):
        if filing.form not in FORMS or not since <= filing.filed <= until or not filing.document:
            continue
        if filing.kind == "8-K" and EARNINGS_ITEM not in filing.items:
            continue
        latest.setdefault(filing.kind, filing)
    return list(latest.values())


def earnings_release(index_page: bytes) -> str | None:
    """The file name of the EX-99.1 exhibit (the earnings release) in a filing's ``-index.html`` page,
    read by the type the filer declared, not by its name (NVIDIA calls it ``q2fy26pr.htm``)."""
    from lxml import html

    try:
        page = html.fromstring(index_page)
    except (ValueError, TypeError, SyntaxError):
        raise MalformedIndex("the filing index page could not be read") from None
    tables = [t for t in page.iter("table") if "document format files" in (t.get("summary") or "").lower()]
    if not tables:
        raise MalformedIndex("the filing index page has no table of documents")
    for row in tables[0].iter("tr"):
        cells = row.findall("td")
        if len(cells) < 4:
            continue
        declared = re.sub(r"\.+", ".", cells[3].text_content().strip().upper())
        link = cells[2].find(".//a")
        if declared == "EX-99.1" and link is not None:
            return (link.get("href") or "").removeprefix("/ix?doc=").rsplit("/", 1)[-1] or None
    return None


@dataclass(frozen=True)
class Mention:
    """A full-text search hit: one document of a filing that mentions the searched name."""

    cik: int
    filer: str
    accession: str
    form: str
    filed: date
    document: str
    file_type: str


def mentions(search_result: bytes) -> list[Mention]:
    """The hits of an ``efts.sec.gov/LATEST/search-index`` answer, best first."""
    try:
        hits = json.loads(search_result)["hits"]["hits"]
        found = [_mention(hit) for hit in hits]
    except (ValueError, TypeError, KeyError, AttributeError, IndexError):
        raise MalformedIndex("the SEC's full-text search answered in an unknown format") from None
    return [mention for mention in found if mention is not None]


def _mention(hit: Any) -> Mention | None:
    source = hit["_source"]
    accession, _, document = str(hit["_id"]).partition(":")
    if not source.get("ciks") or not document:
        return None
    return Mention(
        cik=int(source["ciks"][0]),
        filer=_CIK_IN_NAME.sub("", str((source.get("display_names") or [""])[0])).strip(),
        accession=str(source.get("adsh") or accession),
        form=str(source.get("form") or (source.get("root_forms") or [""])[0]),
        filed=date.fromisoformat(str(source["file_date"])),
        document=document,
        file_type=str(source.get("file_type") or ""),
    )
