"""Rubric operations: versions (new ones once frozen), the default rubric, aggregates, QA stats."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from registry.audit.services import record_event
from registry.auth.models import User
from registry.db import rows_changed, utcnow
from registry.errors import Conflict, FieldError, NotFound, ValidationError
from registry.review.aggregate import (
    MIN_PAIRABLE_UNITS,
    Aggregate,
    CriterionSpec,
    aggregate,
    krippendorff_alpha_ordinal,
)
from registry.review.models import (
    Assignment,
    Criterion,
    Review,
    Rubric,
    RubricVersion,
    Submission,
)
from registry.review.workflow import STATES

# The ten principles of the EU Council Recommendation on micro-credentials (2022/C 243/02),
# Annex II, as the tags a criterion may carry.
PRINCIPLES: dict[str, str] = {
    "quality": "Quality",
    "transparency": "Transparency",
    "relevance": "Relevance",
    "valid_assessment": "Valid assessment",
    "learning_pathways": "Learning pathways",
    "recognition": "Recognition",
    "portability": "Portability",
    "learner_centred": "Learner-centred",
    "authentic": "Authentic",
    "information_guidance": "Information and guidance",
}

DEFAULT_RUBRIC_NAME = "EU micro-credential quality rubric"
DEFAULT_LEVELS = [
    {"value": 0, "label": "Not evident"},
    {"value": 1, "label": "Partly"},
    {"value": 2, "label": "Met"},
    {"value": 3, "label": "Exemplary"},
]

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")
CODE_RULE = "must be 1-20 letters, digits, '.', '_' or '-', starting with a letter or digit"
MAX_CRITERIA = 100
MAX_LEVELS = 10
MAX_REVIEWERS = 10
# Krippendorff's reading of alpha: below .667 no conclusion should rest on the ratings.
ALPHA_RELIABLE = 0.8
ALPHA_TENTATIVE = 0.667


def _criterion(code, title, principle, points, guidance, *, essential=False) -> dict[str, Any]:
    return {
        "code": code,
        "title": title,
        "guidance": guidance,
        "principle": principle,
        "points": points,
        "essential": essential,
    }


# Points follow Quality Matters: 3 for what the learner cannot do without, 2 for what matters
# much, 1 for what helps. Essential criteria must be met whatever the score.
DEFAULT_CRITERIA: list[dict[str, Any]] = [
    _criterion(
        "QA1",
        "Internal quality assurance is documented and applied",
        "quality",
        3,
        "The provider's own quality processes cover the design, delivery and assessment of "
        "this credential, are written down, and say who checks what and how often.",
        essential=True,
    ),
    _criterion(
        "QA2",
        "External quality assurance is named",
        "quality",
        2,
        "The type of quality assurance states which external body or process reviews the "
        "provider or this offer, so a reader can check it.",
    ),
    _criterion(
        "TR1",
        "Learning outcomes are stated and measurable",
        "transparency",
        3,
        "Each outcome says what the learner knows or can do at the end, with an action verb "
        "and a context; outcomes are few enough to assess and clear to a non-specialist.",
        essential=True,
    ),
    _criterion(
        "TR2",
        "Workload, level and content are comparable",
        "transparency",
        3,
        "Notional workload is given in ECTS or another stated unit, the level refers to the "
        "EQF or a national framework, and the content matches the workload and level claimed.",
        essential=True,
    ),
    _criterion(
        "RE1",
        "Designed for an identified need",
        "relevance",
        2,
        "The credential answers a skills need shown by labour-market, sector or learner "
        "evidence, ideally shaped with employers, social partners or professional bodies.",
    ),
    _criterion(
        "RE2",
        "Content is current",
        "relevance",
        1,
        "Materials and outcomes reflect current practice; the provider says when and how "
        "they are reviewed and updated.",
    ),
    _criterion(
        "VA1",
        "Assessment covers every learning outcome",
        "valid_assessment",
        3,
        "Each outcome is assessed by a method suited to it, against transparent criteria "
        "that learners see in advance; passing means the outcomes were shown.",
        essential=True,
    ),
    _criterion(
        "VA2",
        "Assessment conditions are stated",
        "valid_assessment",
        2,
        "The type of assessment, whether it is supervised, and how the learner's identity is "
        "verified at assessment are stated, so a recogniser can judge its weight.",
    ),
    _criterion(
        "LP1",
        "Supports flexible learning pathways",
        "learning_pathways",
        2,
        "Prerequisites are explicit, and the credential says what it can be combined or "
        "stacked with and towards which larger credentials or qualifications it counts.",
    ),
    _criterion(
        "RC1",
        "Signals its value for recognition",
        "recognition",
        2,
        "Level, workload, outcomes and quality assurance are given in a form that lets "
        "another institution or an employer recognise it for study or work.",
    ),
    _criterion(
        "PO1",
        "Portable and owned by the learner",
        "portability",
        2,
        "The credential is issued in an open, machine-readable and verifiable format "
        "(e.g. European Digital Credentials or Open Badges) that the learner keeps and shares.",
    ),
    _criterion(
        "LC1",
        "Designed around its learners",
        "learner_centred",
        2,
        "The target group, form of participation and support are stated; the offer is "
        "accessible, and learner feedback is collected and used.",
    ),
    _criterion(
        "AU1",
        "Authentic: holder, issuer and date are verifiable",
        "authentic",
        3,
        "The issued credential identifies the holder, the legal identity of the issuing "
        "provider, and the date and place of issue, and can be checked for authenticity.",
        essential=True,
    ),
    _criterion(
        "IG1",
        "Clear information and guidance for learners",
        "information_guidance",
        1,
        "Price, duration, language, validity and a further-information link are given, so a "
        "learner or a guidance service can tell whether it fits before enrolling.",
    ),
]

DEFAULT_VERSION: dict[str, Any] = {
    "levels": DEFAULT_LEVELS,
    "met_level": 2,
    "threshold": 0.85,
    "reviewers_per_submission": 3,
    "criteria": DEFAULT_CRITERIA,
}


# Looking up ---------------------------------------------------------------------------------


def current_rubric_version(session: Session) -> RubricVersion:
    """The version new submissions pin, or NotFound when an admin has made none current."""
    version = session.scalars(
        select(RubricVersion)
        .where(RubricVersion.current.is_(True))
        .order_by(RubricVersion.id.desc())
        .limit(1)
    ).first()
    if version is None:
        raise NotFound("no rubric version is current; an admin must make one current")
    return version


def get_rubric_version(session: Session, version_id: int) -> RubricVersion:
    version = session.get(RubricVersion, version_id)
    if version is None:
        raise NotFound(f"no rubric version with id {version_id}")
    return version


def list_rubrics(session: Session) -> list[Rubric]:
    """Every rubric by name, with its versions loaded (oldest first)."""
    return list(
        session.scalars(
            select(Rubric).options(selectinload(Rubric.versions)).order_by(Rubric.name)
        ).all()
    )


def used_by(session: Session, version: RubricVersion) -> int:
    """How many submissions pin this version."""
    count = session.scalar(
        select(func.count())
        .select_from(Submission)
        .where(Submission.rubric_version_id == version.id)
    )
    return count or 0


def usage_by_version(session: Session) -> dict[int, int]:
    """How many submissions pin each version (versions no submission uses are left out)."""
    rows = session.execute(
        select(Submission.rubric_version_id, func.count())
        .where(Submission.rubric_version_id.is_not(None))
        .group_by(Submission.rubric_version_id)
    )
    return {version_id: count for version_id, count in rows if version_id is not None}


def version_document(version: RubricVersion) -> dict[str, Any]:
    """A version in the JSON shape the API answers and the editor starts from."""
    return {
        "id": version.id,
        "rubric": {"id": version.rubric_id, "name": version.rubric.name},
        "number": version.number,
        "current": version.current,
        "frozen": version.frozen,
        "frozen_at": version.frozen_at.isoformat() if version.frozen_at else None,
        "levels": [dict(level) for level in version.levels],
        "met_level": version.met_level,
        "threshold": version.threshold,
        "reviewers_per_submission": version.reviewers_per_submission,
        "criteria": [
            {
                "code": c.code,
                "title": c.title,
                "guidance": c.guidance,
                "principle": c.principle,
                "points": c.points,
                "essential": c.essential,
            }
            for c in version.criteria
        ],
    }


def criterion_specs(version: RubricVersion) -> list[CriterionSpec]:
    return [CriterionSpec(c.code, c.points, c.essential) for c in version.criteria]


def level_label(version: RubricVersion, value: int) -> str:
    return next((lv["label"] for lv in version.levels if lv["value"] == value), str(value))


# Checking a version's content ---------------------------------------------------------------


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def rubric_problems(data: Any) -> list[FieldError]:
    """Every problem with a version document, each placed on its field (empty when fine)."""
    if not isinstance(data, Mapping):
        return [FieldError("", "must be an object")]
    problems: list[FieldError] = []
    level_values = _level_problems(data.get("levels"), problems)

    met_level = data.get("met_level")
    if not _is_int(met_level):
        problems.append(FieldError("met_level", "must be a whole number"))
    elif level_values and met_level not in level_values:
        problems.append(FieldError("met_level", "must be one of the scale's level values"))
    elif level_values and met_level == min(level_values):
        problems.append(
            FieldError("met_level", "must be above the lowest level, or every score counts as met")
        )

    threshold = data.get("threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        problems.append(FieldError("threshold", "must be a number"))
    elif not 0 < threshold <= 1:
        problems.append(FieldError("threshold", "must be above 0 and at most 1 (e.g. 0.85)"))

    reviewers = data.get("reviewers_per_submission")
    if not _is_int(reviewers) or not 1 <= reviewers <= MAX_REVIEWERS:
        problems.append(
            FieldError(
                "reviewers_per_submission", f"must be a whole number from 1 to {MAX_REVIEWERS}"
            )
        )

    _criteria_problems(data.get("criteria"), problems)
    return problems


def _level_problems(levels: Any, problems: list[FieldError]) -> set[int]:
    if not isinstance(levels, list) or not 2 <= len(levels) <= MAX_LEVELS:
        problems.append(FieldError("levels", f"must list from 2 to {MAX_LEVELS} levels"))
        return set()
    values: set[int] = set()
    for i, level in enumerate(levels):
        where = f"levels[{i}]"
        if not isinstance(level, Mapping):
            problems.append(FieldError(where, "must be an object with a value and a label"))
            continue
        value, label = level.get("value"), level.get("label")
        if not _is_int(value) or not 0 <= value <= 100:
            problems.append(FieldError(f"{where}.value", "must be a whole number from 0 to 100"))
        elif value in values:
            problems.append(FieldError(f"{where}.value", f"repeats the level {value}"))
        else:
            values.add(value)
        if not isinstance(label, str) or not label.strip():
            problems.append(FieldError(f"{where}.label", "is required"))
        elif len(label) > 60:
            problems.append(FieldError(f"{where}.label", "must be at most 60 characters"))
    return values


def _criteria_problems(criteria: Any, problems: list[FieldError]) -> None:
    if not isinstance(criteria, list) or not criteria:
        problems.append(FieldError("criteria", "a rubric needs at least one criterion"))
        return
    if len(criteria) > MAX_CRITERIA:
        problems.append(FieldError("criteria", f"must have at most {MAX_CRITERIA} criteria"))
    seen: set[str] = set()
    for i, criterion in enumerate(criteria):
        where = f"criteria[{i}]"
        if not isinstance(criterion, Mapping):
            problems.append(FieldError(where, "must be an object"))
            continue
        code = criterion.get("code")
        if not isinstance(code, str) or not CODE_RE.match(code):
            problems.append(FieldError(f"{where}.code", CODE_RULE))
        elif code.upper() in seen:
            problems.append(FieldError(f"{where}.code", f"repeats the code {code}"))
        else:
            seen.add(code.upper())
        title = criterion.get("title")
        if not isinstance(title, str) or not title.strip():
            problems.append(FieldError(f"{where}.title", "is required"))
        elif len(title) > 300:
            problems.append(FieldError(f"{where}.title", "must be at most 300 characters"))
        if not isinstance(criterion.get("guidance", ""), str):
            problems.append(FieldError(f"{where}.guidance", "must be text"))
        if criterion.get("principle") not in PRINCIPLES:
            problems.append(
                FieldError(f"{where}.principle", "must be one of " + ", ".join(PRINCIPLES))
            )
        points = criterion.get("points")
        if not _is_int(points) or not 1 <= points <= 3:
            problems.append(FieldError(f"{where}.points", "must be 1, 2 or 3"))
        if not isinstance(criterion.get("essential", False), bool):
            problems.append(FieldError(f"{where}.essential", "must be true or false"))


# Changing versions --------------------------------------------------------------------------


def _fill(version: RubricVersion, data: Mapping[str, Any]) -> None:
    """Set a version's content from a checked document (criteria replaced wholesale)."""
    version.levels = [
        {"value": level["value"], "label": level["label"].strip()}
        for level in sorted(data["levels"], key=lambda level: level["value"])
    ]
    version.met_level = data["met_level"]
    version.threshold = float(data["threshold"])
    version.reviewers_per_submission = data["reviewers_per_submission"]
    version.criteria = [
        Criterion(
            position=position,
            code=c["code"],
            title=c["title"].strip(),
            guidance=(c.get("guidance") or "").strip(),
            principle=c["principle"],
            points=c["points"],
            essential=bool(c.get("essential", False)),
        )
        for position, c in enumerate(data["criteria"], start=1)
    ]


