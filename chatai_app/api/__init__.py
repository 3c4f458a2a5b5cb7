"""HTTP routes mounted into the Reflex app through `api_transformer`."""
