"""Subscriptions: checkout, trials, the paid lifecycle as an explicit state machine, self-serve
cancellation, entitlements, and catching up on webhooks Stripe never delivered."""
