//! The hot paths stay cheap: how many statements each kind of sign-in runs, that every lookup
//! is served by an index (read from the database's own query plan), and that admin lists load
//! related objects in batches. Counts and plans, never wall time.
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, assert_contains},
    sso::Portal,
};

/// What the LMS portal asks back from the hook.
const SIGN_IN: &str = "mutation($input: SignInInput!) { sso { signIn(input: $input) {
    outcome accountAssignment changedAttributes reason contact { id email } account { id }
    errors { label message code } } } }";

/// Runs `work` and returns the SQL the server ran for it, without transaction control and
/// without the API-token lookup that authenticates every request.
pub(crate) async fn statements_of<F: Future<Output = Value>>(
    app: &TestApp,
    work: F,
) -> (Value, Vec<Statement>) {
    app.statements.start_recording();
    let out = work.await;
    let recorded = app.statements.stop_recording();
    let statements = recorded
        .into_iter()
        .filter(|s| !autoprov::db::statements::is_transaction_control(&s.sql))
        .filter(|s| !s.sql.contains("\"api_token\""))
        .collect();
    (out, statements)
}

fn listing(statements: &[Statement]) -> String {
    statements
        .iter()
        .map(|s| format!("  {}", s.sql))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A sign-in, which must have no payload errors, and the statements it ran.
async fn sign_in(p: &Portal, subject: &str, claims: Value) -> (Value, Vec<Statement>) {
    let input = p.input(subject, claims);
    let (out, statements) = statements_of(&p.app, p.raw(&p.app.owner_token, SIGN_IN, input)).await;
    assert_eq!(out["errors"], json!([]), "{subject}: {out}");
    (out, statements)
}

fn assert_at_most(limit: usize, what: &str, statements: &[Statement]) {
    assert!(
        statements.len() <= limit,
        "{what} ran {} statements (limit {limit}):\n{}",
        statements.len(),
        listing(statements)
    );
}

async fn company_portal() -> Portal {
    let app = crate::helpers::spawn_app().await;
    let acme = app.create_company("Acme").await;
    app.create_account("Acme learners", Some(&acme)).await;
    Portal::on(
        app,
        json!({
            "companyMatch": "caseInsensitive",
            "updateAttributesOnLogin": true,
            "linkExistingContacts": true,
            "roleMappings": [{"providerRole": "Staff", "role": "instructor"}]
        }),
    )
    .await
}

#[tokio::test]
async fn sign_ins_run_a_bounded_number_of_statements() {
    let p = company_portal().await;
    let claims = |email: &str, given: &str, company: &str, roles: &[&str]| json!({"email": email, "given_name": given, "family_name": "Lovelace", "company": company, "roles": roles});

    let ada = claims("ada@example.com", "Ada", "none", &[]);

    let (out, st) = sign_in(&p, "s-1", ada.clone()).await;
    assert_eq!(out["accountAssignment"], "individualAccount", "{out}");
    assert_at_most(8, "a first sign-in with a new individual account", &st);

    let (out, st) = sign_in(&p, "s-2", claims("bob@example.com", "Bob", "ACME", &[])).await;
    assert_eq!(out["accountAssignment"], "companyMatch", "{out}");
    assert_at_most(8, "a first sign-in by company match", &st);

    let (out, st) = sign_in(&p, "s-1", ada).await;
    assert_eq!(out["outcome"], "signedIn", "{out}");
    assert_eq!(out["changedAttributes"], json!([]), "{out}");
    assert_at_most(4, "a returning sign-in", &st);

    let augusta = claims("ada.l@example.com", "Augusta", "none", &["Staff"]);
    let (out, st) = sign_in(&p, "s-1", augusta).await;
    assert_eq!(out["outcome"], "signedIn", "{out}");
    assert_eq!(
        out["changedAttributes"],
        json!(["email", "firstName", "roles"]),
        "{out}"
    );
    assert_at_most(4, "a returning sign-in that updates the contact", &st);

    // Bob's email is taken: the update skips it inside the same single statement.
    let taken = claims("bob@example.com", "Ada", "none", &["Staff"]);
    let (out, st) = sign_in(&p, "s-1", taken).await;
    assert_eq!(out["changedAttributes"], json!(["firstName"]), "{out}");
    assert_eq!(out["contact"]["email"], "ada.l@example.com", "{out}");
    assert_contains(&out["reason"], "another contact has it");
    assert_at_most(4, "a returning sign-in claiming a taken email", &st);

    let account = p.app.create_account("Walk-ins", None).await;
    p.app.create_contact("cy@example.com", &account).await;
    let (out, st) = sign_in(&p, "s-3", claims("cy@example.com", "Cy", "none", &[])).await;
    assert_eq!(out["outcome"], "linked", "{out}");
    assert_at_most(8, "a first sign-in that links an existing contact", &st);
}

/// The query plan of `statement`, one line per plan row. On PostgreSQL sequential scans are
/// priced out first, so a tiny test table still shows whether an index *can* serve the query.
async fn plan(app: &TestApp, statement: &Statement) -> String {
    let backend = app.db.get_database_backend();
    let (prefix, column) = match backend {
        DbBackend::Postgres => ("EXPLAIN ", "QUERY PLAN"),
        _ => ("EXPLAIN QUERY PLAN ", "detail"),
    };
    let explain = Statement {
        sql: format!("{prefix}{}", statement.sql),
        values: statement.values.clone(),
        db_backend: backend,
    };
    let txn = app.db.begin().await.expect("begin");
    if backend == DbBackend::Postgres {
        txn.execute_unprepared("SET LOCAL enable_seqscan = off")
            .await
            .expect("set enable_seqscan");
    }
    let rows = txn.query_all_raw(explain).await.expect("explain");
    txn.rollback().await.expect("rollback");
    rows.iter()
        .map(|row| row.try_get::<String>("", column).expect("plan row"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A full scan of a table, in either database's plan vocabulary.
fn scans_a_table(plan: &str) -> bool {
    plan.lines().any(|line| {
        let line = line.trim_start_matches([' ', '-', '>']).trim();
        line.starts_with("Seq Scan") || (line.starts_with("SCAN ") && !line.contains("CONSTANT"))
    })
}

async fn assert_indexed(app: &TestApp, statement: &Statement, index: Option<&str>) -> String {
    let plan = plan(app, statement).await;
    assert!(
        !scans_a_table(&plan),
        "a full scan in the plan of\n  {}\n{plan}",
        statement.sql
    );
    if let Some(index) = index {
        assert!(
            plan.contains(index),
            "{index} is not used by\n  {}\n{plan}",
            statement.sql
        );
    }
    plan
}

fn reading<'a>(statements: &'a [Statement], table: &str) -> Vec<&'a Statement> {
    statements
        .iter()
        .filter(|s| s.sql.starts_with("SELECT") && s.sql.contains(&format!("FROM \"{table}\"")))
        .collect()
}

#[tokio::test]
async fn sign_in_lookups_use_indexes() {
    let p = company_portal().await;
    let ada = json!({"email": "Ada@Example.com", "given_name": "Ada", "company": "acme"});
    let (out, first) = sign_in(&p, "s-1", ada.clone()).await;
    assert_eq!(out["accountAssignment"], "companyMatch", "{out}");
    let (out, returning) = sign_in(&p, "s-1", ada).await;
    assert_eq!(out["outcome"], "signedIn", "{out}");

    // The one read of a returning sign-in finds the credential by (IdP, subject).
    let context = reading(&returning, "identity_provider_configuration");
    assert_eq!(context.len(), 1, "{}", listing(&returning));
    assert_indexed(&p.app, context[0], Some("ux_credential_idp_subject")).await;

    // A new contact's email: is it taken, then does it look like another contact's.
    let by_email = reading(&first, "contact");
    assert_eq!(by_email.len(), 2, "{}", listing(&first));
    assert_indexed(&p.app, by_email[0], Some("ux_contact_email_folded")).await;
    assert_indexed(&p.app, by_email[1], Some("ix_contact_email_skeleton")).await;

    let company = reading(&first, "account");
    assert_eq!(company.len(), 1, "{}", listing(&first));
    assert_indexed(&p.app, company[0], Some("ix_company_name_folded")).await;

    // Every other read of both sign-ins is indexed too.
    for statement in first.iter().chain(&returning) {
        if statement.sql.starts_with("SELECT") {
            assert_indexed(&p.app, statement, None).await;
        }
    }
}

#[tokio::test]
async fn exact_company_match_uses_the_name_index() {
    let p = company_portal().await;
    p.configure(json!({"companyMatch": "exact"})).await;
    let (out, st) = sign_in(
        &p,
        "s-1",
        json!({"email": "a@example.com", "company": "Acme"}),
    )
    .await;
    assert_eq!(out["accountAssignment"], "companyMatch", "{out}");
    let company = reading(&st, "account");
    assert_eq!(company.len(), 1, "{}", listing(&st));
    assert_indexed(&p.app, company[0], Some("ix_company_name")).await;
}

/// Creates an `entity` for each of `inputs` through `namespace { field }`, fifty at once
/// through aliases; returns the created IDs in order.
async fn create_many(
    app: &TestApp,
    [namespace, field]: [&str; 2],
    entity: &str,
    inputs: &[String],
) -> Vec<String> {
    let mut ids = Vec::with_capacity(inputs.len());
    // Fifty aliases a request keeps each document under the field limit.
    for chunk in inputs.chunks(50) {
        let body = chunk
            .iter()
            .enumerate()
            .map(|(i, input)| {
                format!(
                    "c{i}: {field}(input: {input}) {{ {entity} {{ id }} errors {{ message }} }}"
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        let data = app
            .data(
                &format!("mutation {{ {namespace} {{ {body} }} }}"),
                json!({}),
            )
            .await;
        ids.extend(
            (0..chunk.len())
                .map(|i| crate::helpers::id_of(&data[namespace][format!("c{i}")], entity)),
        );
    }
    ids
}

#[tokio::test]
async fn brand_lists_load_related_objects_in_batches() {
    // A wide batch window: a debug build on a busy machine resolves 100 list items slowly.
    // A complexity limit above the default: a hundred brands with everything they configure
    // is more than one default query may ask for, and this test is about batching.
    let app = crate::helpers::spawn_app_with(|s| {
        s.batch_window_ms = 100;
        s.max_complexity = 100_000;
    })
    .await;
    let n = 100;
    let inputs = |input: fn(usize) -> String| (0..n).map(input).collect::<Vec<_>>();
    let brand_inputs = inputs(|i| format!("{{name: \"Brand {i:03}\"}}"));
    let idp_inputs = inputs(|i| {
        format!("{{name: \"IdP {i}\", protocol: oidc, issuer: \"https://idp{i}.example\"}}")
    });
    let account_inputs = inputs(|i| format!("{{name: \"Default {i}\"}}"));
    let brands = create_many(&app, ["brands", "create"], "brand", &brand_inputs).await;
    let idps = create_many(
        &app,
        ["identityProviders", "create"],
        "identityProvider",
        &idp_inputs,
    )
    .await;
    let accounts = create_many(&app, ["accounts", "create"], "account", &account_inputs).await;
    let configurations = (0..n)
        .map(|i| format!(
            "{{brandId: \"{}\", identityProviderId: \"{}\", defaultAccountId: \"{}\", roleMappings: [{{providerRole: \"Staff\", role: \"instructor\"}}]}}",
            brands[i], idps[i], accounts[i]
        ))
        .collect::<Vec<_>>();
    create_many(
        &app,
        ["brands", "createIdentityProviderConfiguration"],
        "identityProviderConfiguration",
        &configurations,
    )
    .await;

    let app = &app;
    let list = |first: usize| async move {
        let query = format!(
            "{{ brands(first: {first}) {{ edges {{ node {{ id name identityProviderConfigurations {{
                identityProvider {{ id issuer }} defaultAccount {{ id name }} roleMappings {{ role }} }} }} }} }} }}"
        );
        statements_of(app, app.data(&query, json!({}))).await
    };
    let (page, statements) = list(n).await;
    let edges = page["brands"]["edges"].as_array().expect("edges");
    assert_eq!(edges.len(), n);
    for (i, edge) in edges.iter().enumerate() {
        let configuration = &edge["node"]["identityProviderConfigurations"][0];
        assert_eq!(
            configuration["identityProvider"]["issuer"],
            format!("https://idp{i}.example")
        );
        assert_eq!(
            configuration["defaultAccount"]["name"],
            format!("Default {i}")
        );
        assert_eq!(
            configuration["roleMappings"],
            json!([{"role": "instructor"}])
        );
    }
    // The page, then one query per relation: configurations, IdPs, accounts, role mappings.
    assert!(
        statements.len() <= 5,
        "{} statements:\n{}",
        statements.len(),
        listing(&statements)
    );
    let (_, for_ten) = list(10).await;
    assert_eq!(
        for_ten.len(),
        statements.len(),
        "the count grew with the page:\n{}",
        listing(&statements)
    );
}

