//! Where a new contact goes, by the account rules of PRODUCT §4 (default account, company
//! match, individual account), for every door that creates contacts: the sign-in hook and
//! SCIM. The rules themselves are `domain::sign_in`; this loads what they ask for and stores
//! what they choose.
use entity::account;
use sea_orm::{DatabaseTransaction, DbErr};

use crate::{
    db::{self, queries},
    domain::sign_in::{AccountChoice, AccountRef, Need},
    service::now,
};

/// The account a [`Need::DefaultAccount`] or [`Need::CompanyAccount`] asks for.
pub(crate) async fn needed_account(
    txn: &DatabaseTransaction,
    need: &Need,
) -> Result<Option<account::Model>, DbErr> {
    match need {
        Need::DefaultAccount(id) => queries::find::<account::Entity, _>(txn, *id).await,
        Need::CompanyAccount { key, folded } => {
            queries::first_account_of_company_named(txn, key, *folded).await
        }
        Need::ContactByEmail { .. } | Need::ContactByClaim { .. } => Ok(None),
    }
}

pub(crate) fn account_ref(account: &account::Model) -> AccountRef {
    AccountRef {
        id: account.id,
        name: account.name.clone(),
    }
}

/// The stored account of the rules' choice: the chosen one among `loaded` (the accounts the
/// rules were shown), or a new individual account. `None` when the chosen account is not
/// among `loaded`, which is the caller's bug.
pub(crate) async fn account_of(
    txn: &DatabaseTransaction,
    choice: AccountChoice,
    loaded: Vec<account::Model>,
) -> Result<Option<account::Model>, DbErr> {
    match choice {
        AccountChoice::Existing(chosen) => Ok(loaded.into_iter().find(|a| a.id == chosen.id)),
        AccountChoice::Individual(name) => {
            let new = db::accounts::NewAccount {
                name,
                is_individual: true,
                company_id: None,
            };
            db::accounts::insert(txn, new, now()).await.map(Some)
        }
    }
}
