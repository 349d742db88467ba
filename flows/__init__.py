"""The product's flows.

CrewAI would report telemetry and traces to its cloud; this product runs offline and must
never call a hub at run time, so both are switched off before crewai is first imported.
"""

import os

for _name, _value in (("CREWAI_DISABLE_TELEMETRY", "true"), ("OTEL_SDK_DISABLED", "true"),
                      ("CREWAI_TRACING_ENABLED", "false"),
                      ("CREWAI_DISABLE_VERSION_CHECK", "true")):
    os.environ.setdefault(_name, _value)
