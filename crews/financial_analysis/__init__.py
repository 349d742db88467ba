"""The finance crew: the narrative of the financial report (LLM mode or template)."""