def _content(version: RubricVersion) -> dict[str, Any]:
    document = version_document(version)
    return {k: document[k] for k in ("number", *DEFAULT_VERSION)}


def create_rubric(
    session: Session,
    name: str,
    data: Mapping[str, Any],
    *,
    actor: User | None,
    description: str = "",
) -> RubricVersion:
    """A new rubric with its first version (not current until an admin makes it so)."""
    problems = rubric_problems(data)
    if not name.strip():
        problems.insert(0, FieldError("name", "is required"))
    if problems:
        raise ValidationError(problems)
    if session.scalar(select(Rubric.id).where(Rubric.name == name.strip())) is not None:
        raise Conflict(f"a rubric named {name.strip()!r} already exists")
    rubric = Rubric(name=name.strip(), description=description)
    version = RubricVersion(rubric=rubric, number=1, current=False)
    _fill(version, data)
    session.add(rubric)
    session.flush()
    record_event(
        session,
        "rubric.create",
        "rubric_version",
        str(version.id),
        actor=actor,
        after={"rubric": rubric.name, **_content(version)},
    )
    return version


def new_rubric_version(
    session: Session, rubric: Rubric, data: Mapping[str, Any], *, actor: User | None
) -> RubricVersion:
    """Add the next version of `rubric` with this content; earlier versions stay as they are."""
    problems = rubric_problems(data)
    if problems:
        raise ValidationError(problems)
    number = (
        session.scalar(
            select(func.max(RubricVersion.number)).where(RubricVersion.rubric_id == rubric.id)
        )
        or 0
    ) + 1
    session.flush()
    version = RubricVersion(rubric_id=rubric.id, number=number, current=False)
    _fill(version, data)
    try:
        # A savepoint, so that two admins adding a version at once leave the loser's
        # transaction usable and answer a conflict instead of an error page.
        with session.begin_nested():
            session.add(version)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"version {number} of {rubric.name} was added at the same moment; try again"
        ) from exc
    session.expire(rubric, ["versions"])
    record_event(
        session,
        "rubric.version_create",
        "rubric_version",
        str(version.id),
        actor=actor,
        after=_content(version),
    )
    return version


