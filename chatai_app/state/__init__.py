"""Reflex states: one flat substate per page/feature; they call services, never SQL."""
