"""Verbal probability scales (DESIGN §5): word → range, and probability → word."""

from __future__ import annotations

import attrs

__all__ = ["SCALES", "Scale", "ADMIRALTY"]


@attrs.frozen
class Scale:
    """A named list of verbal terms, each standing for a probability range."""

    name: str
    terms: tuple[tuple[str, float, float], ...]  # (word, low, high), from low to high
    citation: str

    def range_of(self, word: str) -> tuple[float, float] | None:
        wanted = " ".join(word.lower().replace("_", " ").split())
        for term, low, high in self.terms:
            if term == wanted:
                return low, high
        return None

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(term for term, _, _ in self.terms)

    def word_for(self, p: float) -> str:
        """The term whose range holds p, ranges read as [low, high) except where high is 1;
        the narrowest where ranges nest (IPCC), the nearest where they leave gaps (Kent)."""
        holding = [(high - low, term) for term, low, high in self.terms if low <= p < high or p == high == 1.0]
        if holding:
            return min(holding)[1]
        return min(self.terms, key=lambda t: min(abs(p - t[1]), abs(p - t[2])))[0]


def _kent(centre: float, spread: float) -> tuple[float, float]:
    return round(centre - spread, 10), round(centre + spread, 10)


SCALES: dict[str, Scale] = {
    "icd203": Scale(
        "icd203",
        (
            ("almost no chance", 0.01, 0.05),
            ("very unlikely", 0.05, 0.20),
            ("unlikely", 0.20, 0.45),
            ("roughly even chance", 0.45, 0.55),
            ("likely", 0.55, 0.80),
            ("very likely", 0.80, 0.95),
            ("almost certain", 0.95, 0.99),
        ),
        "ODNI Intelligence Community Directive 203, Analytic Standards (2015)",
    ),
    "kent": Scale(
        "kent",
        (
            ("almost certainly not", *_kent(0.07, 0.05)),
            ("probably not", *_kent(0.30, 0.10)),
            ("chances about even", *_kent(0.50, 0.10)),
            ("probable", *_kent(0.75, 0.12)),
            ("almost certain", *_kent(0.93, 0.06)),
        ),
        "Sherman Kent, 'Words of Estimative Probability' (1964)",
    ),
    "ipcc": Scale(
        "ipcc",
        (
            ("exceptionally unlikely", 0.0, 0.01),
            ("very unlikely", 0.0, 0.10),
            ("unlikely", 0.0, 0.33),
            ("about as likely as not", 0.33, 0.66),
            ("likely", 0.66, 1.0),
            ("very likely", 0.90, 1.0),
            ("virtually certain", 0.99, 1.0),
        ),
        "Mastrandrea et al., IPCC AR5 Guidance Note on Consistent Treatment of Uncertainties (2010)",
    ),
}

# NATO/Admiralty source-reliability letters → P(source is reliable); a documented convention
ADMIRALTY: dict[str, float] = {"A": 0.95, "B": 0.8, "C": 0.6, "D": 0.4, "E": 0.2, "F": 0.5}


def scale_name(scale: str) -> str:
    """A verbal scale's name as a reader writes it: icd203 → ICD 203."""
    return {"icd203": "ICD 203", "kent": "Kent", "ipcc": "IPCC"}.get(scale, scale)
