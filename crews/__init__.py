"""CrewAI crews used by the flows (later issues)."""
