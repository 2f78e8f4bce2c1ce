"""Background jobs: the steps their activities run and the request side that starts them."""
