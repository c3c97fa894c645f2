"""The ``misec`` command line: thin wrappers that parse arguments and call the API."""
