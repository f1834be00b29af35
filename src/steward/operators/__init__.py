"""Operators: the people who run Steward, their passwords and their cockpit sessions."""
