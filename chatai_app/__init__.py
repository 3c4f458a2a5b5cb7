"""ChatAI: multi-tenant AI assistants with live operator handoff."""
