//! The operations measured against the server, each checking that the answer is the expected
//! one (a wrong outcome counts as an error, not as a fast request).
use std::sync::{
    Arc, Mutex,
    atomic::{AtomicU64, Ordering},
};

use serde_json::{Value, json};

use crate::{
    api::{Api, Setup},
    driver::{Op, op},
    seed::{account_name, company_name},
};

/// A learner as the IdP describes them; kept to sign in again with the same claims.
#[derive(Clone, Debug)]
pub struct Learner {
    pub subject: String,
    pub email: String,
    pub given: String,
    pub family: String,
}

impl Learner {
    /// Never seen before: the run prefix, a tag per cell family and a counter make it unique.
    pub fn new(prefix: &str, tag: &str, n: u64) -> Self {
        Self {
            subject: format!("{prefix}-{tag}-{n}"),
            email: format!("{tag}.{n}.{prefix}@Learners.Bench.Example"),
            given: "Learner".into(),
            family: format!("{tag} {n}"),
        }
    }

    pub fn claims(&self) -> Value {
        json!({ "email": self.email, "given_name": self.given, "family_name": self.family })
    }
}

pub type Learners = Arc<Mutex<Vec<Learner>>>;

/// What the portal reads, and all a portal token may read (README, Security).
const SIGN_IN: &str = "mutation SignIn($input: SignInInput!) { sso { signIn(input: $input) { \
    contact { id email firstName lastName } account { id name } \
    outcome accountAssignment errors { label message value code } } } }";

/// What every server operation needs.
pub struct Client {
    pub api: Api,
    pub setup: Setup,
    pub prefix: String,
    /// The token `{ __typename }` is sent with: the portal's, unless it is refused.
    pub noop_token: String,
    counter: AtomicU64,
}

impl Client {
    pub fn new(api: Api, setup: Setup, prefix: String) -> Self {
        let noop_token = setup.portal.clone();
        Self {
            api,
            setup,
            prefix,
            noop_token,
            counter: AtomicU64::new(0),
        }
    }

    /// Unique across the whole run (the driver's sequence restarts at every cell).
    pub fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    /// A bare sign-in: the subject and claims as the portal read them.
    async fn sign_in(&self, idp: &str, subject: &str, claims: Value) -> Result<Value, String> {
        self.sign_in_with(json!({
            "brandId": self.setup.brand,
            "identityProviderId": idp,
            "subject": subject,
            "claims": claims,
        }))
        .await
    }

    /// `sso.signIn` with the portal token and this `SignInInput`; the payload, or what was
    /// wrong if it has errors.
    pub async fn sign_in_with(&self, input: Value) -> Result<Value, String> {
        let mut data = self
            .api
            .post(&self.setup.portal, SIGN_IN, json!({ "input": input }))
            .await?;
        let payload = data["sso"]["signIn"].take();
        match payload["errors"].as_array() {
            Some(errors) if errors.is_empty() => Ok(payload),
            _ => Err(format!(
                "sign-in {}: {}",
                payload["outcome"], payload["errors"]
            )),
        }
    }

    /// Whether the portal token may send `{ __typename }`; if not, the owner's is used.
    pub async fn choose_noop_token(&mut self) -> bool {
        let portal_ok = noop_call(&self.api, &self.setup.portal).await.is_ok();
        if !portal_ok {
            self.noop_token = self.setup.owner.clone();
        }
        portal_ok
    }
}

fn expect(payload: &Value, outcome: &str, assignment: Option<&str>) -> Result<(), String> {
    if payload["outcome"] == json!(outcome) && payload["accountAssignment"] == json!(assignment) {
        Ok(())
    } else {
        Err(format!(
            "expected {outcome}/{assignment:?}, got {}/{}: {}",
            payload["outcome"], payload["accountAssignment"], payload["errors"]
        ))
    }
}

async fn noop_call(api: &Api, token: &str) -> Result<(), String> {
    let data = api.post(token, "{ __typename }", json!({})).await?;
    if data["__typename"].is_string() {
        Ok(())
    } else {
        Err(format!("unexpected answer: {data}"))
    }
}

/// `{ __typename }`: HTTP, authentication and GraphQL, no SQL of its own.
pub fn noop(client: &Arc<Client>) -> Op {
    let client = client.clone();
    op(move |_| {
        let client = client.clone();
        async move { noop_call(&client.api, &client.noop_token).await }
    })
}

/// A never-seen subject and email on `idp`, without a company claim: a new individual account.
/// Successful learners are kept for the returning cells.
pub fn first_individual(client: &Arc<Client>, idp: &str, tag: &'static str, out: &Learners) -> Op {
    let (client, idp, out) = (client.clone(), idp.to_owned(), out.clone());
    op(move |_| {
        let (client, idp, out) = (client.clone(), idp.clone(), out.clone());
        async move {
            let learner = Learner::new(&client.prefix, tag, client.next());
            let payload = client
                .sign_in(&idp, &learner.subject, learner.claims())
                .await?;
            expect(&payload, "created", Some("individualAccount"))?;
            if let Ok(mut out) = out.lock() {
                out.push(learner);
            }
            Ok(())
        }
    })
}

