"""Hypothesis strategies shared by the test modules (fixtures live in conftest.py)."""
from hypothesis import strategies as st

# Any text, or news-like text assembled from pieces that exercise the cue, quotation, entity and
# segmentation rules (whitespace runs, month names, hedge verbs after determiners...).
news_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=300
) | st.lists(
    st.sampled_from([
        "Officials said", "the missile", "may have been", "a new type.", "\n\n", "“", "”", '"', "According to KCNA,",
        "Kim Jong Un", "reportedly", "visited Pyongyang", "It is unclear whether", "No. 47", "Dec. 4.", "?", "!",
        "could not", "2024", "  ", "\n", "Reuters reported that", "which may", "in May", "May", "The family believes",
        "suspected", "than expected", "Andrew Bor:",
    ]),
    max_size=30,
).map(" ".join)
