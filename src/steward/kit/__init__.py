"""Small shared pieces: clock, ids, phone numbers, money."""