/// A never-seen learner whose company claim names a random seeded company (among the first
/// `companies`) in other letter case: joins that company's account.
pub fn first_company(client: &Arc<Client>, companies: u64) -> Op {
    let client = client.clone();
    op(move |n| {
        let client = client.clone();
        async move {
            let learner = Learner::new(&client.prefix, "company", client.next());
            let i = rand::random_range(0..companies);
            let name = company_name(i);
            let claimed = if n % 2 == 0 {
                name.to_uppercase()
            } else {
                swap_case(&name)
            };
            let mut claims = learner.claims();
            claims["company"] = json!(claimed);
            let payload = client
                .sign_in(&client.setup.idp_company, &learner.subject, claims)
                .await?;
            expect(&payload, "created", Some("companyMatch"))?;
            if payload["account"]["name"] != json!(account_name(i)) {
                return Err(format!(
                    "company {i}: joined {} instead of its account",
                    payload["account"]["name"]
                ));
            }
            Ok(())
        }
    })
}

fn swap_case(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_uppercase() {
                c.to_ascii_lowercase()
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect()
}

/// A known subject signs in again. With `update_names`, the given and family names change at
/// every call (the configuration updates attributes on login, so the call writes them).
pub fn returning(
    client: &Arc<Client>,
    idp: &str,
    learners: Vec<Learner>,
    update_names: bool,
) -> Op {
    assert!(!learners.is_empty(), "no learners to sign in again");
    let (client, idp, learners) = (client.clone(), idp.to_owned(), Arc::new(learners));
    op(move |_| {
        let (client, idp, learners) = (client.clone(), idp.clone(), learners.clone());
        async move {
            let learner = &learners[rand::random_range(0..learners.len())];
            let mut claims = learner.claims();
            let (given, family) = if update_names {
                let n = client.next();
                (format!("Given {n}"), format!("Family {n}"))
            } else {
                (learner.given.clone(), learner.family.clone())
            };
            claims["given_name"] = json!(given);
            claims["family_name"] = json!(family);
            let payload = client.sign_in(&idp, &learner.subject, claims).await?;
            expect_returning(&payload, learner, &given, &family)
        }
    })
}

/// A returning sign-in's answer: `learner` signed in, with these names.
pub fn expect_returning(
    payload: &Value,
    learner: &Learner,
    given: &str,
    family: &str,
) -> Result<(), String> {
    expect(payload, "signedIn", None)?;
    let contact = &payload["contact"];
    if contact["email"] != json!(learner.email) {
        return Err(format!("signed in as {} instead", contact["email"]));
    }
    if contact["firstName"] != json!(given) || contact["lastName"] != json!(family) {
        return Err(format!("expected names {given} {family}, got {payload}"));
    }
    Ok(())
}

/// The four admin listings of contacts (creation order, 25 per page).
#[derive(Clone, Debug)]
pub enum Listing {
    Page1,
    /// After the cursor of the row at ~90 % of the table.
    AfterCursor(String),
    /// An `offset`: ~90 % of the table, or the server's cap if that is less.
    Offset(u64),
    /// Page 1 asking for `totalRecords` too.
    Page1Total,
}

const PAGE: &str = "edges { cursor node { id email firstName lastName } } \
                    pageInfo { hasNextPage endCursor }";
const PAGE_TOTAL: &str = "edges { cursor node { id email firstName lastName } } \
                          pageInfo { hasNextPage endCursor totalRecords }";

pub fn listing(client: &Arc<Client>, listing: Listing, total: u64) -> Op {
    let (query, variables) = match &listing {
        Listing::Page1 => (format!("{{ contacts(first: 25) {{ {PAGE} }} }}"), json!({})),
        Listing::AfterCursor(cursor) => (
            format!("query($after: String!) {{ contacts(first: 25, after: $after) {{ {PAGE} }} }}"),
            json!({ "after": cursor }),
        ),
        Listing::Offset(offset) => (
            format!("query($offset: Int!) {{ contacts(first: 25, offset: $offset) {{ {PAGE} }} }}"),
            json!({ "offset": offset }),
        ),
        Listing::Page1Total => (
            format!("{{ contacts(first: 25) {{ {PAGE_TOTAL} }} }}"),
            json!({}),
        ),
    };
    let with_total = matches!(listing, Listing::Page1Total);
    let (client, query) = (client.clone(), Arc::new(query));
    op(move |_| {
        let (client, query, variables) = (client.clone(), query.clone(), variables.clone());
        async move {
            let data = client
                .api
                .post(&client.setup.owner, &query, variables)
                .await?;
            let page = &data["contacts"];
            let rows = page["edges"].as_array().map_or(0, Vec::len);
            if rows != 25 || page["pageInfo"]["hasNextPage"] != json!(true) {
                return Err(format!(
                    "expected 25 rows and a next page, got {rows}: {}",
                    page["pageInfo"]
                ));
            }
            if with_total && page["pageInfo"]["totalRecords"] != json!(total) {
                return Err(format!(
                    "totalRecords {} instead of {total}",
                    page["pageInfo"]["totalRecords"]
                ));
            }
            Ok(())
        }
    })
}

/// The cursor of the contact with this ID in the default (creation) order, from the API (its
/// format is the server's business). It is read from a list filtered to that one contact: a
/// cursor carries its row's sort key, so `after` it seeks to the same place in the whole list
/// (an `offset` to it would be refused beyond the server's cap).
pub async fn cursor_of(client: &Client, contact: uuid::Uuid) -> String {
    use base64::Engine;
    let id = base64::engine::general_purpose::STANDARD.encode(format!("Contact:{contact}"));
    let data = client
        .api
        .must(
            &client.setup.owner,
            "query($id: String!) { contacts(first: 1, filters: [{field: id, operation: eq, value: $id}]) { edges { cursor } } }",
            json!({ "id": id }),
        )
        .await;
    data["contacts"]["edges"][0]["cursor"]
        .as_str()
        .unwrap_or_else(|| panic!("no cursor for contact {contact}: {data}"))
        .to_owned()
}
