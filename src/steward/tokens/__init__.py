"""Short-lived tenant tokens (JWT) for the tenant API, with key ids and rotation."""
