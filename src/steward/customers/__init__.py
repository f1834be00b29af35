"""Customers of a tenant signing in: magic links (email verification and sign-in), sessions,
and rate limits per client address."""
