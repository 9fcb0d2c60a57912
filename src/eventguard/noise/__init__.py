"""Noise control: silences, maintenance windows and the pages they hold (docs/noise.md)."""
