"""Console features: one module per feature, each with `register(app)` (see EXTENDING.md)."""
