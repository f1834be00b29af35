"""Example products built on Steward, one per reference system in ../shared/seeds."""
