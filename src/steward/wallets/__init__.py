"""Prepaid usage wallets: an append-only ledger with a debt limit, usage in through meters,
top-ups and auto-recharge through Stripe, and reconciliation against the call provider."""
