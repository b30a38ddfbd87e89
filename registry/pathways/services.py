"""Pathway pictures for pages: a credential's or a provider's neighbourhood, drawn and listed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import url_for
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.auth.permissions import acts_for_provider, has_permission
from registry.credentials.catalogue import cached_catalogue
from registry.credentials.models import Credential, CredentialVersion
from registry.credentials.rules_text import leaf_summary
from registry.credentials.services import credential_titles
from registry.pathways.graph import (
    PREREQUISITE,
    RECOGNITION,
    REQUIREMENT,
    Neighbourhood,
    Node,
    credential_neighbourhood,
    provider_neighbourhood,
)
from registry.pathways.layout import PER_LAYER, Layout, lay_out
from registry.pathways.svg import EDGE_STYLE, NodeText, render_svg
from registry.stacking.model import CredentialSpec
from registry.web.memo import Recent

# A provider picture starts from at most this many of its qualifications.
PROVIDER_QUALIFICATIONS = 12

RELATION_WORDS = {
    REQUIREMENT: "counts toward",
    PREREQUISITE: "is needed before",
    RECOGNITION: "is recognised as",
}


@dataclass
class Entry:
    """One node in words: its text and, per edge kind, the nodes it leads to."""

    key: str
    text: NodeText
    kind: str
    current: bool
    relations: list[tuple[str, list[NodeText]]] = field(default_factory=list)
    hidden: list[NodeText] = field(default_factory=list)  # a "+N more" node's members


@dataclass
class Picture:
    """A drawn neighbourhood: the SVG, its text equivalent by column, and a note."""

    svg: Markup | None
    columns: list[list[Entry]]
    note: str = ""
    truncated: bool = False

    @property
    def empty(self) -> bool:
        return self.svg is None


def _viewer_sees(user: Any) -> Any:
    """Which unpublished credentials this user may see drawn: their provider's, or all (QA)."""
    everything = has_permission(user, "credential:view-unpublished")
    signed_in = getattr(user, "is_authenticated", False)

    def visible(spec: CredentialSpec) -> bool:
        if spec.is_published or everything:
            return True
        return bool(signed_in and acts_for_provider(user, spec.provider))

    return visible


def visible_pathway(session: Session, pathway: dict[str, Any], user: Any) -> dict[str, Any]:
    """The pathway answer without the unpublished credentials this user may not see
    (what the credential counts toward, and the graph's nodes and edges)."""
    catalogue = cached_catalogue(session)
    visible = _viewer_sees(user)

    def shown(ident: str) -> bool:
        spec = catalogue.credentials.get(ident)
        return ident == pathway["credential"] or (spec is not None and visible(spec))

    return {
        **pathway,
        "counts_toward": [i for i in pathway["counts_toward"] if shown(i)],
        "nodes": [node for node in pathway["nodes"] if shown(node["id"])],
        "edges": [e for e in pathway["edges"] if shown(e["from"]) and shown(e["to"])],
    }


def _credits(node: Node) -> str:
    if not node.credits:
        return ""
    return f"{node.credits:g} {node.credit_unit}"


def _pool_title(rule: dict) -> str:
    """A short name for a filtered leaf: "120 SCQF of matching credits", "8 matching"."""
    if "credits" in rule:
        return f"{rule['credits']:g} {rule.get('unit') or 'ECTS'} of matching credits"
    count = rule.get("count")
    return f"{count} matching credential{'' if count == 1 else 's'}"


