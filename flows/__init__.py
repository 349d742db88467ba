"""CrewAI Flows: order intake, product search, financial analysis (later issues)."""
