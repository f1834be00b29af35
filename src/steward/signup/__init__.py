"""Public self-serve signup: a product-declared wizard of steps, each a public endpoint behind a
short-lived step token."""