def update_rubric_version(
    session: Session, version: RubricVersion, data: Mapping[str, Any], *, actor: User | None
) -> RubricVersion:
    """Change a version no submission has pinned; a frozen one is refused (make a new version)."""
    if version.frozen:
        raise Conflict(_frozen_message(version))
    problems = rubric_problems(data)
    if problems:
        raise ValidationError(problems)
    # Guarded on frozen_at: if a submission pins the version meanwhile, this changes nothing.
    claimed = rows_changed(
        session.execute(
            update(RubricVersion)
            .where(RubricVersion.id == version.id, RubricVersion.frozen_at.is_(None))
            .values(number=RubricVersion.number)
            .execution_options(synchronize_session=False)
        )
    )
    if claimed != 1:
        session.refresh(version)
        raise Conflict(_frozen_message(version))
    before = _content(version)
    # The old criteria go first: a kept code would otherwise clash with itself on insert.
    version.criteria = []
    session.flush()
    _fill(version, data)
    session.flush()
    record_event(
        session,
        "rubric.version_update",
        "rubric_version",
        str(version.id),
        actor=actor,
        before=before,
        after=_content(version),
    )
    return version


def _frozen_message(version: RubricVersion) -> str:
    return (
        f"version {version.number} of {version.rubric.name} is frozen: submissions use it, so "
        "it never changes; start a new version from it instead"
    )


