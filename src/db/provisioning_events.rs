//! The one write path of `provisioning_event` rows (the provisioning log is append-only): one
//! entry per sign-in call, per SCIM change of a contact and per admin change of a contact, each
//! saying which door it came through.
use chrono::{DateTime, Utc};
use entity::provisioning_event;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr};
use serde_json::Value;
use uuid::Uuid;

use crate::domain::{
    sign_in::claims,
    stored::{AccountAssignment, Outcome, Source, StoredEnum},
};

/// One entry.
pub struct NewEvent<'a> {
    pub source: Source,
    pub brand_id: Option<Uuid>,
    pub identity_provider_id: Option<Uuid>,
    /// The subject the IdP asserted (SSO), the userName (SCIM) or the email (admin).
    pub subject: &'a str,
    pub contact_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    pub outcome: Outcome,
    pub account_assignment: Option<AccountAssignment>,
    pub changed_attributes: &'a [&'a str],
    pub reason: String,
}

/// Appends an entry that occurred at `at`.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    event: NewEvent<'_>,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    // The subject is logged as sent, cut to the column's size if it was refused for length.
    let subject: String = event.subject.chars().take(claims::SUBJECT_MAX).collect();
    provisioning_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        occurred_at: Set(at),
        brand_id: Set(event.brand_id),
        identity_provider_id: Set(event.identity_provider_id),
        subject: Set(subject),
        contact_id: Set(event.contact_id),
        account_id: Set(event.account_id),
        outcome: Set(event.outcome.as_str().into()),
        account_assignment: Set(event.account_assignment.map(|a| a.as_str().into())),
        changed_attributes: Set(Value::from(event.changed_attributes.to_vec())),
        reason: Set(Some(event.reason)),
        source: Set(event.source.as_str().into()),
    }
    .insert(db)
    .await
    .map(|_| ())
}
