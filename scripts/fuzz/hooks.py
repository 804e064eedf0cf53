"""Schemathesis hooks for the autoprov GraphQL fuzz run (loaded through SCHEMATHESIS_HOOKS).

Registers strategies for the schema's custom scalars so that every operation can be generated:

* `JSON` (only `SignInInput.claims`): mostly IdP-like claims objects - a dict of short strings,
  lists of strings, booleans and numbers under the keys the default attribute map reads (`email`,
  `email_verified`, `given_name`, `family_name`, `company`, `roles`) plus a few others - and
  sometimes a value that is not an object at all (which the server must deny with `claims`/`invalid`).
* `ID`: the IDs that run.sh seeded (env FUZZ_SEED_IDS, comma separated) mixed with arbitrary
  strings, so `sso { signIn previewSignIn }` reaches a real (brand, identity provider)
  configuration with `autoProvisionLearners: true` instead of stopping at "malformed ID".
* `DateTime` (only `CreateApiTokenInput.expiresAt`): RFC 3339 timestamps, past and future,
  UTC and with offsets, plus the extremes of the year range.
"""

from __future__ import annotations

import os

import graphql
import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

# ---------------------------------------------------------------------------------------------
# Building GraphQL literal value nodes from plain Python values
# ---------------------------------------------------------------------------------------------


def to_node(value: object) -> graphql.ValueNode:
    """A GraphQL literal (AST value node) for a JSON-like Python value."""
    if value is None:
        return nodes.Null
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, float):
        return nodes.Float(value)
    if isinstance(value, str):
        return nodes.String(value)
    if isinstance(value, list):
        return nodes.List([to_node(item) for item in value])
    if isinstance(value, dict):
        return nodes.Object(
            [
                graphql.ObjectFieldNode(name=graphql.NameNode(value=key), value=to_node(item))
                for key, item in value.items()
            ]
        )
    raise TypeError(f"not a JSON value: {value!r}")


# ---------------------------------------------------------------------------------------------
# JSON: IdP claims
# ---------------------------------------------------------------------------------------------

# GraphQL object literal keys must be GraphQL names, so claim keys are [_A-Za-z][_0-9A-Za-z]*.
KNOWN_KEYS = ["email", "email_verified", "given_name", "family_name", "company", "roles", "sub", "name", "groups"]
OTHER_KEYS = st.from_regex(r"\A[_A-Za-z][_0-9A-Za-z]{0,11}\Z")

# A small pool of emails, names and companies, so that later calls meet contacts and companies
# that earlier calls created (signedIn / linked / companyMatch paths), plus arbitrary text.
EMAILS = st.sampled_from(
    ["ada@acme.example", "ADA@Acme.Example", "grace@globex.example", "linus@initech.example", " ada@acme.example "]
)
SHORT_TEXT = st.text(max_size=12)
NAMES = st.sampled_from(["Ada", "Grace", "Linus", "", "  ", "Zoë", "李"]) | SHORT_TEXT
COMPANIES = st.sampled_from(["Acme Corp", "acme corp", " Acme Corp ", "Globex", "Ünïcode GmbH", ""]) | SHORT_TEXT
ROLES = st.sampled_from(["Staff", "Admin", "Learner", "staff", ""]) | SHORT_TEXT

SCALAR_VALUES = st.one_of(
    SHORT_TEXT,
    st.booleans(),
    st.integers(min_value=-(2**31), max_value=2**31 - 1),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)
STRING_OR_LIST = st.one_of(SHORT_TEXT, st.lists(SHORT_TEXT, max_size=3))

CLAIM_VALUES = {
    "email": st.one_of(EMAILS, st.emails(), STRING_OR_LIST, SCALAR_VALUES),
    "email_verified": st.one_of(st.booleans(), st.sampled_from(["true", "false"]), SCALAR_VALUES),
    "given_name": st.one_of(NAMES, st.lists(NAMES, max_size=3), SCALAR_VALUES),
    "family_name": st.one_of(NAMES, st.lists(NAMES, max_size=3), SCALAR_VALUES),
    "company": st.one_of(COMPANIES, st.lists(COMPANIES, max_size=3), SCALAR_VALUES),
    "roles": st.one_of(st.lists(ROLES, max_size=4), ROLES, SCALAR_VALUES),
}
ANY_CLAIM_VALUE = st.one_of(SCALAR_VALUES, st.lists(SHORT_TEXT, max_size=3))


