"""Orders: a customer buying several things (GivrWrld's servers), each paid, provisioned and
cancelled on its own."""