def make_current(session: Session, version: RubricVersion, *, actor: User | None) -> RubricVersion:
    """Make `version` the one new submissions pin; the previous current one stops being it."""
    previous = session.scalars(
        select(RubricVersion.id).where(RubricVersion.current.is_(True))
    ).all()
    if list(previous) == [version.id]:
        return version
    # One statement sets every row, so two admins at once still leave exactly one current.
    session.execute(
        update(RubricVersion)
        .values(current=RubricVersion.id == version.id)
        .execution_options(synchronize_session="evaluate")
    )
    record_event(
        session,
        "rubric.make_current",
        "rubric_version",
        str(version.id),
        actor=actor,
        before={"current": list(previous)},
        after={"current": [version.id]},
    )
    return version


def freeze(version: RubricVersion) -> RubricVersion:
    """Mark a version used: from now on it never changes (the first pin sets the time)."""
    if version.frozen_at is None:
        version.frozen_at = utcnow()
    return version


def create_default_rubric(session: Session, *, actor: User | None = None) -> RubricVersion:
    """The EU micro-credential rubric, current unless another version is; safe to repeat."""
    rubric = session.scalars(select(Rubric).where(Rubric.name == DEFAULT_RUBRIC_NAME)).first()
    if rubric is not None:
        current = next((v for v in rubric.versions if v.current), None)
        return current or rubric.versions[-1]
    version = create_rubric(
        session,
        DEFAULT_RUBRIC_NAME,
        DEFAULT_VERSION,
        actor=actor,
        description=(
            "Built on the ten principles of the EU Council Recommendation on micro-credentials "
            "(2022/C 243/02, Annex II), with Quality-Matters-style points and essential criteria."
        ),
    )
    if session.scalar(select(RubricVersion.id).where(RubricVersion.current.is_(True))) is None:
        make_current(session, version, actor=actor)
    return version


