"""The demo product that ``make run`` serves."""
