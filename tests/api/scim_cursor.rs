//! SCIM cursor paging (RFC 9865, issue 23 item 3) through the real server: a walk visits every
//! resource once in order and back again, changes during a walk neither repeat nor skip what
//! was there, filters and `.search` walk too, bad cursors are `invalidCursor`, and a cursor
//! page is a keyset seek that runs no more statements than an index page (and no `OFFSET`).
use serde_json::{Value, json};

use crate::{
    helpers::{ScimClient, TestApp},
    sso::Portal,
};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

struct Scim {
    p: Portal,
    c: ScimClient,
}

impl Scim {
    async fn new() -> Self {
        let (p, c) = Portal::with_scim(json!({})).await;
        Self { p, c }
    }

    fn app(&self) -> &TestApp {
        &self.p.app
    }

    async fn create_user(&self, user_name: &str) -> String {
        let body = json!({"schemas": [USER], "userName": user_name, "active": true,
            "name": {"givenName": "Walk", "familyName": "Er"},
            "emails": [{"value": user_name, "type": "work", "primary": true}]});
        let (status, _, user) = self.c.post("/Users", &body).await;
        assert_eq!(status, 201, "{user}");
        id(&user)
    }

    /// Users created one after another, so their creation order is the list order.
    async fn create_users(&self, prefix: &str, count: usize) -> Vec<String> {
        let mut ids = Vec::with_capacity(count);
        for i in 0..count {
            ids.push(
                self.create_user(&format!("{prefix}{i:02}@example.com"))
                    .await,
            );
        }
        ids
    }

    /// `GET path?params`, which must succeed with a ListResponse.
    async fn list(&self, path: &str, params: &[(&str, &str)]) -> Value {
        let (status, _, list) = self.c.query(path, params).await;
        assert_eq!(status, 200, "{params:?}: {list}");
        assert_eq!(list["schemas"], json!([LIST]), "{list}");
        list
    }

    /// Walks `path` by cursor from `cursor` following `follow` (`nextCursor` or
    /// `previousCursor`) until the list ends; returns the pages in the order visited.
    async fn walk(
        &self,
        path: &str,
        filter: Option<&str>,
        count: &str,
        follow: &str,
    ) -> Vec<Value> {
        self.walk_from(path, filter, count, follow, String::new())
            .await
    }

    async fn walk_from(
        &self,
        path: &str,
        filter: Option<&str>,
        count: &str,
        follow: &str,
        mut cursor: String,
    ) -> Vec<Value> {
        let mut pages = Vec::new();
        loop {
            let mut params = vec![("cursor", cursor.as_str()), ("count", count)];
            if let Some(filter) = filter {
                params.push(("filter", filter));
            }
            let page = self.list(path, &params).await;
            assert!(page.get("startIndex").is_none(), "{page}");
            let next = page[follow].as_str().map(str::to_owned);
            pages.push(page);
            match next {
                Some(next) => cursor = next,
                None => return pages,
            }
            assert!(pages.len() <= 100, "the walk does not end");
        }
    }
}

fn id(resource: &Value) -> String {
    resource["id"].as_str().expect("id").to_owned()
}

fn ids(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .unwrap_or_else(|| panic!("no Resources: {list}"))
        .iter()
        .map(id)
        .collect()
}

fn all_ids(pages: &[Value]) -> Vec<String> {
    pages.iter().flat_map(ids).collect()
}

fn assert_error(reply: &(u16, reqwest::header::HeaderMap, Value), scim_type: &str, names: &str) {
    let (status, _, body) = reply;
    assert_eq!(*status, 400, "{body}");
    assert_eq!(body["scimType"], scim_type, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with(names)),
        "{body}"
    );
}