# Aggregates and QA statistics ---------------------------------------------------------------


def _latest_reviews(session: Session, *conditions: Any) -> list[tuple[Assignment, Review]]:
    """The newest review of each non-cancelled assignment matching `conditions`."""
    newest = (
        select(Review.assignment_id, func.max(Review.number).label("number"))
        .group_by(Review.assignment_id)
        .subquery()
    )
    rows = session.execute(
        select(Assignment, Review)
        .join(Review, Review.assignment_id == Assignment.id)
        .join(
            newest,
            (newest.c.assignment_id == Review.assignment_id) & (newest.c.number == Review.number),
        )
        .where(Assignment.cancelled_at.is_(None), *conditions)
        .order_by(Assignment.submission_id, Assignment.round, Assignment.id)
    ).all()
    return [(assignment, review) for assignment, review in rows]


def submission_aggregate(session: Session, submission: Submission) -> Aggregate:
    """The aggregate of the current round: the newest review of each live assignment."""
    version = submission.rubric_version
    if version is None:
        raise Conflict("the submission has not entered review, so no rubric version is pinned")
    reviews = _latest_reviews(
        session,
        Assignment.submission_id == submission.id,
        Assignment.round == submission.round,
    )
    return aggregate(
        criterion_specs(version),
        [review.scores for _assignment, review in reviews],
        met_level=version.met_level,
        threshold=version.threshold,
    )


