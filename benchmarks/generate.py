"""Synthetic credential catalogues and learner wallets shaped like a real registry's.

`generate(n)` returns a catalogue document in the STACKING.md shape with `n` credentials;
`write_catalogue(n, path)` streams the same document to a file without holding it in memory;
`wallet(catalogue, seed)` draws one learner's 30 entries. Everything is deterministic by seed.

What "realistic" means here, and where the numbers come from:
- about 14 credentials per provider (1.85 million credentials from 134,000 US providers,
  Credential Engine, December 2025), with a heavy tail: most providers list a handful, a few
  list thousands;
- subjects are ISCED-F 2013 detailed fields with a Zipf-like frequency (business, ICT, health
  and education first), EQF levels mostly 4-7, credits mostly 1-10 ECTS in the provider's own
  unit, prices often missing, about 2% of credentials not published;
- about 1 in 20 credentials is a qualification: all-of stacks, n-of-m lists, credit sums with
  filters and `of_which` quotas, counts by filter, and qualifications built on other
  qualifications (two levels); some carry `within_years` or `max_reuse`;
- about 1% of credentials recognise a similar credential of another provider, and some
  credentials have prerequisites (always on earlier ids, so the graphs stay acyclic).

Usage: `python -m benchmarks.generate N OUT.json [--seed S]`.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import itertools
import json
import math
import random
import sys
from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from registry.credentials.isced import FIELDS as ISCED_NAMES
from registry.stacking.rules import iter_nodes, rule_kind

CREDIT_UNITS: dict[str, float] = {
    "ECTS": 1,
    "SCQF": 0.5,
    "CATS": 0.5,
    "US-semester-hour": 2,
    "HKQF": 0.4,
}
# Evaluation date of the benchmark requests; wallets are dated in the six years before it.
AS_OF = dt.date(2026, 6, 30)
MEAN_PROVIDER_SIZE = 14
QUALIFICATION_SHARE = 0.05
UNPUBLISHED_SHARE = 0.02
RECOGNITION_SHARE = 0.01
# Credit sums whose filter names no provider (any provider's credits count), as in a
# subject-based diploma; rare in real catalogues, where credit transfer goes through recognition.
OPEN_FILTER_SHARE = 0.03

# ISCED-F 2013 detailed fields, most common in micro-credential catalogues first.
SUBJECT_ORDER: tuple[str, ...] = (
    "0413",
    "0613",
    "0611",
    "0414",
    "0913",
    "0114",
    "0412",
    "0612",
    "0411",
    "0417",
    "0912",
    "0111",
    "1022",
    "0542",
    "0923",
    "0231",
    "0313",
    "0714",
    "0713",
    "0732",
    "0113",
    "0914",
    "0421",
    "0211",
    "0715",
    "1013",
    "0416",
    "0915",
    "0031",
    "0541",
    "0311",
    "0921",
    "0916",
    "0212",
    "1041",
    "0521",
    "0716",
    "0922",
    "0415",
    "1015",
    "0511",
    "0731",
    "1032",
    "0712",
    "0811",
    "1014",
    "0321",
    "0215",
    "0531",
    "0312",
    "0314",
    "0232",
    "0021",
    "0911",
    "0721",
    "0711",
    "1012",
    "0533",
    "0812",
    "0322",
    "0512",
    "0223",
    "0222",
    "0213",
    "0532",
    "0841",
    "0821",
    "0722",
    "0214",
    "0917",
    "0221",
    "1011",
    "0724",
    "0723",
    "0522",
    "0112",
    "0831",
    "1021",
    "0011",
    "1031",
)
ISCED_FIELDS: tuple[tuple[str, str], ...] = tuple(
    (code, ISCED_NAMES[code]) for code in SUBJECT_ORDER
)
SUBJECT_NAMES = dict(ISCED_FIELDS)
SUBJECT_CODES = tuple(code for code, _ in ISCED_FIELDS)
# Zipf with exponent 1: the first field is about 80 times as common as the last.
SUBJECT_WEIGHTS = tuple((code, 1 / (rank + 1)) for rank, code in enumerate(SUBJECT_CODES))

# Topics for titles of the commonest fields; the others use the field's name.
TOPICS: dict[str, tuple[str, ...]] = {
    "0413": (
        "Project Management",
        "Leading Teams",
        "Operations Management",
        "Strategy",
        "Change Management",
        "Agile Delivery",
        "Supply Chain Management",
        "Risk Management",
    ),
    "0613": (
        "Python Programming",
        "Web Development",
        "Cloud Applications",
        "Software Testing",
        "Data Structures",
        "Mobile Apps",
        "Machine Learning",
        "Secure Coding",
        "API Design",
    ),
    "0611": (
        "Spreadsheets",
        "Digital Literacy",
        "Office Productivity",
        "Online Collaboration",
        "Data Protection for Users",
        "Generative AI at Work",
    ),
    "0414": (
        "Digital Marketing",
        "Social Media Marketing",
        "Brand Management",
        "Marketing Analytics",
        "Content Strategy",
        "Search Engine Optimisation",
    ),
    "0913": (
        "Wound Care",
        "Medication Safety",
        "Palliative Nursing",
        "Infection Control",
        "Acute Care",
        "Mental Health Nursing",
    ),
    "0114": (
        "Teaching Mathematics",
        "Teaching Science",
        "Language Teaching",
        "Assessment for Learning",
        "Inclusive Classrooms",
    ),
    "0412": (
        "Corporate Finance",
        "Financial Modelling",
        "Risk and Insurance",
        "FinTech",
        "Sustainable Finance",
        "Banking Regulation",
    ),
    "0612": (
        "Network Administration",
        "Database Design",
        "Cybersecurity Operations",
        "Cloud Infrastructure",
        "SQL for Analysts",
        "Linux Administration",
    ),
    "0411": ("Bookkeeping", "Management Accounting", "Taxation", "Auditing", "Financial Reporting"),
    "0417": (
        "Workplace Communication",
        "Problem Solving",
        "Teamwork",
        "Time Management",
        "Negotiation",
    ),
    "0111": (
        "Learning Design",
        "Educational Technology",
        "Learning Analytics",
        "Online Teaching",
        "Curriculum Development",
    ),
    "0542": (
        "Statistical Inference",
        "Data Analysis",
        "Probability",
        "Bayesian Statistics",
        "Survey Methods",
    ),
}
TITLE_PREFIXES = (
    "",
    "",
    "Introduction to ",
    "Applied ",
    "Advanced ",
    "Foundations of ",
    "Professional ",
)
TITLE_SUFFIXES = ("", "", "", " I", " II", " in Practice", " for Practitioners")
OUTCOME_VERBS = (
    "Apply",
    "Explain",
    "Analyse",
    "Design",
    "Evaluate",
    "Implement",
    "Communicate",
    "Plan",
)

# (country, weight, credit units with weights, languages)
COUNTRIES: tuple[tuple[str, int, tuple[tuple[str, int], ...], tuple[str, ...]], ...] = (
    ("US", 30, (("US-semester-hour", 8), ("ECTS", 1)), ("en",)),
    ("GB", 7, (("CATS", 7), ("SCQF", 3)), ("en",)),
    ("DE", 6, (("ECTS", 1),), ("de", "en")),
    ("IN", 5, (("ECTS", 1),), ("en", "hi")),
    ("FR", 4, (("ECTS", 1),), ("fr", "en")),
    ("ES", 4, (("ECTS", 1),), ("es", "en")),
    ("IT", 3, (("ECTS", 1),), ("it", "en")),
    ("AU", 4, (("ECTS", 1),), ("en",)),
    ("CA", 4, (("US-semester-hour", 3), ("ECTS", 1)), ("en", "fr")),
    ("NL", 3, (("ECTS", 1),), ("nl", "en")),
    ("PL", 3, (("ECTS", 1),), ("pl", "en")),
    ("IE", 2, (("ECTS", 1),), ("en", "ga")),
    ("SE", 2, (("ECTS", 1),), ("sv", "en")),
    ("HK", 2, (("HKQF", 1),), ("en", "zh")),
    ("NZ", 1, (("ECTS", 1),), ("en",)),
    ("FI", 1, (("ECTS", 1),), ("fi", "en")),
    ("PT", 1, (("ECTS", 1),), ("pt", "en")),
    ("AT", 1, (("ECTS", 1),), ("de", "en")),
)
COUNTRY_WEIGHTS = tuple(itertools.accumulate(c[1] for c in COUNTRIES))

# Usual credit values of one component in each unit (value: weight); ECTS mostly 1-10.
CREDIT_VALUES: dict[str, tuple[tuple[float, int], ...]] = {
    "ECTS": (
        (1, 10),
        (2, 12),
        (3, 12),
        (4, 10),
        (5, 16),
        (6, 10),
        (7.5, 6),
        (10, 10),
        (15, 5),
        (20, 2),
    ),
    "US-semester-hour": ((1, 15), (2, 15), (3, 45), (4, 20), (6, 5)),
    "CATS": ((5, 10), (10, 30), (15, 25), (20, 25), (30, 10)),
    "SCQF": ((5, 10), (10, 30), (15, 25), (20, 25), (30, 10)),
    "HKQF": ((3, 20), (6, 30), (9, 20), (12, 20), (15, 10)),
}
# EQF levels, 4-7 most common.
LEVEL_WEIGHTS = ((1, 1), (2, 2), (3, 5), (4, 14), (5, 18), (6, 25), (7, 18), (8, 3))
PROVIDER_KINDS: tuple[tuple[str, int, tuple[tuple[str, int], ...]], ...] = (
    ("University", 3, (("course", 5), ("micro-credential", 4), ("module", 2), ("certificate", 1))),
    ("College", 3, (("course", 4), ("micro-credential", 3), ("certificate", 2), ("badge", 1))),
    ("Academy", 3, (("micro-credential", 3), ("badge", 3), ("course", 2), ("certificate", 1))),
    ("Training", 3, (("badge", 3), ("micro-credential", 3), ("certificate", 2), ("course", 1))),
    ("Institute", 2, (("certificate", 3), ("micro-credential", 3), ("course", 2))),
    ("Society", 1, (("certificate", 3), ("badge", 2), ("micro-credential", 1))),
)
PLACES = (
    "Northfield",
    "Riverside",
    "Lakeshore",
    "Highland",
    "Westbrook",
    "Eastport",
    "Ashford",
    "Kingsbridge",
    "Maple Valley",
    "Granite",
    "Harbour",
    "Summit",
    "Oakwood",
    "Fairview",
    "Silverton",
    "Redcliff",
    "Bayside",
    "Pinecrest",
    "Stonegate",
    "Clearwater",
)
FORMS = (("online", 55), ("blended", 20), ("on-site", 25))
ASSESSMENTS = (
    "proctored exam",
    "project",
    "portfolio",
    "practical assessment",
    "online quizzes",
    "written assignment",
    "observed practice",
)
QUALITY = (
    "Internal quality assurance by the provider's academic board",
    "Accredited by the national quality agency",
    "Reviewed against the provider's micro-credential framework",
    "Endorsed by the professional body for the field",
)
DURATIONS = (
    "4 weeks",
    "6 weeks",
    "8 weeks",
    "10 weeks",
    "12 weeks",
    "1 semester",
    "20 hours",
    "40 hours",
)
OTHER_STATUSES = ("draft", "in_review", "retired", "suspended", "withdrawn")
GRADE_STYLES = ("letter", "numeric", "none")
LETTERS = (("A", 3), ("B", 4), ("C", 2), ("D", 1))


def grade_style(provider_id: str) -> str:
    """How a provider reports results: letters, numbers 0-100, or none (fixed per provider)."""
    return GRADE_STYLES[sum(map(ord, provider_id)) % len(GRADE_STYLES)]


_TABLES: dict[int, tuple[Any, tuple[Any, ...], list[float]]] = {}


def _weighted(rng: random.Random, pairs: tuple[tuple[Any, float], ...]) -> Any:
    """One value of (value, weight) pairs; the cumulative weights are worked out once."""
    table = _TABLES.get(id(pairs))
    if table is None or table[0] is not pairs:
        values = tuple(v for v, _ in pairs)
        table = (pairs, values, list(itertools.accumulate(w for _, w in pairs)))
        _TABLES[id(pairs)] = table
    _, values, cumulative = table
    return values[bisect.bisect_right(cumulative, rng.random() * cumulative[-1])]


def _number(value: float) -> float | int:
    """Whole numbers as ints, so the document reads 5 rather than 5.0."""
    value = round(value, 2)
    return int(value) if float(value).is_integer() else value


def provider_sizes(n: int, rng: random.Random) -> list[int]:
    """How many credentials each provider lists: Lomax (Pareto II) sizes summing to `n`.

    The shape 1.5 gives a median of about 5 and a mean of 14; the largest provider is capped
    at 5% of the catalogue so small catalogues are not one provider's.
    """
    count = max(1, round(n / MEAN_PROVIDER_SIZE))
    alpha, scale = 1.5, (MEAN_PROVIDER_SIZE - 1) * 0.5
    cap = max(math.ceil(n / count), n // 20)  # never so low that the sizes cannot add up
    sizes = [min(cap, 1 + int(scale * (rng.paretovariate(alpha) - 1))) for _ in range(count)]
    factor = n / sum(sizes)
    sizes = [max(1, min(cap, round(size * factor))) for size in sizes]
    diff = n - sum(sizes)
    while diff:
        i = rng.randrange(count)
        if diff > 0 and sizes[i] < cap:
            sizes[i] += 1
            diff -= 1
        elif diff < 0 and sizes[i] > 1:
            sizes[i] -= 1
            diff += 1
    return sizes


class _Generator:
    """Builds one catalogue provider by provider; credentials come out as an iterator."""

    def __init__(self, n: int, seed: int) -> None:
        if n < 1:
            raise ValueError("a catalogue needs at least one credential")
        self.n = n
        self.rng = random.Random(seed)
        self.width = len(str(n))
        self.sizes = provider_sizes(n, self.rng)
        self.providers: list[dict[str, Any]] = []
        self.profiles: list[dict[str, Any]] = []
        self.recognitions: list[dict[str, str]] = []
        # Recent published components by (subject, level), for recognitions across providers.
        self.similar: dict[tuple[str, int | None], list[tuple[str, str]]] = defaultdict(list)
        # Published one-level qualifications by subject, for qualifications that build on them.
        self.stackable: dict[str, list[str]] = defaultdict(list)
        # Providers by main subject, for consortium credit sums.
        self.peers: dict[str, list[str]] = defaultdict(list)
        self.outcomes = {
            code: tuple(
                f"{verb} {topic.lower()} in professional practice."
                for verb, topic in itertools.product(OUTCOME_VERBS, TOPICS.get(code, (name,)))
            )
            for code, name in ISCED_FIELDS
        }
        self.next_id = 0
        self._make_providers()

    # Providers ---------------------------------------------------------------------------

    def _make_providers(self) -> None:
        rng = self.rng
        pwidth = len(str(len(self.sizes)))
        for index, size in enumerate(self.sizes):
            country, _, units, languages = COUNTRIES[
                bisect.bisect_right(COUNTRY_WEIGHTS, rng.random() * COUNTRY_WEIGHTS[-1])
            ]
            kind, _, types = _weighted_kind(rng, size)
            place = rng.choice(PLACES)
            ident = f"p{index + 1:0{pwidth}d}"
            slug = f"{place.lower().replace(' ', '-')}-{kind.lower()}-{index + 1}"
            subjects = self._subjects(rng.choice((1, 1, 2, 3)))
            name = f"{place} {kind}" if kind != "Training" else f"{place} Training Ltd"
            self.providers.append(
                {
                    "id": ident,
                    "name": name,
                    "country": country,
                    "url": f"https://www.{slug}.example",
                    "email_domains": [f"{slug}.example"],
                    "description": (
                        f"{name} in {country} offers {_plural(types[0][0])} in "
                        f"{SUBJECT_NAMES[subjects[0]].lower()}."
                    ),
                }
            )
            self.profiles.append(
                {
                    "id": ident,
                    "size": size,
                    "unit": _weighted(rng, units),
                    "languages": languages,
                    "subjects": subjects,
                    "level": _weighted(rng, LEVEL_WEIGHTS),
                    "types": types,
                    "domain": f"{slug}.example",
                    "name": name,
                }
            )

    def _subjects(self, k: int) -> list[str]:
        found: list[str] = []
        while len(found) < k:
            code = _weighted(self.rng, SUBJECT_WEIGHTS)
            if code not in found:
                found.append(code)
        return found

    # Credentials -------------------------------------------------------------------------

    def _new_id(self) -> str:
        self.next_id += 1
        return f"c{self.next_id:0{self.width}d}"

    def credentials(self) -> Iterator[dict[str, Any]]:
        """Every credential, provider by provider, components before their qualifications."""
        for profile in self.profiles:
            yield from self._provider_credentials(profile)

    def _qualification_count(self, size: int) -> int:
        if size < 4:
            return 0
        # Small providers cannot stack, so the rest carry a little more than 1 in 20.
        expected = size * QUALIFICATION_SHARE * 1.05
        return min(size // 4, int(expected + self.rng.random()))

    def _provider_credentials(self, profile: dict[str, Any]) -> list[dict[str, Any]]:
        rng = self.rng
        size = profile["size"]
        qualifications = self._qualification_count(size)
        # Components come in programmes of 3-8 sharing a subject and level; stacks use them.
        offer = _Offer(profile)
        left = size - qualifications
        while left > 0:
            group_size = min(left, rng.randint(3, 8)) if left >= 3 else left
            subject = (
                rng.choice(profile["subjects"]) if rng.random() < 0.75 else self._subjects(1)[0]
            )
            level = _clamp(profile["level"] + rng.choice((-1, 0, 0, 0, 1)))
            capstone = group_size >= 4 and rng.random() < 0.25
            group: list[dict[str, Any]] = []
            for position in range(group_size):
                last = position == group_size - 1
                group.append(self._component(profile, subject, level, group, capstone and last))
            offer.add_group(group)
            left -= group_size
        for _ in range(qualifications):
            offer.out.append(self._qualification(offer))
        self.peers[profile["subjects"][0]].append(profile["id"])
        return offer.out

    def _component(
        self,
        profile: dict[str, Any],
        subject: str,
        level: int,
        group: list[dict[str, Any]],
        capstone: bool,
    ) -> dict[str, Any]:
        rng = self.rng
        ident = self._new_id()
        ctype = "project" if capstone else _weighted(rng, profile["types"])
        subjects = [subject]
        if rng.random() < 0.2:
            other = self._subjects(1)[0]
            if other != subject:
                subjects.append(other)
        own_level = level if rng.random() < 0.85 else _clamp(level + rng.choice((-1, 1)))
        form = _weighted(rng, FORMS)
        doc = self._base(profile, ident, self._title(subject), ctype, own_level, subjects, form)
        unit = profile["unit"]
        if ctype == "badge":
            if rng.random() < 0.6:
                doc["credits"] = rng.choice((0.5, 1, 1, 2))
                doc["credit_unit"] = "ECTS"
        else:
            doc["credits"] = _weighted(rng, CREDIT_VALUES[unit])
            doc["credit_unit"] = unit
        self._details(doc, profile, own_level, subjects, ctype, form)
        if group and (capstone or rng.random() < 0.12):
            earlier = [c["id"] for c in group]
            if capstone:
                doc["prerequisites"] = {"all": [{"credential": i} for i in earlier]}
            elif len(earlier) >= 2 and rng.random() < 0.3:
                picked = rng.sample(earlier, 2)
                doc["prerequisites"] = {"any": [{"credential": i} for i in sorted(picked)]}
            else:
                doc["prerequisites"] = {"credential": earlier[-1]}
        if doc["status"] == "published":
            key = (subject, doc.get("level"))
            bucket = self.similar[key]
            if rng.random() < RECOGNITION_SHARE:
                others = [i for i, p in bucket if p != profile["id"]]
                if others:
                    self.recognitions.append(
                        {"from": rng.choice(others), "to": ident, "by": profile["id"]}
                    )
            bucket.append((ident, profile["id"]))
            if len(bucket) > 64:
                del bucket[:32]
        return doc

    def _base(
        self,
        profile: dict[str, Any],
        ident: str,
        title: str,
        ctype: str,
        level: int | None,
        subjects: list[str],
        form: str,
    ) -> dict[str, Any]:
        """The leading fields: identity, provider and texts."""
        rng = self.rng
        description = (
            f"{title}: a {form} {ctype} from {profile['name']}"
            + (f" at EQF level {level}" if level else "")
            + f", in {SUBJECT_NAMES[subjects[0]].lower()}. Learners work through short units, "
            "practical exercises and an assessed task drawn from current professional practice."
        )
        pool = self.outcomes[subjects[0]]
        return {
            "id": ident,
            "provider": profile["id"],
            "title": title,
            "description": description,
            "learning_outcomes": rng.sample(pool, min(len(pool), rng.randint(2, 4))),
        }

    def _details(
        self,
        doc: dict[str, Any],
        profile: dict[str, Any],
        level: int | None,
        subjects: list[str],
        ctype: str,
        form: str,
    ) -> None:
        """The fields after the credits, in the document's key order."""
        rng = self.rng
        if level is not None and (ctype != "badge" or rng.random() < 0.7):
            doc["level"] = level
        doc["subjects"] = subjects
        languages = profile["languages"]
        doc["languages"] = [languages[0]] if rng.random() < 0.8 else list(languages)
        doc["type"] = ctype
        doc["assessment_type"] = rng.choice(ASSESSMENTS)
        doc["participation_form"] = form
        doc["quality_assurance"] = rng.choice(QUALITY)
        doc["duration"] = rng.choice(DURATIONS)
        doc["url"] = f"https://www.{profile['domain']}/learn/{doc['id']}"
        doc["status"] = (
            "published" if rng.random() >= UNPUBLISHED_SHARE else rng.choice(OTHER_STATUSES)
        )
        if rng.random() < 0.15:
            doc["valid_years"] = rng.choice((2, 3, 3, 5))
        if rng.random() < 0.7:
            ects = doc.get("credits", 0) * CREDIT_UNITS.get(doc.get("credit_unit", "ECTS"), 1)
            if ctype == "badge" and rng.random() < 0.5:
                doc["price"] = 0
            else:
                doc["price"] = _number(round(max(1, ects) * rng.uniform(30, 150), -1))

    def _title(self, subject: str) -> str:
        rng = self.rng
        topics = TOPICS.get(subject)
        topic = rng.choice(topics) if topics else SUBJECT_NAMES[subject]
        return f"{rng.choice(TITLE_PREFIXES)}{topic}{rng.choice(TITLE_SUFFIXES)}"

    # Qualifications ----------------------------------------------------------------------

    def _qualification(self, offer: _Offer) -> dict[str, Any]:
        rng = self.rng
        profile = offer.profile
        group = rng.choice(offer.stackable)
        subject = group[0]["subjects"][0]
        shape = rng.choices(
            ("stack", "n_of_m", "credit_sum", "count", "nested", "core_plus_credits"),
            (28, 17, 22, 10, 15, 8),
        )[0]
        nested_on = self._stackable_for(offer, subject) if shape == "nested" else None
        if shape == "nested" and nested_on is None:
            shape = "stack"
        rule: dict[str, Any]
        if shape == "stack":
            size = rng.randint(3, min(6, len(group)))
            rule = _all_of(group[:size])
            if size < len(group) and rng.random() < 0.25:  # "a thesis or a project"
                rule["all"][-1] = {"any": [rule["all"][-1], {"credential": group[size]["id"]}]}
            kind = "MicroCredential Programme"
        elif shape == "n_of_m":
            pool = group + (rng.choice(offer.stackable) if rng.random() < 0.3 else [])
            ids = sorted({c["id"] for c in pool})[:12]
            need = max(1, min(len(ids), round(len(ids) * rng.uniform(0.5, 0.8))))
            rule = {"at_least": need, "of": [{"credential": i} for i in ids]}
            kind = "Certificate"
        elif shape == "credit_sum":
            rule = self._credit_sum(offer, subject, group)
            kind = "Professional Certificate"
        elif shape == "count":
            rule = self._count(offer)
            kind = "Digital Badge Pathway"
        elif shape == "nested":
            rest = rng.choice(
                (
                    {"credential": group[-1]["id"]},
                    self._credit_sum(offer, subject, group, quotas=False),
                    {"at_least": 2, "of": [{"credential": c["id"]} for c in group[:5]]},
                )
            )
            leaf: dict[str, Any] = {"credential": nested_on}
            if rng.random() < 0.4:
                leaf["within_years"] = 5
            rule = {"all": [leaf, rest]}
            kind = "Graduate Diploma"
        else:
            rule = {
                "all": [
                    {"credential": group[0]["id"]},
                    self._credit_sum(offer, subject, group[1:], quotas=False),
                ]
            }
            kind = "Higher Diploma"
        if shape != "nested" and rng.random() < 0.12:
            rule["within_years"] = rng.choice((3, 5, 5, 10))
        ident = self._new_id()
        title = f"{kind} in {SUBJECT_NAMES[subject]}"
        ctype = {
            "Digital Badge Pathway": "badge",
            "MicroCredential Programme": "micro-credential",
        }.get(kind, "certificate")
        level = group[0].get("level") or profile["level"]
        form = _weighted(rng, FORMS)
        doc = self._base(profile, ident, title, ctype, level, [subject], form)
        total = sum(c.get("credits", 0) for c in group if c.get("credit_unit") == profile["unit"])
        if total:
            doc["credits"] = _number(total)
            doc["credit_unit"] = profile["unit"]
        self._details(doc, profile, level, [subject], ctype, form)
        doc["requirements"] = rule
        if rng.random() < 0.1:
            doc["max_reuse"] = rng.choice((1, 2))
        if doc["status"] == "published" and shape != "nested":
            offer.made.append(ident)
            bucket = self.stackable[subject]
            bucket.append(ident)
            if len(bucket) > 64:
                del bucket[:32]
        return doc

    def _stackable_for(self, offer: _Offer, subject: str) -> str | None:
        """A one-level qualification to build on: this provider's, else another's in the field."""
        if offer.made and self.rng.random() < 0.6:
            return self.rng.choice(offer.made)
        bucket = self.stackable.get(subject)
        if bucket:
            return self.rng.choice(bucket)
        return self.rng.choice(offer.made) if offer.made else None

    def _credit_sum(
        self,
        offer: _Offer,
        subject: str,
        group: list[dict[str, Any]],
        *,
        quotas: bool = True,
    ) -> dict[str, Any]:
        """`credits` over the provider's (a consortium's, or anyone's) matching credentials.

        The threshold is a programme's size (10-60 ECTS) or less: never more than this provider
        alone offers under the filter, so the rule can be met.
        """
        rng = self.rng
        profile = offer.profile
        unit = profile["unit"]
        where: dict[str, Any] = {}
        roll = rng.random()
        if roll >= OPEN_FILTER_SHARE:
            where["providers"] = [profile["id"]]
            peers = self.peers.get(profile["subjects"][0], [])
            if roll > 0.9 and peers:
                where["providers"] = sorted({profile["id"], *rng.sample(peers, min(2, len(peers)))})
        # Large providers always scope a programme to its subjects.
        if "providers" not in where or len(offer.components) > 200 or rng.random() < 0.6:
            where["subjects"] = sorted({subject, *(c["subjects"][0] for c in group[:2])})
        level = group[0].get("level")
        if level and rng.random() < 0.4:
            where["level_min"] = max(1, level - 1)
        style = grade_style(profile["id"])
        if rng.random() < 0.2 and style != "none":
            if style == "letter":
                where["result_in"] = ["A", "B", "C"] if rng.random() < 0.5 else ["A", "B", "C", "D"]
            else:
                where["result_min"] = rng.choice((50, 60))
        # The programme's first component passes the filter by construction.
        matching = offer.matching(where, rng) or [c for c in group if _matches(c, where)]
        values = [_value(c, unit) for c in matching]
        offered = sum(values)
        if not offered:  # badges without credits: count them instead
            return {"count": max(1, len(matching) // 2), "where": where}
        programme = rng.choice((10, 15, 20, 30, 30, 60)) / CREDIT_UNITS[unit]
        threshold = min(
            _round_down(min(programme, offered * rng.uniform(0.4, 0.8))), _number(offered)
        )
        rule: dict[str, Any] = {"credits": threshold}
        if unit != "ECTS":
            rule["unit"] = unit
        rule["where"] = where
        if quotas and rng.random() < 0.5:
            parts: list[dict[str, Any]] = []
            main = sum(v for c, v in zip(matching, values, strict=True) if subject in c["subjects"])
            if main and rng.random() < 0.7:
                quota = min(
                    _round_down(min(main, threshold) * rng.uniform(0.3, 0.6)), _number(main)
                )
                if quota > 0:
                    parts.append({"credits": quota, "where": {"subjects": [subject]}})
            if level and rng.random() < 0.5:
                at_level = sum(
                    v
                    for c, v in zip(matching, values, strict=True)
                    if (c.get("level") or 0) >= level
                )
                share = round(min(0.75, at_level / offered * 0.8), 2)
                if share >= 0.1:
                    parts.append({"share": share, "where": {"level_min": level}})
            if parts:
                rule["of_which"] = parts
        return rule

    def _count(self, offer: _Offer) -> dict[str, Any]:
        """Counts by filter: a badge pathway, or Utah-style N of each of several lists."""
        rng = self.rng
        if len(offer.stackable) >= 2 and rng.random() < 0.5:
            picked = rng.sample(offer.stackable, min(len(offer.stackable), rng.randint(2, 3)))
            children = [
                {"count": max(1, len(g) // 2), "where": {"credentials": sorted(c["id"] for c in g)}}
                for g in picked
            ]
            return {"all": children}
        where: dict[str, Any] = {"providers": [offer.profile["id"]]}
        types = sorted(offer.types & {"badge", "micro-credential"})
        if types:
            where["types"] = types
        if len(offer.components) > 200:
            where["subjects"] = [rng.choice(offer.stackable)[0]["subjects"][0]]
        matching = offer.matching(where, rng)
        count = max(1, min(rng.randint(3, 10), round(len(matching) * rng.uniform(0.3, 0.7))))
        rule: dict[str, Any] = {"count": count, "where": where}
        levels = sorted(c.get("level") or 0 for c in matching)
        top = levels[len(levels) // 2] if levels else 0
        if top and rng.random() < 0.5:
            at_top = sum(1 for v in levels if v >= top)
            rule["of_which"] = [
                {"count": max(1, min(at_top, count) // 2), "where": {"level_min": top}}
            ]
        return rule


class _Offer:
    """One provider's credentials while they are made: programmes and a subject index."""

    SAMPLE = 300  # enough to set a feasible threshold without scanning a huge provider

    def __init__(self, profile: dict[str, Any]) -> None:
        self.profile = profile
        self.out: list[dict[str, Any]] = []
        self.components: list[dict[str, Any]] = []
        self.groups: list[list[dict[str, Any]]] = []
        self.by_subject: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.types: set[str] = set()
        self.made: list[str] = []  # published one-level qualifications
        self._stackable: list[list[dict[str, Any]]] = []

    def add_group(self, group: list[dict[str, Any]]) -> None:
        self.groups.append(group)
        if len(group) >= 3:
            self._stackable.append(group)
        self.out.extend(group)
        self.components.extend(group)
        for doc in group:
            self.types.add(doc["type"])
            for subject in doc["subjects"]:
                self.by_subject[subject].append(doc)

    @property
    def stackable(self) -> list[list[dict[str, Any]]]:
        return self._stackable or self.groups

    def matching(self, where: Mapping[str, Any], rng: random.Random) -> list[dict[str, Any]]:
        """This provider's components that pass the filter (a sample of them when many)."""
        lists = [self.by_subject[s] for s in where["subjects"]] if "subjects" in where else []
        if "subjects" not in where:
            lists = [self.components]
        pool: dict[str, dict[str, Any]] = {}
        for docs in lists:
            for doc in rng.sample(docs, self.SAMPLE) if len(docs) > self.SAMPLE else docs:
                pool[doc["id"]] = doc
        return [doc for doc in pool.values() if _matches(doc, where)]


def _weighted_kind(rng: random.Random, size: int) -> tuple[str, int, tuple[tuple[str, int], ...]]:
    # Universities and colleges list most; a one-badge provider is a training firm or society.
    if size >= 60 and rng.random() < 0.7:
        return PROVIDER_KINDS[rng.choice((0, 1))]
    return rng.choices(PROVIDER_KINDS, [k[1] for k in PROVIDER_KINDS])[0]


def _plural(ctype: str) -> str:
    return {"micro-credential": "micro-credentials", "badge": "digital badges"}.get(
        ctype, f"{ctype}s"
    )


def _clamp(level: int) -> int:
    return min(8, max(1, level))


def _round_down(value: float) -> float | int:
    """A figure a registrar would write: a multiple of 5 from 10 up, else of 0.5 (at least 0.5).

    Rounding down keeps a threshold within what the filter offers.
    """
    step = 5 if value >= 10 else 0.5
    return _number(max(0.5, math.floor(value / step) * step))


def _all_of(group: list[dict[str, Any]]) -> dict[str, Any]:
    return {"all": [{"credential": c["id"]} for c in group]}


def _value(doc: Mapping[str, Any], unit: str) -> float:
    credits = doc.get("credits", 0)
    source = doc.get("credit_unit", "ECTS")
    if source == unit:
        return credits
    return credits * CREDIT_UNITS[source] / CREDIT_UNITS[unit]


def _matches(doc: Mapping[str, Any], where: Mapping[str, Any]) -> bool:
    """The credential-side keys of a filter (results are the wallet's business)."""
    if "providers" in where and doc["provider"] not in where["providers"]:
        return False
    if "subjects" in where and not any(s in where["subjects"] for s in doc["subjects"]):
        return False
    if "types" in where and doc["type"] not in where["types"]:
        return False
    return not ("level_min" in where and (doc.get("level") or 0) < where["level_min"])


# The document ----------------------------------------------------------------------------


def generate(n_credentials: int, seed: int = 0) -> dict[str, Any]:
    """A catalogue document with `n_credentials` credentials (STACKING.md "Catalogue files")."""
    gen = _Generator(n_credentials, seed)
    credentials = list(gen.credentials())
    return {
        "credit_units": dict(CREDIT_UNITS),
        "providers": gen.providers,
        "credentials": credentials,
        "recognitions": gen.recognitions,
    }


def write_catalogue(n_credentials: int, path: str | Path, seed: int = 0) -> Path:
    """Write the same document as `generate` to `path`, one credential at a time."""
    gen = _Generator(n_credentials, seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as out:
        out.write('{"credit_units": ' + json.dumps(CREDIT_UNITS) + ",\n")
        out.write(' "providers": [\n')
        out.write(",\n".join(json.dumps(p) for p in gen.providers))
        out.write('],\n "credentials": [\n')
        for i, credential in enumerate(gen.credentials()):
            if i:
                out.write(",\n")
            out.write(json.dumps(credential))
        out.write('],\n "recognitions": [\n')
        out.write(",\n".join(json.dumps(r) for r in gen.recognitions))
        out.write("]}\n")
    partial.replace(path)  # a half-written file never looks like a finished one
    return path


# Wallets ---------------------------------------------------------------------------------


class WalletSource:
    """What the wallet generator needs from a catalogue, built once per catalogue."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.ids: list[str] = []
        self.spec: dict[str, tuple[str, tuple[str, ...], int, str]] = {}
        self.requirements: dict[str, dict[str, Any]] = {}
        self.by_provider: dict[str, list[str]] = defaultdict(list)
        self.by_subject: dict[str, list[str]] = defaultdict(list)
        self.qualifications: dict[str, list[str]] = defaultdict(list)
        for c in document["credentials"]:
            ident = c["id"]
            self.ids.append(ident)
            self.spec[ident] = (
                c["provider"],
                tuple(c.get("subjects", ())),
                c.get("level") or 0,
                c.get("type", ""),
            )
            if c.get("requirements") is not None:
                self.requirements[ident] = c["requirements"]
                if c.get("status", "published") == "published":
                    self.qualifications[c["provider"]].append(ident)
            else:
                self.by_provider[c["provider"]].append(ident)
                if c.get("subjects"):
                    self.by_subject[c["subjects"][0]].append(ident)
        # Learners come to providers in proportion to what they list.
        self.providers = sorted(self.qualifications)
        self.provider_weights = list(
            itertools.accumulate(len(self.by_provider[p]) + 1 for p in self.providers)
        )

    def components(self, qualification: str, rng: random.Random, depth: int = 0) -> list[str]:
        """Credentials that could go towards a qualification (nested ones expanded)."""
        found: list[str] = []
        for _, node in iter_nodes(self.requirements[qualification]):
            kind = rule_kind(node)
            if kind == "credential":
                ident = node["credential"]
                if ident in self.requirements and depth < 2:
                    found.extend(self.components(ident, rng, depth + 1))
                elif ident not in self.requirements:
                    found.append(ident)
            elif kind in ("credits", "count"):
                where = node.get("where") or {}
                if "credentials" in where:
                    found.extend(where["credentials"])
                    continue
                pool: list[str] = []
                for provider in where.get("providers", ()):
                    pool.extend(self.by_provider.get(provider, ()))
                if "providers" not in where:
                    for subject in where.get("subjects", ()):
                        pool.extend(self.by_subject.get(subject, ())[:200])
                pool = [i for i in pool if _spec_matches(self.spec[i], where)]
                found.extend(rng.sample(pool, min(len(pool), 12)))
        return sorted(set(found))


def _spec_matches(spec: tuple[str, tuple[str, ...], int, str], where: Mapping[str, Any]) -> bool:
    _, subjects, level, ctype = spec
    if "subjects" in where and not any(s in where["subjects"] for s in subjects):
        return False
    if "types" in where and ctype not in where["types"]:
        return False
    return not ("level_min" in where and level < where["level_min"])


_SOURCES: dict[int, tuple[Mapping[str, Any], WalletSource]] = {}


def wallet_source(catalogue: Mapping[str, Any] | WalletSource) -> WalletSource:
    """The WalletSource of a document (built once per document object), or the source given."""
    if isinstance(catalogue, WalletSource):
        return catalogue
    cached = _SOURCES.get(id(catalogue))
    if cached is None or cached[0] is not catalogue:
        cached = (catalogue, WalletSource(catalogue))
        _SOURCES.clear()  # one catalogue at a time is all the benchmarks need
        _SOURCES[id(catalogue)] = cached
    return cached[1]


def wallet(
    catalogue: Mapping[str, Any] | WalletSource,
    seed: int,
    size: int = 30,
    as_of: dt.date = AS_OF,
) -> list[dict[str, Any]]:
    """One learner's entries: most of 1-3 stacks at one or two providers, plus scattered others.

    Entries are dated in the six years before `as_of`, a stack's in id order (prerequisites,
    which point to earlier ids, come first); some carry results in the provider's style, a
    completed all-of stack sometimes comes with the awarded qualification, and a few entries
    are retakes, revoked or expired.
    """
    source = wallet_source(catalogue)
    rng = random.Random(seed)
    entries: list[dict[str, Any]] = []
    held: set[str] = set()
    six_years = 6 * 365

    def add(ident: str, earned: dt.date) -> dict[str, Any]:
        entry: dict[str, Any] = {"credential": ident, "earned_on": earned.isoformat()}
        style = grade_style(source.spec[ident][0])
        if style != "none" and rng.random() < 0.6:
            entry["result"] = _weighted(rng, LETTERS) if style == "letter" else rng.randint(45, 100)
        entries.append(entry)
        held.add(ident)
        return entry

    if source.providers:
        first = _pick_provider(source, rng)
        chosen = [first]
        if rng.random() < 0.35:
            chosen.append(_pick_provider(source, rng))
        stacks: list[str] = []
        for provider in chosen:
            offered = source.qualifications[provider]
            stacks.extend(rng.sample(offered, min(len(offered), rng.choice((1, 1, 2)))))
        budget = size - max(3, size // 5)
        for qualification in stacks[:3]:
            parts = [i for i in source.components(qualification, rng) if i not in held]
            take = parts[: max(1, math.ceil(len(parts) * rng.uniform(0.5, 1.0)))]
            take = take[: max(0, budget - len(entries))]
            if not take:
                continue
            start = as_of - dt.timedelta(days=rng.randint(120, six_years))
            step = max(1, (as_of - start).days // (len(take) + 1))
            day = start
            stack_entries = []
            for ident in take:
                day = min(as_of, day + dt.timedelta(days=rng.randint(step // 2, step)))
                stack_entries.append(add(ident, day))
            complete = len(take) == len(parts)
            requirement = source.requirements[qualification]
            if complete and "all" in requirement and rng.random() < 0.5 and len(entries) < size:
                award = add(qualification, min(as_of, day + dt.timedelta(days=30)))
                award.pop("result", None)
                for entry in stack_entries:
                    entry["counted_toward"] = [qualification]
    # Scattered others: half in the learner's field, half anything in the catalogue.
    field = None
    if entries:
        field = (source.spec[entries[0]["credential"]][1] or (None,))[0]
    attempts = 0
    while len(entries) < size and attempts < size * 20:
        attempts += 1
        pool = source.by_subject.get(field) if field and rng.random() < 0.5 else None
        ident = rng.choice(pool) if pool else rng.choice(source.ids)
        if ident in held and rng.random() > 0.03:  # a few retakes
            continue
        add(ident, as_of - dt.timedelta(days=rng.randint(0, six_years)))
    for entry in entries:
        roll = rng.random()
        if roll < 0.01:
            entry["revoked"] = True
        elif roll < 0.03:
            earned = dt.date.fromisoformat(entry["earned_on"])
            entry["expires_on"] = (earned + dt.timedelta(days=rng.choice((365, 730)))).isoformat()
    entries.sort(key=lambda e: (e["earned_on"], e["credential"]))
    return entries


def _pick_provider(source: WalletSource, rng: random.Random) -> str:
    spot = rng.random() * source.provider_weights[-1]
    return source.providers[bisect.bisect_right(source.provider_weights, spot)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.generate",
        description="Write a synthetic catalogue document with N credentials to OUT.",
    )
    parser.add_argument("n", type=int, help="number of credentials")
    parser.add_argument("out", type=Path, help="the JSON file to write")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("N must be at least 1")
    write_catalogue(args.n, args.out, args.seed)
    print(f"wrote {args.n} credentials to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
