"""`make bench`: performance ratios against the stock alternative, measured in one run."""
