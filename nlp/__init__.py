"""claimlens: how firmly does a news article put forward each claim?"""

__version__ = "0.1.0"

LABELS = ("reported_fact", "attribution", "speculation")
