import pytest

from pipeline.errors import UsageError
from pipeline.settings import Settings, load_settings


def test_defaults_need_no_file(tmp_path, monkeypatch):
    monkeypatch.setenv("GROUNDBRIEF_CONFIG", str(tmp_path / "missing.toml"))
    load_settings.cache_clear()
    assert load_settings() == Settings()


def test_file_overrides_and_longest_prefix_wins(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_text('concurrency = 2\n[context_tokens]\n"ollama" = 4096\n"ollama:qwen2.5" = 32768\n')
    monkeypatch.setenv("GROUNDBRIEF_CONFIG", str(path))
    load_settings.cache_clear()
    settings = load_settings()
    assert settings.concurrency == 2
    assert settings.context_for("ollama:qwen2.5:7b") == 32768
    assert settings.context_for("ollama:llama3") == 4096
    assert settings.context_for("mystery") == 8192


def test_invalid_file_is_one_clear_error(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_text("concurrency = 0\n")
    monkeypatch.setenv("GROUNDBRIEF_CONFIG", str(path))
    load_settings.cache_clear()
    with pytest.raises(UsageError, match="is invalid"):
        load_settings()
    load_settings.cache_clear()
