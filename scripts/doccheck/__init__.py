"""The pieces of scripts/check-docs.py."""
