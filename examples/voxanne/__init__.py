"""Voxanne: AI voice calls billed from a prepaid wallet (seed 003_166ac81b3cec5fa5)."""
