"""Telling participants: the public status page, public updates, subscribers, backup plans."""
