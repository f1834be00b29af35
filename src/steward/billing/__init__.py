"""Billing: how provider events change a tenant's payment state."""
