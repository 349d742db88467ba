"""HTTP API and the operators' command line: the top layer, imported by nothing."""
