"""Benchmarks (``make bench``): each module measures one non-functional target of PRODUCT.md against its
reference, on this machine, and writes its figures to ``bench/results/`` (docs/benchmarks.md quotes them)."""