def _texts(
    nodes: dict[str, Node], titles: dict[str, str], more_href: Any, rule_href: Any
) -> dict[str, NodeText]:
    texts: dict[str, NodeText] = {}
    for key, node in nodes.items():
        if node.kind == "more":
            count = len(node.hidden)
            title = f"+{count} more"
            texts[key] = NodeText(
                title, "see them all", more_href(key), f"{count} more credentials in this column"
            )
        elif node.kind == "pool":
            summary = leaf_summary(node.rule)
            texts[key] = NodeText(
                _pool_title(node.rule or {}),
                "any that match the rule",
                rule_href(node.owner),
                f"{summary}: any matching credentials",
            )
        else:
            ident = node.ident or key
            title = titles.get(ident) or ident
            kind = "Qualification" if node.qualification else (node.type or "credential")
            detail = " · ".join(
                part
                for part in (
                    kind[:1].upper() + kind[1:],
                    _credits(node),
                    "" if node.published else "not published",
                )
                if part
            )
            label = f"{title}: {detail}" + (" (this credential)" if node.current else "")
            texts[key] = NodeText(
                title, detail, url_for("credentials.show", credential_id=ident), label
            )
    return texts


def _columns(layout: Layout, texts: dict[str, NodeText]) -> list[list[Entry]]:
    outgoing: dict[str, dict[str, list[str]]] = {}
    for source, target, kind, _ in layout.edges:
        outgoing.setdefault(source, {}).setdefault(kind, []).append(target)
    columns = []
    for layer in layout.layers:
        entries = []
        for key in layer:
            node = layout.nodes[key]
            relations = [
                (RELATION_WORDS[kind], [texts[t] for t in outgoing.get(key, {}).get(kind, [])])
                for kind in EDGE_STYLE
                if outgoing.get(key, {}).get(kind)
            ]
            entries.append(Entry(key, texts[key], node.kind, node.current, relations))
        columns.append(entries)
    return columns


def _names(titles: list[str], most: int = 8) -> str:
    shown = ", ".join(titles[:most])
    return shown + (f" and {len(titles) - most} more" if len(titles) > most else "")


def _describe(
    subject: str, hood: Neighbourhood, boxes: int, titles: dict[str, str], root: str | None
) -> str:
    """A few sentences for <desc>: the shape of the picture, what the rule names, and what
    the credential counts toward."""
    parts = [
        f"{subject}: {boxes} boxes in columns, parts on the left and what they count toward"
        " on the right, joined by arrows. The list below the picture says the same in words."
    ]
    if root is not None:
        named = sorted(
            titles.get(s, s)
            for s, t, k in hood.edges
            if t == root and k == REQUIREMENT and not s.startswith("pool:")
        )
        toward = sorted(
            titles.get(t, t) for s, t, k in hood.edges if s == root and k == REQUIREMENT
        )
        if named:
            parts.append(f"Its rule names {len(named)} credentials: {_names(named)}.")
        if toward:
            parts.append(f"It counts toward {_names(toward)}.")
    return " ".join(parts)


def _draw(
    session: Session,
    hood: Neighbourhood,
    *,
    per_layer: int = PER_LAYER,
    prefix: str,
    title: str,
    root: str | None,
    own_title: str | None,
    more_href: Any,
    rule_href: Any,
) -> tuple[Picture, dict[str, NodeText]]:
    layout = lay_out(hood, per_layer=per_layer)
    ids = {n.ident for n in hood.nodes.values() if n.ident}
    titles = credential_titles(session, ids)
    if root is not None and own_title:
        titles[root] = own_title
    nodes = dict(layout.nodes)
    texts = _texts(nodes, titles, more_href, rule_href)
    # Members of the "+N more" boxes, for the full list.
    members = {key: hood.nodes[key] for n in nodes.values() for key in n.hidden}
    member_texts = _texts(members, titles, more_href, rule_href)
    svg = render_svg(
        layout,
        texts,
        prefix=prefix,
        title=title,
        description=_describe(title, hood, len(layout.nodes), titles, root),
    )
    columns = _columns(layout, texts)
    for column in columns:
        for entry in column:
            entry.hidden = [member_texts[k] for k in layout.nodes[entry.key].hidden]
    return Picture(svg, columns, truncated=hood.truncated), texts


