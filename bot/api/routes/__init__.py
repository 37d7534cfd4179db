"""Route modules, one per feature; each handler translates the request and calls the core once."""
