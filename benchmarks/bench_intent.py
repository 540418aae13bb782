"""Labelling 100,000 keywords with the intent classifier, against normalising them alone.

Normalisation (longtail.text.normalise_keyword) is the floor any labelling of
raw keywords pays; the ratio says what the classification adds on top.
Run: python benchmarks/bench_intent.py
"""

from __future__ import annotations

from common import time_call

from longtail.config import load_config
from longtail.intent import IntentClassifier
from longtail.text import normalise_keyword

KEYWORDS = [
    f"{modifier} {product} {number}"
    for number in range(2_500)
    for modifier in ("best", "cheap", "how to clean", "", "Women’s")
    for product in ("trail running shoes", "hiking boots", "ridgeline tent", "Duvet Cover")
    for _ in range(2)
]


def main() -> None:
    classifier = IntentClassifier(load_config().modifiers, brands=["ridgeline"])
    baseline = time_call(lambda: [normalise_keyword(k) for k in KEYWORDS], repeat=5)
    measured = time_call(lambda: [classifier.classify(k) for k in KEYWORDS], repeat=5)
    print(
        f"{len(KEYWORDS):,} keywords: classify {measured:.3f} s "
        f"({len(KEYWORDS) / measured:,.0f} keywords/s); normalise alone {baseline:.3f} s; "
        f"ratio {measured / baseline:.2f}x"
    )


if __name__ == "__main__":
    main()