def credential_picture(
    session: Session,
    credential: Credential,
    version: CredentialVersion,
    user: Any,
    *,
    per_layer: int = PER_LAYER,
) -> Picture:
    """The neighbourhood of one version of a credential (a draft: from its own rules).

    A published version drawn for a viewer who sees only published credentials is the same
    picture for every such viewer until the catalogue moves on, so it is remembered with
    the catalogue (a bounded number of the most recently drawn).
    """
    catalogue = cached_catalogue(session)
    if version.id != credential.published_version_id or not _sees_only_published(user):
        return _credential_picture(session, catalogue, credential, version, user, per_layer)
    pictures = catalogue.index().cache.setdefault("pathway-pictures", Recent(PICTURES_KEPT))
    key = (credential.id, version.id, per_layer)
    picture = pictures.get(key)
    if picture is None:
        picture = _credential_picture(session, catalogue, credential, version, user, per_layer)
        pictures.put(key, picture)
    return picture


# Enough for the pages in demand; each picture is a few kilobytes of SVG.
PICTURES_KEPT = 2000


def _sees_only_published(user: Any) -> bool:
    """True when this viewer is shown no unpublished credential (see `_viewer_sees`)."""
    if has_permission(user, "credential:view-unpublished") or has_permission(user, "provider:edit"):
        return False
    return not (getattr(user, "is_authenticated", False) and user.has_role("provider"))


def _credential_picture(
    session: Session,
    catalogue: Any,
    credential: Credential,
    version: CredentialVersion,
    user: Any,
    per_layer: int,
) -> Picture:
    if credential.id not in catalogue.credentials:
        return Picture(None, [], note="This credential is not in the stacking catalogue yet.")
    own = version.id != credential.published_version_id
    hood = credential_neighbourhood(
        catalogue,
        credential.id,
        requirements=version.requirements,
        prerequisites=version.prerequisites,
        own_rules=own,
        visible=_viewer_sees(user),
    )
    note = (
        "Drawn from this version's own rules against the published catalogue."
        if own and credential.published_version_id is not None
        else ""
    )
    if len(hood.nodes) <= 1:
        return Picture(None, [], note=note)
    picture, _ = _draw(
        session,
        hood,
        per_layer=per_layer,
        prefix="pathway",
        title=f"Pathway of {version.title}",
        root=credential.id,
        own_title=version.title,
        more_href=lambda key: (
            url_for("pathways.page", credential_id=credential.id)
            + f"#column-{key.removeprefix('more:')}"
        ),
        rule_href=lambda owner: url_for("credentials.show", credential_id=owner) + "#how-it-stacks",
    )
    picture.note = note
    return picture


def provider_qualifications(session: Session, provider_id: str, catalogue: Any) -> list[str]:
    """The provider's published qualifications, by id."""
    ids = session.scalars(
        select(Credential.id)
        .where(Credential.provider_id == provider_id, Credential.published_version_id.is_not(None))
        .order_by(Credential.id)
    )
    return [
        ident
        for ident in ids
        if ident in catalogue.credentials and catalogue.credentials[ident].is_qualification
    ]


def provider_picture(session: Session, provider: Any, user: Any) -> Picture:
    """A provider's stacks: its qualifications, their parts and what they count toward."""
    catalogue = cached_catalogue(session)
    qualifications = provider_qualifications(session, provider.id, catalogue)
    if not qualifications:
        return Picture(None, [])
    hood = provider_neighbourhood(
        catalogue, qualifications[:PROVIDER_QUALIFICATIONS], visible=_viewer_sees(user)
    )
    picture, _ = _draw(
        session,
        hood,
        prefix="provider-pathway",
        title=f"Stacks of {provider.name}",
        root=None,
        own_title=None,
        more_href=lambda key: url_for("credentials.index", provider=provider.id),
        rule_href=lambda owner: url_for("credentials.show", credential_id=owner) + "#how-it-stacks",
    )
    if len(qualifications) > PROVIDER_QUALIFICATIONS:
        picture.note = (
            f"Showing {PROVIDER_QUALIFICATIONS} of its {len(qualifications)} qualifications."
        )
    return picture
