"""Buyer personas: the YAML schema, loading, and validation that reports every problem.

One YAML file per persona. The text fields (description, interests, pain
points, products, qualifiers) are what the expansion reads; `clv` says what a
customer of the segment is worth; `market` says where and in which language
they search.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from longtail.errors import PersonaError, Problem
from longtail.markets import DEFAULT_NETWORK, GEO_TARGETS, LANGUAGES, NETWORKS

PERSONA_SUFFIXES = (".yaml", ".yml")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def _positive(value: float) -> float:
    if value <= 0:
        raise PydanticCustomError("positive", f"{value:g} must be greater than 0")
    return value


def _fraction(value: float) -> float:
    if not 0 <= value <= 1:
        raise PydanticCustomError(
            "fraction",
            f"{value:g} is not between 0 and 1; write 42% as 0.42",
            {"value": value},
        )
    return value


def _one_of(known: Iterable[str], what: str, fold: str) -> AfterValidator:
    choices = sorted(known)

    def check(value: str) -> str:
        code = value.upper() if fold == "upper" else value.lower()
        if code not in choices:
            close = _close_match(code, choices)
            fix = f"did you mean {close!r}?" if close else f"use one of: {', '.join(choices)}"
            # Pre-formatted: pydantic would otherwise read braces in the value as a template.
            raise PydanticCustomError(
                "unknown_code", f"{value!r} is not a {what} longtail knows; {fix}"
            )
        return code

    return AfterValidator(check)


def _as_list(value: Any) -> Any:
    """Let a single string stand for a one-item list, as people write YAML."""
    return [value] if isinstance(value, str) else value


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def _non_blank(value: str) -> str:
    stripped = " ".join(value.split())
    if not stripped:
        raise PydanticCustomError("blank", "is empty; write some text or remove the entry", {})
    return stripped


Positive = Annotated[float, AfterValidator(_positive)]
Fraction = Annotated[float, AfterValidator(_fraction)]
Text = Annotated[str, AfterValidator(_non_blank)]
TextList = Annotated[list[Text], BeforeValidator(_as_list)]
GeoCode = Annotated[str, _one_of(GEO_TARGETS, "country code", "upper")]
LanguageCode = Annotated[str, _one_of(LANGUAGES, "language code", "lower")]
NetworkName = Annotated[str, _one_of(NETWORKS, "network", "lower")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Market(_Strict):
    """Where the segment searches: countries, language, currency, network."""

    geo: Annotated[list[GeoCode], BeforeValidator(_as_list), Field(min_length=1, max_length=10)] = [
        "US"
    ]
    language: LanguageCode = "en"
    currency: Annotated[str, BeforeValidator(_upper), Field(pattern=r"^[A-Z]{3}$")] = "USD"
    network: NetworkName = DEFAULT_NETWORK


class ClvInputs(_Strict):
    """What a customer is worth: stated outright, or the simple formula's inputs."""

    value: Positive | None = None
    average_order_value: Positive | None = None
    purchases_per_year: Positive | None = None
    retention_years: Positive | None = None
    gross_margin: Fraction | None = None

    @model_validator(mode="after")
    def _stated_or_formula(self) -> ClvInputs:
        formula = {
            "average_order_value": self.average_order_value,
            "purchases_per_year": self.purchases_per_year,
            "retention_years": self.retention_years,
        }
        missing = [name for name, given in formula.items() if given is None]
        if self.value is None and missing:
            raise PydanticCustomError(
                "clv_inputs",
                "needs either value (the CLV itself) or all of average_order_value, "
                "purchases_per_year and retention_years; missing: {missing}",
                {"missing": ", ".join(missing)},
            )
        return self


class ConversionRates(_Strict):
    """This segment's share of clicks that become customers, by search intent.

    An intent left out takes the configured default (longtail.toml, [economics]).
    """

    informational: Fraction | None = None
    commercial: Fraction | None = None
    transactional: Fraction | None = None
    navigational: Fraction | None = None

    def given(self) -> dict[str, float]:
        """The rates this persona sets, by intent."""
        return {intent: rate for intent, rate in self.model_dump().items() if rate is not None}


class Persona(_Strict):
    """One customer segment, as its YAML file describes it."""

    id: Annotated[str, Field(pattern=ID_PATTERN.pattern)]
    name: Text
    description: Text
    products: Annotated[TextList, Field(min_length=1)]
    interests: TextList = []
    pain_points: TextList = []
    qualifiers: TextList = []
    market: Market = Market()
    clv: ClvInputs
    negative_keywords: TextList = []
    # Brand names this segment searches for (the shop's or others'): navigational intent.
    brands: TextList = []
    channels: TextList = []
    landing_page: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None
    conversion_rates: ConversionRates = ConversionRates()

    _source: Path | None = PrivateAttr(default=None)

    @property
    def source(self) -> Path | None:
        """The file this persona was read from, if any."""
        return self._source


TEXT_FIELDS = ("description", "interests", "pain_points", "products", "qualifiers")


# ---------------------------------------------------------------- loading


