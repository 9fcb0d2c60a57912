"""The offline emergency kit (离线资料包): the plan as one self-contained HTML file and a PDF, for
when EventGuard itself cannot be reached (docs/kit.md)."""
