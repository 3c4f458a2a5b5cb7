"""UI only: one module per route; no SQL, no business logic."""
