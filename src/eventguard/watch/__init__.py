"""Content watch (内容合规 / 恶意刷屏): participant messages pushed in batches, matched against the
plan's sensitive-word lists, flood detection, the moderation queue and its alerts (docs/probes.md)."""
