"""The durable webhook inbox: verify, store raw once, apply exactly once, replay on demand."""
