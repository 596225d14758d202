"""Side-by-side benchmarks of hyperlab and its peers (``make bench``)."""
