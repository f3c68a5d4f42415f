"""Claims: what a sentence states, read so that two texts can be compared fact by fact.

A claim is one sentence's statement about the question's companies: the companies it names, what it
measures (a deal's value, revenue, market share…) with its figures, what it says happened (an
acquisition, a licensing agreement…) and the event's date where the text states it. A sentence that
packs two facts (an IPO's size and the valuation it implies) holds one :class:`Fact` for each, and a
passage corroborates each of them separately.

Two texts state the same claim when they name the same companies and the same measure with equal
figures in any written form ($20B = $20 billion = 20 billion dollars); a small figure (5%, 10x) must
also name the same measure. Without figures they must state it in near-identical words. The same
measure with different figures, or the same event called by opposing names (acquired / licensed), is a
conflict.

What it cannot read: meaning beyond these words. A figure stated for a company two sentences away, a
measure named by a word outside the lexicon below, or a paraphrase of a claim without figures is not
matched; the report says what Consensus counts so a reader can weigh that.
"""

from pipeline.claims.comparing import (
    Published,
    basis,
    describe,
    differ,
    measured_basis,
    opposed_accounts,
    period_end,
    published_as,
    same_fact,
    states_same,
)
from pipeline.claims.reading import (
    ACTIONS,
    COUNTED,
    MEASURES,
    OPPOSED,
    Claim,
    Fact,
    describes_company,
    measure_words,
    named_days,
    read_claims,
)

__all__ = [
    "ACTIONS", "COUNTED", "MEASURES", "OPPOSED", "Claim", "Fact", "Published", "basis", "describe", "describes_company",
    "differ", "measure_words", "measured_basis", "named_days", "opposed_accounts", "period_end", "published_as",
    "read_claims", "same_fact", "states_same",
]
