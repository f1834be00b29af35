"""The append-only audit log of operator actions: who, what, when, before and after."""
