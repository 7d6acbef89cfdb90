"""Evaluation harness: score any model's diagnoses on a ground-truth fault matrix."""
