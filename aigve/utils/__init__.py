"""Small shared helpers (no heavy imports here; import the submodule you need)."""
