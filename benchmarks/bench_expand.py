"""The whole expansion against `nlp.pipe` alone over the same texts.

Synthetic personas, made by recombining the example personas' sentences
and phrases (personas/*.yaml): each takes two to four description sentences
and a handful of interests, pain points, products and qualifiers drawn from
all five, until there are at least --fields persona text fields (default
10,000). The baseline pipes exactly the texts the expansion parses, with the
same pipeline (same components), so the ratio is what the expansion's own
work adds to parsing. Target: at most 1.25x.
Run from the repository root: python benchmarks/bench_expand.py [--fields N] [--repeat N]
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

from common import report, time_call

from longtail.config import load_config
from longtail.expand import PhraseExpander, load_nlp
from longtail.personas import TEXT_FIELDS, Persona, load_personas

ROOT = Path(__file__).resolve().parent.parent
LIST_FIELDS = ("interests", "pain_points", "products", "qualifiers")
# How many entries each synthetic persona draws per list field: about what
# the example personas have.
DRAWS = {"interests": (3, 5), "pain_points": (3, 5), "products": (5, 7), "qualifiers": (4, 6)}
SENTENCES = (2, 4)


def synthetic_personas(fields: int, seed: int = 7) -> list[Persona]:
    """Personas recombined from the example personas' sentences and phrases, `fields` or more."""
    examples = load_personas([ROOT / "personas"])
    sentences = [
        sentence.strip()
        for persona in examples
        for sentence in re.split(r"(?<=\.)\s+", persona.description)
        if sentence.strip()
    ]
    pools = {
        field: sorted({entry for persona in examples for entry in getattr(persona, field)})
        for field in LIST_FIELDS
    }
    template = examples[0].model_dump()
    rng = random.Random(seed)
    personas: list[Persona] = []
    total = 0
    while total < fields:
        data = dict(template)
        data["id"] = f"synthetic-{len(personas):05d}"
        data["description"] = " ".join(rng.sample(sentences, rng.randint(*SENTENCES)))
        for field in LIST_FIELDS:
            data[field] = rng.sample(pools[field], rng.randint(*DRAWS[field]))
        persona = Persona.model_validate(data)
        personas.append(persona)
        total += 1 + sum(len(data[field]) for field in LIST_FIELDS)
    return personas


def texts_of(personas: list[Persona]) -> list[str]:
    """Every text field the expansion parses, in its order."""
    texts: list[str] = []
    for persona in personas:
        for field in TEXT_FIELDS:
            value = getattr(persona, field)
            texts.extend([value] if isinstance(value, str) else value)
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fields", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    nlp = load_nlp()
    config = load_config(cwd=ROOT)
    personas = synthetic_personas(args.fields)
    texts = texts_of(personas)
    words = sum(len(text.split()) for text in texts)
    list(nlp.pipe(texts[:200]))  # warm up: the first batches allocate

    counted: list[int] = []

    def expansion() -> None:
        # A new expander each time, so the modifiers are parsed again as in a real run.
        counted.append(len(PhraseExpander(nlp, config).expand(personas)))

    def pipe_alone() -> None:
        for _ in nlp.pipe(texts):
            pass

    # Interleaved: each expansion is compared with the pipe run just before
    # it, so a machine slowing down or speeding up during the run weighs on
    # both alike; the pair with the median ratio is reported.
    pairs: list[tuple[float, float]] = []
    for _ in range(args.repeat):
        pipe_time = time_call(pipe_alone, 1)
        pairs.append((time_call(expansion, 1), pipe_time))
    pairs.sort(key=lambda pair: pair[0] / pair[1])
    whole, pipe = pairs[len(pairs) // 2]
    candidates = counted[-1]
    print(
        f"{len(personas):,} synthetic personas (recombined from personas/*.yaml), "
        f"{len(texts):,} text fields, {words:,} words; pipeline: {', '.join(nlp.pipe_names)}"
    )
    print(f"nlp.pipe alone: {words / pipe:,.0f} words/s")
    print(
        f"expansion: {candidates:,} candidates, {candidates / whole:,.0f} candidates/s, "
        f"{words / whole:,.0f} words/s"
    )
    report("expansion (parse + patterns + rules + dedup + cap)", whole, "nlp.pipe alone",
           pipe, target=1.25)  # fmt: skip


if __name__ == "__main__":
    main()
