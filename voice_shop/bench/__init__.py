"""The benchmark report (``voice-shop bench``): figures and ratios, never pass/fail."""