@st.composite
def wild_claims(draw: st.DrawFn) -> dict:
    """Any mix of the known keys with any values, plus unknown keys: mostly denied, never a 5xx."""
    result = {}
    for key in draw(st.lists(st.sampled_from(KNOWN_KEYS), unique=True, max_size=len(KNOWN_KEYS))):
        result[key] = draw(CLAIM_VALUES.get(key, ANY_CLAIM_VALUE))
    for key in draw(st.lists(OTHER_KEYS, unique=True, max_size=2)):
        result.setdefault(key, draw(ANY_CLAIM_VALUE))
    return result


# Printable text (no control characters, which the server refuses in names).
PRINTABLE = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=12)
GOOD_NAMES = st.sampled_from(["Ada", "Grace", "Linus", "Zoë", "李", "O'Brien"]) | PRINTABLE
GOOD_COMPANIES = st.sampled_from(["Acme Corp", "acme corp", " Acme Corp ", "ACME CORP", "Globex", "Ünïcode GmbH"]) | PRINTABLE
GOOD_ROLES = st.sampled_from(["Staff", "Admin", "Learner", "staff"]) | PRINTABLE


@st.composite
def plausible_claims(draw: st.DrawFn) -> dict:
    """What an IdP sends: an email, usually names, a company and roles; these get provisioned."""
    result = {"email": draw(st.one_of(EMAILS, EMAILS, st.emails(), EMAILS.map(lambda email: [email])))}
    optional = {
        "email_verified": st.booleans(),
        "given_name": st.one_of(GOOD_NAMES, st.lists(GOOD_NAMES, min_size=1, max_size=2)),
        "family_name": GOOD_NAMES,
        "company": st.one_of(GOOD_COMPANIES, st.lists(GOOD_COMPANIES, min_size=1, max_size=2)),
        "roles": st.one_of(st.lists(GOOD_ROLES, max_size=4), GOOD_ROLES),
        "groups": st.lists(GOOD_ROLES, max_size=2),
    }
    for key in draw(st.lists(st.sampled_from(sorted(optional)), unique=True, max_size=len(optional))):
        result[key] = draw(optional[key])
    return result


def claims() -> st.SearchStrategy[dict]:
    return st.one_of(plausible_claims(), plausible_claims(), plausible_claims(), wild_claims())


# Mostly objects; sometimes something that is valid JSON but not an object (must be denied cleanly).
# (Not null at the top: `claims` is `JSON!`, so a null there is a schema violation.)
NOT_AN_OBJECT = st.one_of(
    SCALAR_VALUES,
    st.lists(SCALAR_VALUES, max_size=3),
    st.recursive(st.none() | SCALAR_VALUES, lambda inner: st.lists(inner, max_size=3), max_leaves=5),
)
NESTED = st.dictionaries(
    OTHER_KEYS, st.recursive(SCALAR_VALUES, lambda inner: st.lists(inner, max_size=3), max_leaves=4), max_size=3
)
JSON_VALUES = st.one_of(claims(), claims(), claims(), NESTED, NOT_AN_OBJECT)

schemathesis.graphql.scalar("JSON", JSON_VALUES.map(to_node))

# ---------------------------------------------------------------------------------------------
# ID: seeded IDs, wrong-type IDs and garbage
# ---------------------------------------------------------------------------------------------

SEED_IDS = [item for item in os.environ.get("FUZZ_SEED_IDS", "").split(",") if item]
ID_GARBAGE = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "0", "-1", "QnJhbmQ6", "QnJhbmQ6MA==", "Tm9wZTox", "!!!", "QnJhbmQ6" + "A" * 200]),
)
ID_VALUES = st.one_of(st.sampled_from(SEED_IDS), st.sampled_from(SEED_IDS), ID_GARBAGE) if SEED_IDS else ID_GARBAGE
schemathesis.graphql.scalar("ID", ID_VALUES.map(nodes.String))

# ---------------------------------------------------------------------------------------------
# DateTime
# ---------------------------------------------------------------------------------------------

