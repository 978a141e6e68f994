"""Rule kinds (code) and rule packs (TOML data in ``packs/``)."""
