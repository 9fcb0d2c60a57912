"""Participants who subscribe to an event's updates (email or webhook), with confirm and unsubscribe links."""
