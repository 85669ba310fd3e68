"""The HTTP door: the REST API (`http.api`) and the web board (`http.web`), mounted side by side
by `http.app`, with the plumbing both share (dependencies, problems, limits, downloads)."""
