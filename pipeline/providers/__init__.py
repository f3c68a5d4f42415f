"""Model providers: clients that call a model (Gemini through google-genai, others through LangChain)
and count what they spend. Analysts and web search both use them; providers import neither."""
