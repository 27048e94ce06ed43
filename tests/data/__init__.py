"""Test data kept in the project, so a clone runs its tests with nothing beside it."""

from pathlib import Path

QBO_SAMPLES = Path(__file__).resolve().parent / "qbo-samples"
