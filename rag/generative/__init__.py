"""The generative engine: an LLM's answer (``models``, ``prompts/``), each sentence verified (``verify``)."""
