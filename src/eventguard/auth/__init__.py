"""Users, role tiers, API tokens, sessions and TOTP two-factor authentication."""
