"""Plan as code: the YAML emergency plan, its validation, immutable versions, export and diff."""