@dataclass(frozen=True)
class CriterionReliability:
    """Krippendorff's alpha for one criterion code across every reviewed round."""

    code: str
    title: str
    principle: str
    alpha: float | None
    units: int  # submission rounds with two or more ratings of this criterion
    ratings: int  # the ratings behind alpha

    @property
    def enough(self) -> bool:
        return self.units >= MIN_PAIRABLE_UNITS

    @property
    def reading(self) -> str:
        """What alpha means, in plain words."""
        if not self.enough:
            return "Not enough reviews yet."
        if self.alpha is None:
            return "Every rating so far is the same level, so agreement cannot be measured yet."
        if self.alpha >= ALPHA_RELIABLE:
            return "Reviewers read this criterion alike."
        if self.alpha >= ALPHA_TENTATIVE:
            return "Reviewers mostly agree; watch this criterion."
        return "Reviewers read this criterion differently; its guidance may need rewording."

    @property
    def reliable(self) -> bool | None:
        if self.alpha is None:
            return None
        return self.alpha >= ALPHA_TENTATIVE


def criterion_reliability(session: Session) -> list[CriterionReliability]:
    """Alpha per criterion code over every submission round, in the current rubric's order.

    A unit is one round of one submission; its values are the levels its reviewers gave.
    Codes only older versions use follow, titled as in the newest version that has them.
    """
    units: dict[str, dict[tuple[int, int], list[int]]] = defaultdict(lambda: defaultdict(list))
    for assignment, review in _latest_reviews(session):
        for code, level in (review.scores or {}).items():
            if _is_int(level):
                units[code][(assignment.submission_id, assignment.round)].append(level)

    titles: dict[str, tuple[str, str]] = {}
    order: list[str] = []
    versions = session.scalars(
        select(RubricVersion)
        .options(selectinload(RubricVersion.criteria))
        .order_by(RubricVersion.current.desc(), RubricVersion.id.desc())
    ).all()
    for version in versions:
        for criterion in version.criteria:
            if criterion.code not in titles:
                titles[criterion.code] = (criterion.title, criterion.principle)
                order.append(criterion.code)
    order += sorted(code for code in units if code not in titles)

    result = []
    for code in order:
        by_round = units.get(code, {})
        pairable = [values for values in by_round.values() if len(values) >= 2]
        title, principle = titles.get(code, (code, ""))
        result.append(
            CriterionReliability(
                code=code,
                title=title,
                principle=principle,
                alpha=krippendorff_alpha_ordinal(pairable),
                units=len(pairable),
                ratings=sum(len(values) for values in pairable),
            )
        )
    return result


def submission_counts(session: Session) -> list[tuple[str, int]]:
    """How many submissions are in each workflow state, every state listed in table order."""
    rows = session.execute(select(Submission.state, func.count()).group_by(Submission.state))
    counts: Counter[str] = Counter({state: count for state, count in rows})
    known = [(state, counts.get(state, 0)) for state in STATES]
    return known + sorted((s, n) for s, n in counts.items() if s not in STATES)


def rubric_for_form(version: RubricVersion | None) -> dict[str, Any]:
    """The content the editor starts from: a version's, or the default rubric's."""
    if version is None:
        return {k: DEFAULT_VERSION[k] for k in DEFAULT_VERSION}
    document = version_document(version)
    return {k: document[k] for k in DEFAULT_VERSION}


def criteria_by_principle(version: RubricVersion) -> dict[str, Sequence[Criterion]]:
    grouped: dict[str, list[Criterion]] = defaultdict(list)
    for criterion in version.criteria:
        grouped[criterion.principle].append(criterion)
    return dict(grouped)
