"""Outside providers: a client protocol, the real adapter, and a sandbox peer for each."""
