"""Onboarding: a product's declared flow (steward.flows) driven per tenant, over any channel."""
