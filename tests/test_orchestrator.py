"""The orchestrator with a named fake searcher: any backend's failed searches reach the report."""

from click.testing import CliRunner

from pipeline.analysts.rules import RuleAnalyst
from pipeline.cache import StageCache
from pipeline.models import Evidence, QueryFailure, SearchResults, Source, TokenUsage
from pipeline.orchestrator import run_research
from pipeline.stages import Backends
from tests.conftest import make_request


class FakePartlyFailingSearcher:
    """Answers every query but the last with one passage; the last one 'fails after retries'."""

    identity = "fake-search"
    description = "fake search backend (tests)"
    usage = TokenUsage(calls=2, prompt_tokens=10)

    def search(self, request, queries):
        *answered, failed = queries
        evidence = [
            Evidence(text="Cerebras beat NVIDIA with 2,522 tokens per second in a benchmark.", source=Source(url="https://a.example/", publisher="A"), query=q.text)
            for q in answered
        ]
        return SearchResults(
            evidence=evidence,
            executed_queries=[q.text for q in queries],
            failures=[QueryFailure(query=failed.text, error="503 UNAVAILABLE after 4 retries")],
        )


def test_failed_search_is_a_gap_and_the_run_is_partial(tmp_path):
    backends = Backends(analyst=RuleAnalyst(), searcher=FakePartlyFailingSearcher())
    report = run_research(make_request(query_count=3), backends, StageCache(None, warn=print))
    assert report.metadata.partial
    assert report.gaps[-1].title == "Failed search" and "503 UNAVAILABLE" in report.gaps[-1].text
    assert report.findings and report.metadata.search_backend == "fake search backend (tests)"
    assert report.metadata.usage.calls == 2  # the searcher's model calls count, whoever the analyst is


def test_partial_run_writes_the_report_and_exits_3(tmp_path, monkeypatch):
    from pipeline import generate
    from pipeline.cli import generate_report
    from pipeline.registry import Registry, register_builtins

    fake = Registry()
    register_builtins(fake)
    fake.add_searcher("partly-failing", lambda options: FakePartlyFailingSearcher(), "a fake that fails some searches")
    monkeypatch.setattr(generate, "registry", lambda: fake)
    result = CliRunner().invoke(
        generate_report, ["Cerebras vs NVIDIA", "--out", str(tmp_path), "--queries", "2", "--search", "partly-failing"]
    )
    assert result.exit_code == 3
    assert "Failed search" in (tmp_path / result.stdout.strip().rsplit("/", 1)[-1]).read_text()


def test_partial_search_results_are_not_cached(tmp_path):
    cache = StageCache(tmp_path / "cache", warn=print)
    backends = Backends(analyst=RuleAnalyst(), searcher=FakePartlyFailingSearcher())
    run_research(make_request(query_count=3), backends, cache)
    again = run_research(make_request(query_count=3), backends, cache)
    assert {s.stage: s.cached for s in again.metadata.stages} == {
        "expand": True, "search": False, "assess": True, "plan": True, "follow-up": False, "judge": True, "synthesize": True
    }  # the failed queries are retried (the second round's too); the unchanged evidence is then assessed and judged from cache


def test_a_model_shared_by_analyst_and_searcher_is_counted_once():
    shared = TokenUsage(calls=3, prompt_tokens=30)

    class SharingAnalyst(RuleAnalyst):
        usage = shared

    class SharingSearcher(FakePartlyFailingSearcher):
        usage = shared

    report = run_research(make_request(query_count=2), Backends(SharingAnalyst(), SharingSearcher()), StageCache(None, warn=print))
    assert report.metadata.usage.calls == 3


def test_a_cached_rerun_reports_the_model_version_that_did_the_work(tmp_path):
    class VersionedAnalyst(RuleAnalyst):
        """Reports a version only once it has made a call, as API-backed analysts do."""

        calls = 0

        @property
        def model_label(self):
            return "model-2026-11-01" if self.calls else "model-latest"

        def synthesize(self, request, results, assessment):
            self.calls += 1
            return super().synthesize(request, results, assessment)

    cache = StageCache(tmp_path / "cache", warn=print)
    searcher = FakePartlyFailingSearcher()
    searcher.search = lambda request, queries: SearchResults(executed_queries=[q.text for q in queries])  # complete
    first = run_research(make_request(), Backends(VersionedAnalyst(), searcher), cache)
    again = run_research(make_request(), Backends(VersionedAnalyst(), searcher), cache)
    assert all(s.cached for s in again.metadata.stages)
    assert first.metadata.model == again.metadata.model == "model-2026-11-01"