#[tokio::test]
async fn a_page_after_a_cursor_seeks_the_order_index() {
    let app = crate::helpers::spawn_app().await;
    let account = app.create_account("Learners", None).await;
    for i in 0..3 {
        app.create_contact(&format!("c{i}@example.com"), &account)
            .await;
    }
    let page1 = app
        .data(
            "{ contacts(first: 1) { pageInfo { endCursor } } }",
            json!({}),
        )
        .await;
    let after = &page1["contacts"]["pageInfo"]["endCursor"];
    let (page2, statements) = statements_of(
        &app,
        app.data(
            "query($after: String) { contacts(first: 1, after: $after) { edges { node { email } } } }",
            json!({"after": after}),
        ),
    )
    .await;
    assert_eq!(
        page2["contacts"]["edges"][0]["node"]["email"],
        "c1@example.com"
    );
    let page = reading(&statements, "contact");
    assert_eq!(page.len(), 1, "{}", listing(&statements));
    assert_indexed(&app, page[0], Some("ix_contact_created")).await;
}

/// Issue 23: a PostgreSQL table filled before its first ANALYZE (a bulk import before
/// autovacuum's first pass, or with autovacuum off) looks empty to the planner, which then
/// walks the page index for a `userName eq` lookup. The service analyzes such tables once
/// they hold 1,000 written rows; SQLite needs no statistics for it and is left alone.
#[tokio::test]
async fn tables_filled_before_any_analyze_are_analyzed() {
    use autoprov::db::statistics::analyze_unseen;
    let app = crate::helpers::spawn_app().await;
    if app.db.get_database_backend() != DbBackend::Postgres {
        app.create_company("Acme").await;
        assert_eq!(
            analyze_unseen(&app.db, 1).await.expect("analyze"),
            Vec::<String>::new()
        );
        return;
    }
    app.db
        .execute_unprepared(
            "INSERT INTO company (id, name, name_folded, created_at) \
             SELECT gen_random_uuid(), 'Company ' || g, 'company ' || g, now() \
             FROM generate_series(1, 1500) AS g",
        )
        .await
        .expect("bulk insert");
    // PostgreSQL publishes its row counts within a second or so.
    let mut analyzed = Vec::new();
    for _ in 0..50 {
        analyzed = analyze_unseen(&app.db, 1000).await.expect("analyze");
        if !analyzed.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(analyzed, vec!["company".to_owned()]);
    let rows = app
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT c.reltuples::bigint AS n FROM pg_class c JOIN pg_namespace s \
             ON s.oid = c.relnamespace WHERE s.nspname = current_schema() AND c.relname = 'company'",
        ))
        .await
        .expect("reltuples")
        .expect("the company table");
    assert_eq!(rows.try_get::<i64>("", "n").expect("n"), 1500);
}