#[tokio::test]
async fn a_cursor_walk_visits_every_user_once_in_order_and_back() {
    let s = Scim::new().await;
    let created = s.create_users("walk", 25).await;

    let pages = s.walk("/Users", None, "7", "nextCursor").await;
    let sizes: Vec<usize> = pages.iter().map(|p| ids(p).len()).collect();
    assert_eq!(sizes, [7, 7, 7, 4]);
    assert_eq!(all_ids(&pages), created);
    for (i, page) in pages.iter().enumerate() {
        assert_eq!(page["itemsPerPage"], sizes[i], "{page}");
        // The first page is counted (one count per walk); later pages are not, so a walk of
        // a million users stays linear.
        match i {
            0 => assert_eq!(page["totalResults"], 25, "{page}"),
            _ => assert!(page.get("totalResults").is_none(), "{page}"),
        }
        // RFC 9865 §2: no previousCursor on the first page, nextCursor on every page but the
        // last.
        assert_eq!(page.get("previousCursor").is_some(), i > 0, "{page}");
        assert_eq!(page.get("nextCursor").is_some(), i < 3, "{page}");
        if let Some(cursor) = page["nextCursor"].as_str() {
            assert!(
                cursor
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)),
                "{cursor}"
            );
        }
    }

    // Back from the last page: the same pages, in reverse, the first without a
    // previousCursor.
    let last_previous = pages[3]["previousCursor"].as_str().expect("previousCursor");
    let back = s
        .walk_from(
            "/Users",
            None,
            "7",
            "previousCursor",
            last_previous.to_owned(),
        )
        .await;
    let back_ids: Vec<Vec<String>> = back.iter().map(ids).collect();
    let forward_ids: Vec<Vec<String>> = pages[..3].iter().rev().map(ids).collect();
    assert_eq!(back_ids, forward_ids);
    assert!(back[2].get("previousCursor").is_none(), "{}", back[2]);
    // And forward again from a page reached backwards.
    let again = back[2]["nextCursor"].as_str().expect("nextCursor");
    let forward = s
        .walk_from("/Users", None, "7", "nextCursor", again.to_owned())
        .await;
    assert_eq!(all_ids(&forward), created[7..]);

    // `?cursor` alone (RFC 9865's own example) is the first page; count defaults to 100.
    let (status, _, bare) = s.c.get("/Users?cursor").await;
    assert_eq!(status, 200, "{bare}");
    assert_eq!(ids(&bare), created);
    assert!(bare.get("nextCursor").is_none(), "{bare}");

    // count=0: only the total, and no cursor to follow.
    let totals = s.list("/Users", &[("cursor", ""), ("count", "0")]).await;
    assert_eq!(totals["totalResults"], 25);
    assert_eq!(totals["Resources"], json!([]));
    assert!(totals.get("nextCursor").is_none(), "{totals}");

    // Index paging is unchanged beside it.
    let index = s
        .list("/Users", &[("startIndex", "8"), ("count", "7")])
        .await;
    assert_eq!(index["startIndex"], 8);
    assert_eq!(index["totalResults"], 25);
    assert_eq!(ids(&index), created[7..14]);
    assert!(index.get("nextCursor").is_none(), "{index}");
}

#[tokio::test]
async fn changes_during_a_walk_neither_repeat_nor_skip() {
    let s = Scim::new().await;
    let created = s.create_users("busy", 12).await;

    let first = s.list("/Users", &[("cursor", ""), ("count", "5")]).await;
    assert_eq!(ids(&first), created[..5]);
    // Behind the cursor: a user deleted (with OFFSET this would skip one ahead); ahead of it:
    // one deleted; and three created, which come last.
    for gone in [&created[1], &created[8]] {
        let (status, _, body) = s.c.delete(&format!("/Users/{gone}")).await;
        assert_eq!(status, 204, "{body}");
    }
    let newcomers = s.create_users("late", 3).await;

    let next = first["nextCursor"].as_str().expect("nextCursor").to_owned();
    let rest = s.walk_from("/Users", None, "5", "nextCursor", next).await;
    let mut expected: Vec<String> = created[5..]
        .iter()
        .filter(|id| **id != created[8])
        .cloned()
        .collect();
    expected.extend(newcomers);
    assert_eq!(all_ids(&rest), expected);

    // Walking back past rows deleted since still ends, with nothing repeated.
    let previous = rest[0]["previousCursor"].as_str().expect("previousCursor");
    let back = s
        .walk_from("/Users", None, "5", "previousCursor", previous.to_owned())
        .await;
    let expected_back: Vec<String> = created[..5]
        .iter()
        .filter(|id| **id != created[1])
        .cloned()
        .collect();
    assert_eq!(all_ids(&back), expected_back);
}

