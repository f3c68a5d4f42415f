"""The LLM analyst shared by every model backend: prompts, packing, validation, quote checks."""

from pipeline.analysts.llm.analyst import LLMAnalyst, clean_reply

__all__ = ["LLMAnalyst", "clean_reply"]
