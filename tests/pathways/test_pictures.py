"""Pathway pictures on the pages: well-formed SVG, a link per box, the text equivalent,
hostile titles, caps, drafts, and who sees unpublished credentials."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from registry.credentials.catalogue import bump_revision
from registry.credentials.models import Credential, Recognition
from registry.credentials.services import update_credential

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "Café \"quoted\" <b>bold</b> & 'single' ☃ 𝄞 ]]> --"


@pytest.fixture()
def stack(factory, db_session):
    """q1 needs a, b and q2 (2 of c, d, e); top needs q1; r is recognised as a; adv needs a
    first; a counts toward a draft qualification of the same provider."""
    provider = factory.provider("uni-path", name="University of Paths")
    for ident in "abcde":
        factory.credential(provider, ident, title=f"Course {ident.upper()}", credits=5, level=6)
    factory.credential(provider, "r", title="Other course R", credits=5)
    factory.credential(provider, "adv", title="Advanced", prerequisites={"credential": "a"})
    factory.credential(
        provider,
        "q2",
        title="Small certificate",
        type="certificate",
        credits=10,
        requirements={"at_least": 2, "of": [{"credential": i} for i in "cde"]},
    )
    factory.credential(
        provider,
        "q1",
        title="Big diploma",
        type="diploma",
        credits=60,
        requirements={"all": [{"credential": "a"}, {"credential": "b"}, {"credential": "q2"}]},
    )
    factory.credential(
        provider, "top", title="Top degree", requirements={"credential": "q1", "within_years": 5}
    )
    factory.credential(provider, "draft-q", title="Secret plan", requirements={"credential": "a"})
    factory.publish(*"abcde", "r", "adv", "q2", "q1", "top")
    db_session.add(Recognition(from_id="r", to_id="a", by_id=provider.id))
    bump_revision(db_session)
    db_session.flush()
    return provider


def svg_of(page: str, prefix: str = "pathway") -> ET.Element:
    """The inline picture, parsed as XML (it must be well-formed)."""
    match = re.search(rf'<svg [^>]*id="{prefix}".*?</svg>', page, re.S)
    assert match, "no picture on the page"
    return ET.fromstring(match.group(0))


def list_of(page: str) -> ET.Element:
    """The text equivalent (a <details> block), parsed as XML."""
    match = re.search(r'<details class="pathway-list".*?</details>', page, re.S)
    assert match, "no text equivalent on the page"
    return ET.fromstring(match.group(0))


def links(svg: ET.Element) -> dict[str, ET.Element]:
    return {a.get("data-key"): a for a in svg.iter(f"{SVG}a")}


def name(link: ET.Element) -> str:
    """A box's accessible name: its <title> (SVG-AAM)."""
    return link.find(f"{SVG}title").text


def test_every_box_is_one_link_to_its_credential(client, stack):
    page = client.get("/credentials/q1").get_data(as_text=True)
    svg = svg_of(page)

    boxes = links(svg)
    assert set(boxes) == {"q1", "a", "b", "q2", "c", "d", "e", "r", "top"}
    assert (
        len(list(svg.iter(f"{SVG}a")))
        == len(boxes)
        == len(svg.findall(f".//{SVG}rect[@class='box']"))
    )
    for key, link in boxes.items():
        assert link.get("href") == f"/credentials/{key}"
        assert name(link)
    assert boxes["q1"].get("aria-current") == "page"
    assert "Big diploma" in name(boxes["q1"])
    assert "Qualification" in name(boxes["q2"])
    assert svg.get("viewBox").startswith("0 0 ")
    assert svg.find(f"{SVG}title").text and svg.find(f"{SVG}desc").text


