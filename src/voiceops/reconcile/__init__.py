"""Specs + live state -> changes -> plan -> requests -> read-back."""
