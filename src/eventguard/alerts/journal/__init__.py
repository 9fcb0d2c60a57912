"""The intake journal: requests are *accepted* (authenticated, checked, appended durably, answered)
and *processed* later in large batches (deduplicated, classified, grouped into incidents)."""
