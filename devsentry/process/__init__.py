"""What is derived from a stored envelope: typed items, grouping (fingerprint, title, culprit,
crash frame, message normalization) and the index, by the `Indexer` that runs after the commit."""