def test_edges_have_kinds_and_run_from_lower_to_higher_columns(client, stack):
    svg = svg_of(client.get("/credentials/a").get_data(as_text=True))
    x = {key: float(link.find(f"{SVG}rect").get("x")) for key, link in links(svg).items()}
    edges = {
        (path.get("data-from"), path.get("data-to"), path.get("class"))
        for path in svg.iter(f"{SVG}path")
        if path.get("data-from")
    }
    assert ("a", "q1", "edge edge-requirement") in edges
    assert ("a", "adv", "edge edge-prerequisite") in edges
    assert ("q1", "top", "edge edge-requirement") in edges  # transitively
    assert ("a", "draft-q", "edge edge-requirement") not in edges
    for source, target, _ in edges:
        assert x[source] < x[target]
    svg = svg_of(client.get("/credentials/q1").get_data(as_text=True))
    kinds = {path.get("class") for path in svg.iter(f"{SVG}path") if path.get("data-from")}
    assert "edge edge-recognition" in kinds  # r is recognised as a
    legend = " ".join(t.text or "" for t in svg.iter(f"{SVG}text"))
    assert "counts toward" in legend and "needed before" in legend and "recognised as" in legend


def test_the_text_equivalent_lists_the_same_boxes_and_arrows(client, stack):
    page = client.get("/credentials/q1").get_data(as_text=True)
    svg, listed = svg_of(page), list_of(page)

    entries = {li.get("data-key"): li for li in listed.iter("li") if li.get("data-key")}
    assert set(entries) == set(links(svg))
    for key, li in entries.items():
        assert li.find("a").get("href") == links(svg)[key].get("href")
    for path in svg.iter(f"{SVG}path"):
        if path.get("data-from"):
            targets = [a.get("href") for a in entries[path.get("data-from")].iter("a")]
            assert f"/credentials/{path.get('data-to')}" in targets


def test_the_rule_reads_beside_the_picture(client, stack):
    page = client.get("/credentials/q1").get_data(as_text=True)
    section = page.split('id="how-it-stacks"')[1].split("</section>")[0]
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section))
    assert "All 3 of these: Course A Course B Small certificate" in words
    assert "which needs: 2 of these 3: Course C Course D Course E" in words


def test_hostile_titles_are_escaped(client, factory, db_session, stack):
    factory.credential(stack, "evil", title=HOSTILE, credits=1)
    factory.credential(stack, "holder", title="Holder", requirements={"credential": "evil"})
    factory.publish("evil", "holder")

    page = client.get("/credentials/holder").get_data(as_text=True)
    svg = svg_of(page)  # parses: everything escaped
    assert name(links(svg)["evil"]).startswith(HOSTILE)
    assert "<b>bold</b>" not in page
    listed = list_of(page)
    assert any(a.text == HOSTILE for a in listed.iter("a"))

    standalone = client.get("/credentials/holder/pathway.svg")
    assert standalone.mimetype == "image/svg+xml"
    root = ET.fromstring(standalone.get_data())
    assert name(links(root)["evil"]).startswith(HOSTILE)


def test_a_big_neighbourhood_is_capped_with_a_link_to_the_full_list(client, factory, db_session):
    provider = factory.provider("uni-big")
    ids = [f"part-{n:02}" for n in range(30)]
    for ident in ids:
        factory.credential(provider, ident, title=f"Part {ident}", credits=1)
    factory.credential(
        provider,
        "wide",
        title="Wide",
        requirements={"at_least": 3, "of": [{"credential": i} for i in ids]},
    )
    factory.publish(*ids, "wide")

    svg = svg_of(client.get("/credentials/wide").get_data(as_text=True))
    boxes = links(svg)
    assert len(boxes) == 8 + 1  # seven parts and "+23 more" in one column, then the credential
    more = boxes["more:0"]
    assert more.get("href") == "/credentials/wide/pathway#column-0"
    assert "23 more" in name(more)

    full = client.get("/credentials/wide/pathway").get_data(as_text=True)
    listed = list_of(full)
    hrefs = {a.get("href") for a in listed.iter("a")}
    assert {f"/credentials/{i}" for i in ids} <= hrefs
    assert 'id="column-0"' in full