DATETIMES = st.one_of(
    st.datetimes().map(lambda value: value.isoformat() + "Z"),
    st.datetimes().map(lambda value: value.strftime("%Y-%m-%dT%H:%M:%S+02:00")),
    st.sampled_from(
        [
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "1970-01-01T00:00:00Z",
            "2999-01-01T00:00:00.123456789Z",
            "2000-02-29T12:00:00-12:00",
        ]
    ),
)
schemathesis.graphql.scalar("DateTime", DATETIMES.map(nodes.String))

# ---------------------------------------------------------------------------------------------
# Keep the run's own footing: never revoke the token the fuzzer authenticates with, nor delete the
# seeded identity-provider configurations. Schemathesis feeds IDs it saw in responses back into
# later queries, so the token's ID (listed by `apiTokens`) would otherwise end up in
# `apiTokens { revoke }` and every later request would be a 401. Only destructive mutations are
# touched: a protected ID in them is swapped for a well-formed ID of nothing.
# ---------------------------------------------------------------------------------------------

PROTECTED_IDS = [item for item in os.environ.get("FUZZ_PROTECTED_IDS", "").split(",") if item]
DESTRUCTIVE = ("revoke", "delete")
STAND_IN_ID = "Tm90aGluZzox"  # base64("Nothing:1")


@schemathesis.hook
def before_call(context, case, kwargs):
    body = case.body
    if not PROTECTED_IDS or not isinstance(body, str) or not any(word in body for word in DESTRUCTIVE):
        return
    for protected in PROTECTED_IDS:
        body = body.replace(protected, STAND_IN_ID)
    case.body = body

# ---------------------------------------------------------------------------------------------
# Aim sign-in calls at the seeded configurations. Random IDs rarely form a (brand, identity
# provider) pair that has a configuration, so most generated signIn / previewSignIn calls would
# stop at "malformed ID" or "no configuration". For about 60% of them (chosen from a hash of the
# generated query, so a case replays the same way) brandId and identityProviderId are replaced
# by a seeded pair (env FUZZ_SIGNIN_PAIRS: "brand:idp,brand:idp,..."), and for about half the
# subject by one of a few fixed subjects, so that later calls sign in again (signedIn) or meet
# the contacts earlier calls created.
# ---------------------------------------------------------------------------------------------

import zlib  # noqa: E402

SIGNIN_PAIRS = [
    tuple(pair.split(":", 1)) for pair in os.environ.get("FUZZ_SIGNIN_PAIRS", "").split(",") if ":" in pair
]
SUBJECTS = ["00u1abcd", "00u2efgh", "user-3", "  padded  "]


class _AimSignIn(graphql.Visitor):
    def __init__(self, digest: int) -> None:
        super().__init__()
        self.digest = digest
        self.aim = digest % 10 < 6 and bool(SIGNIN_PAIRS)
        self.pair = SIGNIN_PAIRS[(digest // 10) % len(SIGNIN_PAIRS)] if SIGNIN_PAIRS else None
        self.subject = SUBJECTS[(digest // 100) % len(SUBJECTS)] if (digest // 1000) % 2 == 0 else None

    def enter_object_field(self, node, *_args):
        name = node.name.value
        value = None
        if self.aim and name == "brandId":
            value = self.pair[0]
        elif self.aim and name == "identityProviderId":
            value = self.pair[1]
        elif self.subject is not None and name == "subject":
            value = self.subject
        if value is None:
            return None
        return graphql.ObjectFieldNode(name=node.name, value=nodes.String(value))


def aim_sign_in(body: str) -> str:
    if not SIGNIN_PAIRS or ("signIn" not in body and "previewSignIn" not in body):
        return body
    try:
        document = graphql.parse(body)
    except graphql.GraphQLError:
        return body
    return graphql.print_ast(graphql.visit(document, _AimSignIn(zlib.crc32(body.encode()))))


@schemathesis.hook("before_call")
def aim_sign_in_calls(context, case, kwargs):
    # Negative cases are left alone: putting a valid ID or subject over a deliberately wrong-typed
    # value would turn them valid, and their acceptance would then look like a server bug.
    positive = case.meta is None or case.meta.generation.mode.is_positive
    if positive and isinstance(case.body, str) and case.operation.label == "MutationRoot.sso":
        case.body = aim_sign_in(case.body)
