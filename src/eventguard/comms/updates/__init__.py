"""Public updates: drafts from the plan's announcement templates (wording), approval and publishing,
scheduled maintenances, and the response team's routes for them."""