def test_unpublished_credentials_are_not_drawn_for_anonymous_users(client, auth, factory, stack):
    # (The JSON pathway leaves them out too: test_the_json_pathway_and_the_svg_agree.)
    page = client.get("/credentials/a").get_data(as_text=True)
    assert "draft-q" not in page and "Secret plan" not in page
    assert client.get("/credentials/draft-q/pathway.svg").status_code == 302

    auth.login(factory.user("provider", provider=stack))
    page = client.get("/credentials/a").get_data(as_text=True)
    boxes = links(svg_of(page))
    assert "draft-q" in boxes and "not published" in name(boxes["draft-q"])


def test_a_draft_version_is_drawn_from_its_own_rules(client, auth, factory, db_session, stack):
    staff = factory.user("provider", provider=stack)
    q1 = db_session.get(Credential, "q1")
    update_credential(
        db_session,
        q1,
        {"title": "Big diploma, new rules", "requirements": {"all": [{"credential": "e"}]}},
        actor=staff,
    )
    db_session.commit()
    auth.login(staff)

    page = client.get("/credentials/q1?version=current").get_data(as_text=True)
    assert "Drawn from this version&#39;s own rules" in page
    boxes = links(svg_of(page))
    assert {"e", "q1", "top"} <= set(boxes) and "a" not in boxes
    # The published version keeps its picture.
    assert "a" in links(svg_of(client.get("/credentials/q1").get_data(as_text=True)))


def test_a_credential_with_nothing_around_it_says_so(client, factory, db_session):
    factory.credential(factory.provider("uni-alone"), "alone", title="Alone")
    factory.publish("alone")
    page = client.get("/credentials/alone").get_data(as_text=True)
    assert "Nothing stacks with this credential yet" in page
    assert "<svg" not in page.split('id="how-it-stacks"')[1].split("</section>")[0]


def test_the_provider_page_shows_its_stacks(client, factory, stack):
    page = client.get("/providers/uni-path").get_data(as_text=True)
    boxes = links(svg_of(page, "provider-pathway"))
    assert {"q1", "q2", "top", "a", "c"} <= set(boxes)
    assert "draft-q" not in boxes

    factory.provider("uni-empty", name="Empty College")
    page = client.get("/providers/uni-empty").get_data(as_text=True)
    assert "Empty College has no published qualifications yet" in page


def test_the_json_pathway_and_the_svg_agree(client, stack):
    answer = client.get("/api/v1/credentials/a/pathway").get_json()
    assert answer["counts_toward"] == ["q1", "top"]  # not the unpublished draft-q
    assert "draft-q" not in {node["id"] for node in answer["nodes"]}
    assert all("draft-q" not in (edge["from"], edge["to"]) for edge in answer["edges"])
    root = ET.fromstring(client.get("/credentials/a/pathway.svg").get_data())
    assert {"q1", "top"} <= set(links(root))


def test_a_remembered_picture_follows_the_catalogue(client, auth, factory, db_session, stack):
    # Drawn once for a visitor, then remembered with the catalogue ...
    first = client.get("/credentials/b").get_data(as_text=True)
    assert "extra-q" not in links(svg_of(first))
    assert client.get("/credentials/b").get_data(as_text=True) == first

    # ... until the catalogue moves on: a newly published qualification shows at once.
    factory.credential(stack, "extra-q", title="Extra award", requirements={"credential": "b"})
    factory.publish("extra-q")
    db_session.commit()
    assert "extra-q" in links(svg_of(client.get("/credentials/b").get_data(as_text=True)))

    # Staff of the provider are never served the visitors' picture: they see their drafts.
    factory.credential(stack, "draft-b", title="Draft award", requirements={"credential": "b"})
    db_session.commit()
    assert "draft-b" not in links(svg_of(client.get("/credentials/b").get_data(as_text=True)))
    auth.login(factory.user("provider", provider=stack))
    assert "draft-b" in links(svg_of(client.get("/credentials/b").get_data(as_text=True)))
