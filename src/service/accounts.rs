//! Accounts: create, update and delete (refused while contacts or configurations use one).
use entity::{account, company};

use super::{App, Deletion, Problems, delete_unreferenced, now};
use crate::{
    db::{self, queries::references_to_account},
    domain::{
        access::{Action, Principal},
        id::NodeKind,
    },
    error::AppResult,
};

pub struct NewAccount<'a> {
    pub name: &'a str,
    pub company_id: Option<&'a str>,
    pub is_individual: bool,
}

#[derive(Default)]
pub struct AccountChanges<'a> {
    pub name: Option<&'a str>,
    /// `Some(None)` detaches the account from its company.
    pub company_id: Option<Option<&'a str>>,
}

pub async fn create(
    app: &App,
    principal: &Principal,
    input: NewAccount<'_>,
) -> AppResult<account::Model> {
    let actor = app.authorize(principal, Action::Administer)?;
    let mut problems = Problems::default();
    let name = problems.name("name", input.name);
    app.transaction(async |txn| {
        let company = problems
            .load::<company::Entity, _>(txn, NodeKind::Company, "companyId", input.company_id)
            .await?;
        let name = problems.finish(name)?;
        let new = db::accounts::NewAccount {
            name,
            is_individual: input.is_individual,
            company_id: company.map(|c| c.id),
        };
        let model = db::accounts::insert(txn, new, now()).await?;
        super::audit::created(txn, &actor, "accounts.create", &model).await?;
        Ok(model)
    })
    .await
}

pub async fn update(
    app: &App,
    principal: &Principal,
    account_id: &str,
    changes: AccountChanges<'_>,
) -> AppResult<account::Model> {
    let actor = app.authorize(principal, Action::Administer)?;
    let mut problems = Problems::default();
    let name = changes.name.and_then(|n| problems.name("name", n));
    app.transaction(async |txn| {
        let current = problems
            .load::<account::Entity, _>(txn, NodeKind::Account, "accountId", account_id)
            .await?;
        let company = match changes.company_id {
            Some(Some(raw)) => problems
                .load::<company::Entity, _>(txn, NodeKind::Company, "companyId", raw)
                .await?
                .map(|c| Some(c.id)),
            Some(None) => Some(None),
            None => None,
        };
        let current = problems.finish(current)?;
        let written = db::accounts::AccountChanges {
            name,
            company_id: company,
        };
        let model = db::accounts::update(txn, current.clone(), written).await?;
        super::audit::updated(txn, &actor, "accounts.update", &current, &model).await?;
        Ok(model)
    })
    .await
}

const DELETE: Deletion = Deletion {
    kind: NodeKind::Account,
    label: "accountId",
    operation: "accounts.delete",
};

pub async fn delete(app: &App, principal: &Principal, id: &str) -> AppResult<account::Model> {
    delete_unreferenced::<account::Entity>(app, principal, &DELETE, id, references_to_account).await
}
