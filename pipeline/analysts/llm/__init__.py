"""The LLM analyst shared by every model backend: prompts, packing, validation, quote checks."""

from pipeline.analysts.llm.analyst import ChatModel, LLMAnalyst, ModelCallError, ModelOutputError, clean_reply

__all__ = ["ChatModel", "LLMAnalyst", "ModelCallError", "ModelOutputError", "clean_reply"]