#[tokio::test]
async fn a_filtered_walk_and_its_cursors_belong_to_its_filter() {
    let s = Scim::new().await;
    let mut xs = Vec::new();
    for i in 0..5 {
        xs.push(s.create_user(&format!("x{i}@example.com")).await);
        s.create_user(&format!("y{i}@example.com")).await;
    }
    let filter = "userName sw \"x\"";
    let pages = s.walk("/Users", Some(filter), "2", "nextCursor").await;
    assert_eq!(pages.len(), 3);
    assert_eq!(pages[0]["totalResults"], 5);
    assert_eq!(all_ids(&pages), xs);

    // The cursor of one filter is refused under another, or without one, or on /Groups.
    let cursor = pages[0]["nextCursor"].as_str().expect("nextCursor");
    for params in [
        vec![("cursor", cursor), ("filter", "userName sw \"y\"")],
        vec![("cursor", cursor)],
    ] {
        let reply = s.c.query("/Users", &params).await;
        assert_error(&reply, "invalidCursor", "cursor:");
    }
    let reply =
        s.c.query("/Groups", &[("cursor", cursor), ("filter", filter)])
            .await;
    assert_error(&reply, "invalidCursor", "cursor:");
}

#[tokio::test]
async fn groups_walk_by_cursor_too() {
    let s = Scim::new().await;
    let mut created = Vec::new();
    for i in 0..5 {
        let (status, _, group) =
            s.c.post(
                "/Groups",
                &json!({"schemas": [GROUP], "displayName": format!("Group {i}")}),
            )
            .await;
        assert_eq!(status, 201, "{group}");
        created.push(id(&group));
    }
    let pages = s.walk("/Groups", None, "2", "nextCursor").await;
    assert_eq!(pages.len(), 3);
    assert_eq!(all_ids(&pages), created);
    let back = s
        .walk_from(
            "/Groups",
            None,
            "2",
            "previousCursor",
            pages[2]["previousCursor"]
                .as_str()
                .expect("previousCursor")
                .to_owned(),
        )
        .await;
    let back_ids: Vec<String> = back.iter().rev().flat_map(ids).collect();
    assert_eq!(back_ids, created[..4]);
}

#[tokio::test]
async fn search_bodies_walk_by_cursor() {
    let s = Scim::new().await;
    let created = s.create_users("search", 5).await;
    let search = |cursor: Value| {
        json!({"schemas": [SEARCH], "cursor": cursor, "count": 3,
            "filter": "userName sw \"search\"", "attributes": ["userName"]})
    };
    let (status, _, first) = s.c.post("/Users/.search", &search(json!(""))).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(ids(&first), created[..3]);
    assert!(first["Resources"][0].get("name").is_none(), "{first}");
    let next = first["nextCursor"].clone();
    let (status, _, second) = s.c.post("/Users/.search", &search(next.clone())).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(ids(&second), created[3..]);
    assert!(second.get("nextCursor").is_none(), "{second}");
    // A cursor from .search continues the same query over GET.
    let get = s
        .list(
            "/Users",
            &[
                ("cursor", next.as_str().expect("cursor")),
                ("count", "3"),
                ("filter", "userName sw \"search\""),
            ],
        )
        .await;
    assert_eq!(ids(&get), created[3..]);

    for bad in [json!(5), json!(["x"]), json!({"cursor": ""})] {
        let reply = s.c.post("/Users/.search", &search(bad)).await;
        assert_error(&reply, "invalidCursor", "cursor:");
    }
    // `null` is unassigned (RFC 7643 §2.5), as everywhere in a SCIM body: an index page.
    let (status, _, unassigned) = s.c.post("/Users/.search", &search(json!(null))).await;
    assert_eq!(status, 200, "{unassigned}");
    assert_eq!(unassigned["startIndex"], 1, "{unassigned}");
    let mut both = search(json!(""));
    both["startIndex"] = json!(1);
    let reply = s.c.post("/Users/.search", &both).await;
    assert_error(&reply, "invalidValue", "startIndex, cursor:");
}

