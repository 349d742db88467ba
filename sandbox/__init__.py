"""Embedded backends and demo data, so the product runs and is tested offline."""
