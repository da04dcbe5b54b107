"""HTTP I/O: the REST API and the browser pages."""
