"""One typed settings object, read from the environment (and `.env`).

Every option is documented in `.env.example` and in the README's
configuration table; keep the three in step.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    """`production` refuses to start without an explicit SECRET_KEY."""

    host: str = "127.0.0.1"
    port: int = 8000
    shutdown_grace_seconds: int = 25
    """On SIGTERM or SIGINT an API process answers the requests it has received
    for up to this long; any still open then are cancelled."""
    var_dir: Path = Path("var")
    """Where the embedded default keeps its SQLite file, secret key, mail and uploads."""
    attachments_dir: str = ""
    """Empty: VAR_DIR/attachments. Every API host must see the same directory."""
    attachment_max_bytes: int = 10 * 1024 * 1024
    attachment_types: list[str] = Field(
        default_factory=lambda: [
            "application/pdf",
            "image/png",
            "image/jpeg",
            "image/gif",
            "image/webp",
            "text/plain",
            "text/csv",
        ]
    )
    """Media types an attachment may have, as detected from its bytes."""

    database_url: str = ""
    """Empty: SQLite under VAR_DIR. `postgres://user:pass@host:5432/db` for PostgreSQL."""
    db_pool_min: int = 1
    db_pool_max: int = 10

    redis_url: str = ""
    """Empty: jobs run in-process and pub/sub, rate limits stay in memory."""
    redis_prefix: str = "csm-graph:"
    """Namespace for every Redis key this deployment writes."""
    arq_queue_name: str = "csm-graph:queue"
    inprocess_periodic_jobs: bool = True
    """Without REDIS_URL, run the periodic jobs (outbox sweep, token purge) in the API process."""
    worker_shutdown_grace_seconds: int = 25
    """On SIGTERM or SIGINT a worker takes no new job and lets those in flight run this
    long; any still running then is cancelled and queued again for the next worker."""

    secret_key: str = ""
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    jwt_issuer: str = "csm-graph"

    verify_token_hours: int = 48
    reset_token_minutes: int = 60
    set_password_token_days: int = 7

    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 2

    login_max_failures: int = 5
    """Failed logins allowed per account, and 4x this per client address, per window."""
    login_failure_window_seconds: int = 900

    max_query_depth: int = 12
    max_query_tokens: int = 2000
    max_query_aliases: int = 30
    max_page_size: int = 100
    max_query_cost: int = 25000
    """The most a document may cost (see `schema/cost.py`): about a page of 100 cases
    with a dozen related objects each."""
    max_query_cost_anonymous: int = 500
    """The same for requests without a viewer (logging in, signing up, a survey)."""
    ws_max_operations: int = 20
    max_body_bytes: int = 1024 * 1024
    """Largest request body outside file uploads (a JSON request, a WebSocket message)."""
    """Operations (subscriptions, queries in flight) one WebSocket may hold at once."""
    import_max_bytes: int = 50 * 1024 * 1024

    @property
    def max_upload_bytes(self) -> int:
        """Largest multipart request: the largest file it may carry, and room for the rest."""
        return max(self.import_max_bytes, self.attachment_max_bytes) + 1024 * 1024

    apq_max_documents: int = 10000
    """Most automatically persisted documents kept (least recently used go first)."""
    apq_ttl_seconds: int = 7 * 24 * 3600
    """How long an automatically persisted document is kept after its last use."""
    apq_allow_list_only: bool = False
    """Run only documents registered with `csm-graph persisted register`."""
    plans_enabled: bool = True
    """Answer registered documents from compiled plans (`docs/performance.md`);
    false: every request takes the generic path."""
    plans_disabled: list[str] = Field(default_factory=list)
    """Operation names whose plans are switched off (the generic path answers them)."""
    plan_check_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    """Share of planned answers also run on the generic path after the response,
    compared, and the plan switched off in this process if they ever differ."""

    smtp_host: str = ""
    """Empty: emails are written as `.eml` files under VAR_DIR/mail."""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    smtp_use_tls: bool = False
    mail_from: str = "csm-graph <no-reply@csm-graph.local>"
    smtp_timeout_seconds: int = 30
    """Timeout for one SMTP conversation."""
    mail_max_attempts: int = 6
    """Sending attempts per email before it is marked FAILED."""
    mail_retry_base_seconds: int = 60
    """Back-off after the first failed attempt; doubles with each further failure."""
    mail_retry_max_seconds: int = 3600
    """Longest back-off between two sending attempts."""
    mail_sending_timeout_seconds: int = 600
    """An email claimed this long ago and still not sent is taken again (its worker died)."""
    mail_sweep_batch: int = 500
    """Most emails the minutely sweep enqueues at once."""
    mail_default_language: str = "en"
    """Language of emails to internal users, and to recipients whose language is
    unknown or not shipped (a language tag such as en or es)."""
    mail_time_zone: str = "UTC"
    """Time zone (IANA name, such as Europe/Madrid) of dates and times in emails."""

    mail_in_addresses: list[str] = Field(default_factory=list)
    """Addresses `csm-graph mail-in` accepts mail for (`support@example.com`); also
    their `+tag` forms. The first one is the base of the per-case reply addresses."""
    mail_in_host: str = "127.0.0.1"
    mail_in_port: int = 2525
    mail_in_tls_cert: str = ""
    """PEM file of the certificate (and chain) `mail-in` offers STARTTLS with;
    empty: no STARTTLS. Needs MAIL_IN_TLS_KEY."""
    mail_in_tls_key: str = ""
    """PEM file of that certificate's private key."""
    mail_in_require_tls: bool = False
    """Refuse mail until the client has started TLS (530 at MAIL FROM); needs
    MAIL_IN_TLS_CERT."""
    mail_in_max_bytes: int = 25 * 1024 * 1024
    """Largest message `mail-in` accepts (SMTP SIZE); larger ones are refused with 552."""
    mail_in_unknown_senders: bool = True
    """Open a case for a sender with no consumer record (a new, unverified record);
    false: park their messages for an agent instead."""
    mail_in_rate_limit: int = 20
    """Messages per sender per hour that are processed; the rest are ignored (mail loops)."""
    imap_host: str = ""
    """The mailbox `csm-graph mail-poll` reads; empty: polling is off."""
    imap_port: int = 993
    imap_tls: bool = True
    imap_username: str = ""
    imap_password: str = ""
    imap_mailbox: str = "INBOX"
    imap_processed_mailbox: str = ""
    """Folder `mail-poll` moves each message to once it is stored (made if missing;
    the server must offer IMAP MOVE); empty: messages stay, flagged seen."""
    imap_poll_seconds: int = 60
    """Pause between two polls of `mail-poll` (without `--once`)."""

    survey_window_days: int = 90
    """A consumer gets at most one satisfaction survey in this many days."""
    survey_token_days: int = 30
    """How long a survey link can be answered."""
    auto_close_days: int = 7
    """A RESOLVED case with no answer from the consumer for this many days is closed."""
    export_link_hours: int = 72
    """How long the emailed link to a consumer's data export works (once)."""
    delegation_max_days: int = 365
    """The longest a delegation a consumer starts may last, in days from its invitation."""
    delegation_invite_days: int = 14
    """How long the emailed link accepting a delegation works (once)."""
    delegation_reminder_days: int = 7
    """Both sides of a delegation are reminded this many days before its last day."""
    retention_inactive_days: int = 0
    """Erase consumers with no activity for this many days (see `privacy/retention.py`);
    0: never."""
    retention_outbox_days: int = 0
    """Empty the content of emails sent more than this many days ago; 0: never."""
    webhook_timeout_seconds: float = 10.0
    """How long one webhook request may take, connecting included."""
    webhook_max_attempts: int = 8
    """Attempts per webhook delivery before it is marked FAILED."""
    webhook_retry_base_seconds: int = 30
    """Back-off after a delivery's first failed attempt; doubles with each further failure."""
    webhook_retry_max_seconds: int = 6 * 3600
    """Longest back-off between two attempts of a delivery."""
    webhook_sending_timeout_seconds: int = 300
    """A delivery claimed this long ago and still not sent is taken again (its worker died)."""
    webhook_disable_after_failures: int = 20
    """Consecutive failed attempts (across deliveries) after which an endpoint is
    disabled and its owner emailed; 0: never."""
    webhook_response_excerpt_bytes: int = 1024
    """How much of an endpoint's response body an attempt keeps."""
    webhook_allow_private_addresses: bool | None = None
    """Whether endpoint URLs may point at loopback, private or link-local addresses;
    unset: allowed everywhere but `production`."""

    portal_url: str = "http://localhost:3000"
    allowed_origins: list[str] = Field(default_factory=list)
    """Origins allowed to open the WebSocket (and CORS). Empty: same origin only."""

    default_phone_region: str = "US"
    metrics_token: str = ""
    """Serve `/metrics` only with `Authorization: Bearer <this>`; empty: open in
    development, off in production."""
    log_level: str = "INFO"
    log_json: bool | None = None
    """One JSON object per line (true) or plain text (false); unset, JSON
    everywhere but `development`, whose terminal a person reads."""
    sql_count_header: bool = False
    """Benchmarks only: count SQL statements per request into an `X-SQL-Statements` header."""

    @model_validator(mode="after")
    def _secret_required_in_production(self) -> Settings:
        if self.environment == "production" and len(self.secret_key) < 32:
            raise ValueError("SECRET_KEY (32+ characters) is required in production")
        return self

    @model_validator(mode="after")
    def _mail_in_tls_complete(self) -> Settings:
        if bool(self.mail_in_tls_cert) != bool(self.mail_in_tls_key):
            raise ValueError("MAIL_IN_TLS_CERT and MAIL_IN_TLS_KEY are set together")
        if self.mail_in_require_tls and not self.mail_in_tls_cert:
            raise ValueError("MAIL_IN_REQUIRE_TLS needs MAIL_IN_TLS_CERT and MAIL_IN_TLS_KEY")
        return self

    @field_validator("log_json", "webhook_allow_private_addresses", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("imap_mailbox", "imap_processed_mailbox")
    @classmethod
    def _plain_mailbox_name(cls, value: str) -> str:
        # IMAP names other characters in modified UTF-7, which mail-poll does not write.
        if any(not " " <= c <= "~" for c in value):
            raise ValueError("IMAP folder names are printable ASCII (letters, digits, spaces)")
        return value

    @field_validator("mail_time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"MAIL_TIME_ZONE {value!r} is not a known time zone") from exc
        return value

    @property
    def logs_as_json(self) -> bool:
        """Whether the logs are JSON lines: LOG_JSON, else by environment."""
        if self.log_json is not None:
            return self.log_json
        return self.environment != "development"

    @property
    def webhooks_reach_private_addresses(self) -> bool:
        """WEBHOOK_ALLOW_PRIVATE_ADDRESSES, else by environment."""
        if self.webhook_allow_private_addresses is not None:
            return self.webhook_allow_private_addresses
        return self.environment != "production"

    @property
    def uses_redis(self) -> bool:
        return bool(self.redis_url)

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    @property
    def attachments_path(self) -> Path:
        return Path(self.attachments_dir) if self.attachments_dir else self.var_dir / "attachments"

    @property
    def persisted_queries_dir(self) -> Path:
        """Registered documents without Redis."""
        return self.var_dir / "persisted-queries"

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once and kept under VAR_DIR."""
        if self.secret_key:
            return self.secret_key
        path = self.var_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.var_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key

    def as_environment(self) -> dict[str, str]:
        """Every setting as the environment variable it is read from: what a
        child `csm-graph` process (a worker, a second API) needs to share them."""
        env: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is None:
                text = ""  # unset, as the `_empty_is_unset` fields read it
            elif isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, list | dict):
                text = json.dumps(value)
            else:
                text = str(value)
            env[name.upper()] = text
        return env


_current: Settings | None = None


def get_settings() -> Settings:
    """The process's settings: those given to `use_settings`, else the environment's."""
    global _current
    if _current is None:
        _current = Settings()
    return _current


def use_settings(settings: Settings) -> Settings:
    """Make `settings` the process's settings (the app factory, the CLI and tests call this)."""
    global _current
    _current = settings
    return settings
