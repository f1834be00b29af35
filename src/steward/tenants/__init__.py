"""Tenants: the customers of the product, with their payment state and timeline."""
