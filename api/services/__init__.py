"""The product's rules, one module per domain. Each entry point owns its transaction."""
