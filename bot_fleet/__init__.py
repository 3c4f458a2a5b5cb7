"""Telegram channel adapter: one process serving many tenants' bots (see issue 5)."""
