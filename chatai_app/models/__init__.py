"""SQLModel tables. Alembic owns the schema; importing this registers the metadata."""

from sqlmodel import SQLModel

from chatai_app.models.accounts import AuthSession, Membership, PlatformRole, RateLimitBucket, Tenant, TenantRole, User
from chatai_app.models.assistants import Assistant, BotInstance, OutboxMessage, TelegramUpdate
from chatai_app.models.billing import BalanceTransaction, Payment, PaymentEvent, Plan, PromoCode, PromoRedemption
from chatai_app.models.dialogs import CannedReply, Dialog, DialogMessage, DialogStatus, HandoffAudit, OperatorPresence
from chatai_app.models.feedback import AnswerFeedback
from chatai_app.models.key_pool import ProviderKeyUsage
from chatai_app.models.knowledge import (
    DEFAULT_EMBEDDING_DIM,
    Document,
    DocumentFile,
    IngestionBatch,
    KnowledgeChunk,
    KnowledgeSource,
    QAPair,
)
from chatai_app.models.platform import AuditLog, ProviderKey, StartPageEvent, SystemSetting
from chatai_app.models.search_stats import SearchScopeStat, SearchTermStat
from chatai_app.models.security import AccountToken, EmailMessage, Invitation, LogRecord, RecoveryCode

metadata = SQLModel.metadata

__all__ = [
    "DEFAULT_EMBEDDING_DIM",
    "AccountToken",
    "AnswerFeedback",
    "Assistant",
    "AuditLog",
    "AuthSession",
    "BalanceTransaction",
    "BotInstance",
    "CannedReply",
    "Dialog",
    "DialogMessage",
    "DialogStatus",
    "Document",
    "DocumentFile",
    "EmailMessage",
    "HandoffAudit",
    "IngestionBatch",
    "Invitation",
    "KnowledgeChunk",
    "KnowledgeSource",
    "LogRecord",
    "Membership",
    "OperatorPresence",
    "OutboxMessage",
    "Payment",
    "PaymentEvent",
    "Plan",
    "PlatformRole",
    "PromoCode",
    "PromoRedemption",
    "ProviderKey",
    "ProviderKeyUsage",
    "QAPair",
    "RateLimitBucket",
    "RecoveryCode",
    "SearchScopeStat",
    "SearchTermStat",
    "StartPageEvent",
    "SystemSetting",
    "TelegramUpdate",
    "Tenant",
    "TenantRole",
    "User",
    "metadata",
]
