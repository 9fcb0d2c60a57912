"""The public status page: the page view, its documents (HTML, Statuspage JSON, Atom), the render cache
and the fast paths in front of the app, static publishing, component states and its routes."""