#[tokio::test]
async fn bad_cursors_are_400_and_never_a_page() {
    let s = Scim::new().await;
    let created = s.create_users("bad", 3).await;
    let first = s.list("/Users", &[("cursor", ""), ("count", "1")]).await;
    let good = first["nextCursor"].as_str().expect("nextCursor").to_owned();
    let mut tampered = good.clone().into_bytes();
    tampered[5] = if tampered[5] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");
    for cursor in [
        "garbage".to_owned(),
        "VZUTiyhEQJ94IR".to_owned(),
        tampered,
        format!("{good}x"),
        "%".repeat(10),
        "A".repeat(5000),
    ] {
        for path in ["/Users", "/Groups"] {
            let reply = s.c.query(path, &[("cursor", &cursor)]).await;
            assert_error(&reply, "invalidCursor", "cursor:");
        }
    }
    // cursor with startIndex names both, whatever their values.
    for (start, cursor) in [("1", ""), ("2", good.as_str())] {
        let reply =
            s.c.query("/Users", &[("startIndex", start), ("cursor", cursor)])
                .await;
        assert_error(&reply, "invalidValue", "startIndex, cursor:");
    }
    // Nothing was changed by any of it.
    let all = s.list("/Users", &[]).await;
    assert_eq!(ids(&all), created);
}

#[tokio::test]
async fn service_provider_config_advertises_cursor_paging() {
    let s = Scim::new().await;
    let (status, _, config) = s.c.get("/ServiceProviderConfig").await;
    assert_eq!(status, 200, "{config}");
    assert_eq!(
        config["pagination"],
        json!({"cursor": true, "index": true, "defaultPaginationMethod": "index",
            "defaultPageSize": 100, "maxPageSize": 1000, "cursorTimeout": i32::MAX})
    );
    // Without a cursor, a list pages by index (the default it advertises).
    let list = s.list("/Users", &[]).await;
    assert_eq!(list["startIndex"], 1);
    assert!(list.get("nextCursor").is_none(), "{list}");
}

/// The SQL a request ran, without transaction control and the token lookup.
async fn statements<T>(
    app: &TestApp,
    request: impl std::future::Future<Output = T>,
) -> Vec<String> {
    app.statements.start_recording();
    request.await;
    app.statements
        .stop_recording()
        .into_iter()
        .map(|s| s.sql)
        .filter(|sql| !autoprov::db::statements::is_transaction_control(sql))
        .filter(|sql| !sql.contains("\"api_token\""))
        .collect()
}

/// A cursor page is a keyset seek: never an OFFSET, counted on the first page only, and never
/// more statements than an index page.
#[tokio::test]
async fn a_cursor_page_runs_no_more_statements_than_an_index_page() {
    let s = Scim::new().await;
    s.create_users("cost", 9).await;
    // Warm the token cache so both sides run the same authentication.
    s.list("/Users", &[("count", "1")]).await;
    let first = s.list("/Users", &[("cursor", ""), ("count", "3")]).await;
    let next = first["nextCursor"].as_str().expect("nextCursor").to_owned();

    for (path, filter) in [
        ("/Users", None),
        ("/Users", Some("userName sw \"cost\"")),
        ("/Groups", None),
    ] {
        let with = |mut params: Vec<(&'static str, String)>| {
            if let Some(f) = filter {
                params.push(("filter", f.to_owned()));
            }
            params
        };
        let index_params = with(vec![("startIndex", "4".into()), ("count", "3".into())]);
        let first_params = with(vec![("cursor", String::new()), ("count", "3".into())]);
        let index = statements(s.app(), async {
            let p: Vec<(&str, &str)> = index_params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            s.list(path, &p).await
        })
        .await;
        let first_page = statements(s.app(), async {
            let p: Vec<(&str, &str)> = first_params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            s.list(path, &p).await
        })
        .await;
        assert!(
            first_page.len() <= index.len(),
            "{path} {filter:?}: first cursor page {first_page:#?} vs index page {index:#?}"
        );
        for sql in &first_page {
            assert!(!sql.to_uppercase().contains("OFFSET"), "{sql}");
        }
        if path == "/Users" && filter.is_none() {
            let later = statements(s.app(), async {
                s.list(path, &[("cursor", &next), ("count", "3")]).await
            })
            .await;
            assert!(later.len() < index.len(), "{later:#?} vs {index:#?}");
            for sql in &later {
                let upper = sql.to_uppercase();
                assert!(
                    !upper.contains("OFFSET") && !upper.contains("COUNT("),
                    "{sql}"
                );
            }
        }
    }
}
