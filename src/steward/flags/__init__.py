"""Kill switches: named flags in the database, seen by every process within a second."""
