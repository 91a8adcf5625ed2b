"""voiceops: keep voice-AI assistants exactly as a git repository describes them."""

__version__ = "0.2.0"
