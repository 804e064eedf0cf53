//! Accounts: the object type, queries and mutations.
use super::types::Timestamp;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};
use entity::{account, company};

use super::{
    Allow, app,
    company::Company,
    connection::{AccountField, entity_queries},
    id_or_null,
    mutation::entity_payload,
    principal,
    types::row_object,
};
use crate::{
    domain::{access::Action, id::NodeKind},
    service::{self, accounts::AccountChanges},
};

row_object! {
    #[Object]
    Account(account::Model), id NodeKind::Account;
    columns {
        name: String,
        /// An account of one person rather than of an organisation.
        #[graphql(guard = "Allow(Action::Read)")]
        is_individual: bool,
        #[graphql(guard = "Allow(Action::Read)")]
        created_at: Timestamp,
    }
    related {
        #[graphql(guard = "Allow(Action::Read)")]
        company: Company = company::Entity, company_id,
    }
}

entity_queries!(
    AccountQuery, guard = "Allow(Action::Read)";
    one account: account::Entity, NodeKind::Account;
    list accounts: AccountField => Account
);

#[derive(InputObject)]
pub struct CreateAccountInput {
    pub name: String,
    pub company_id: Option<ID>,
    /// An account of one person (default false).
    #[graphql(default)]
    pub is_individual: bool,
}

#[derive(InputObject)]
pub struct UpdateAccountInput {
    pub account_id: ID,
    pub name: Option<String>,
    /// `null` detaches the account from its company.
    pub company_id: MaybeUndefined<ID>,
}

#[derive(InputObject)]
pub struct DeleteAccountInput {
    pub account_id: ID,
}

entity_payload!(AccountPayload { account: Account });

pub struct AccountMutations;

#[Object(serial)]
impl AccountMutations {
    async fn create(&self, ctx: &Context<'_>, input: CreateAccountInput) -> Result<AccountPayload> {
        AccountPayload::from(
            service::accounts::create(
                app(ctx)?,
                principal(ctx)?,
                service::accounts::NewAccount {
                    name: &input.name,
                    company_id: input.company_id.as_ref().map(|id| id.as_str()),
                    is_individual: input.is_individual,
                },
            )
            .await,
        )
    }

    async fn update(&self, ctx: &Context<'_>, input: UpdateAccountInput) -> Result<AccountPayload> {
        AccountPayload::from(
            service::accounts::update(
                app(ctx)?,
                principal(ctx)?,
                &input.account_id,
                AccountChanges {
                    name: input.name.as_deref(),
                    company_id: id_or_null(&input.company_id),
                },
            )
            .await,
        )
    }

    /// Deletes an account without contacts that no configuration uses as default account.
    async fn delete(&self, ctx: &Context<'_>, input: DeleteAccountInput) -> Result<AccountPayload> {
        AccountPayload::from(
            service::accounts::delete(app(ctx)?, principal(ctx)?, &input.account_id).await,
        )
    }
}