def persona_files(paths: Sequence[Path]) -> list[Path]:
    """The persona files named by `paths`: files as given, folders' *.yaml and *.yml sorted."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in PERSONA_SUFFIXES)
            if not found:
                problems.append(
                    Problem(str(path), "no persona files (*.yaml, *.yml) in this folder")
                )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(path), "no such file or folder"))
    if problems:
        raise PersonaError(problems, _summary(problems, len(files)))
    return files


def load_personas(paths: Sequence[Path]) -> list[Persona]:
    """Read and validate every persona file under `paths`, reporting all problems at once."""
    files = persona_files(paths)
    personas: list[Persona] = []
    problems: list[Problem] = []
    for file in files:
        persona, found = _load_file(file)
        problems.extend(found)
        if persona is not None:
            personas.append(persona)
    problems.extend(_duplicate_ids(personas))
    if problems:
        raise PersonaError(problems, _summary(problems, len(files)))
    return personas


def _summary(problems: Sequence[Problem], file_count: int) -> str:
    bad_files = len({p.file for p in problems})
    total = max(file_count, bad_files)
    return (
        f"{_plural(len(problems), 'problem')} in {bad_files} of {_plural(total, 'persona file')}; "
        "fix them and run `longtail personas validate` again:"
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _load_file(file: Path) -> tuple[Persona | None, list[Problem]]:
    name = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        return None, [Problem(name, f"is not UTF-8 text ({error.reason}); save it as UTF-8")]
    except OSError as error:
        return None, [Problem(name, f"cannot be read: {error.strerror}")]
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        what = error.problem or "invalid YAML"
        return None, [
            Problem(name, f"invalid YAML: {what}; check indentation and quoting", line=line)
        ]
    except yaml.YAMLError as error:
        return None, [Problem(name, f"invalid YAML: {error}")]
    if data is None:
        return None, [
            Problem(
                name, "is empty; a persona needs at least id, name, description, products and clv"
            )
        ]
    if not isinstance(data, dict):
        return None, [
            Problem(
                name,
                f"must be a mapping of fields (id: ..., name: ...), not a {type(data).__name__}",
                line=1,
            )
        ]
    try:
        persona = Persona.model_validate(data)
    except ValidationError as error:
        found = [_problem(name, root, item) for item in error.errors()]
        return None, sorted(found, key=lambda problem: problem.line or 0)
    persona._source = file
    return persona, []


def _duplicate_ids(personas: Sequence[Persona]) -> list[Problem]:
    first: dict[str, Persona] = {}
    problems = []
    for persona in personas:
        if persona.id in first:
            problems.append(
                Problem(
                    str(persona.source),
                    f"{persona.id!r} is already the id of {first[persona.id].source}; "
                    "give each persona its own id",
                    field="id",
                )
            )
        else:
            first[persona.id] = persona
    return problems


# ---------------------------------------------------------------- messages

_MODELS: dict[str, type[BaseModel]] = {
    "": Persona,
    "market": Market,
    "clv": ClvInputs,
    "conversion_rates": ConversionRates,
}

_EXAMPLES = {
    "id": "id: trail-runner",
    "name": "name: Weekend trail runner",
    "description": "description: Outdoor lovers who run mountain trails on weekends",
    "products": "products: [trail running shoes, hydration vest]",
    "clv": "clv: {average_order_value: 140, purchases_per_year: 2.5, retention_years: 3}",
}


def _problem(file: str, root: yaml.Node | None, item: Any) -> Problem:
    loc = tuple(item["loc"])
    kind = item["type"]
    value = item.get("input")
    field = _dotted(loc)
    line = _line_of(root, loc)
    if kind == "missing":
        example = _EXAMPLES.get(str(loc[-1]))
        fix = f", e.g. `{example}`" if example else ""
        return Problem(file, f"is required; add it{fix}", field=field, line=line)
    if kind == "extra_forbidden":
        parent = ".".join(str(part) for part in loc[:-1] if isinstance(part, str))
        known = sorted(_MODELS.get(parent, Persona).model_fields)
        close = _close_match(str(loc[-1]), known)
        fix = f"did you mean {close!r}?" if close else f"the fields are: {', '.join(known)}"
        what = f"{parent} field" if parent else "persona field"
        return Problem(file, f"is not a {what}; {fix}", field=field, line=line)
    if kind == "string_pattern_mismatch":
        return Problem(file, _pattern_message(loc, value), field=field, line=line)
    if kind in {"float_type", "float_parsing", "int_type", "int_parsing"}:
        return Problem(
            file,
            f"{value!r} is not a number; write it without units, e.g. 140",
            field=field,
            line=line,
        )
    if kind in {"string_type"}:
        return Problem(file, f"expected text, got {_yaml_kind(value)}", field=field, line=line)
    if kind in {"list_type"}:
        return Problem(
            file, f"expected a list like [a, b], got {_yaml_kind(value)}", field=field, line=line
        )
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return Problem(
            file, f"expected a mapping of fields, got {_yaml_kind(value)}", field=field, line=line
        )
    if kind == "too_short":
        return Problem(file, "is empty; give at least one entry", field=field, line=line)
    if kind == "too_long":
        limit = item.get("ctx", {}).get("max_length")
        return Problem(file, f"has too many entries; at most {limit}", field=field, line=line)
    return Problem(file, str(item["msg"]), field=field, line=line)


def _pattern_message(loc: tuple[Any, ...], value: object) -> str:
    name = loc[-1] if loc else ""
    if name == "id":
        return (
            f"{value!r} is not a valid id; use lowercase letters, digits and hyphens, "
            "e.g. trail-runner"
        )
    if name == "currency":
        return f"{value!r} is not a currency code; use three capital letters, e.g. USD or EUR"
    if name == "landing_page":
        return f"{value!r} is not a web address; write it in full, e.g. https://shop.example/trail"
    return f"{value!r} has the wrong format"


def _yaml_kind(value: object) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return repr(value)


def _close_match(word: str, known: Sequence[str]) -> str | None:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return close[0] if close else None


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part).startswith("function-"):
            out += f".{part}" if out else str(part)
    return out or "(file)"


def _line_of(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the YAML node at `loc`, or of its nearest ancestor."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            match = next((k for k, v in node.value if k.value == part), None)
            if match is None:
                break
            node = next(v for k, v in node.value if k is match)
            line = match.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line
