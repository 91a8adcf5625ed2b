"""The HTTP side: the client, the vendor adapters and the session that opens connections."""
