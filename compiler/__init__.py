"""synthspec: a schema-first compiler for synthetic data specs."""
