"""Renderers: turn results into text, markdown or JSON. They never see secret values."""
