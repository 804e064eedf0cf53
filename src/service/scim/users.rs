//! SCIM Users: contacts seen through one identity-provider configuration.
use argon2::{Argon2, PasswordHasher, password_hash::SaltString};
use entity::{contact, scim_user};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr};
use serde_json::Value;
use uuid::Uuid;

use super::{
    ListQuery, ScimResult, Scope,
    resource::{
        Answer, Planned, Rendered, ScimResource, Update, Users, load, render_known, render_one,
        write_planned,
    },
};
use crate::{
    db::{
        self,
        contacts::ContactChanges,
        credentials::{self, NewSsoCredential},
        queries,
        scim::{Read, ScimPage, Window},
    },
    domain::{
        scim::{
            adoption,
            cursor::Position,
            filter,
            patch::{self, Kind},
            project::Selection,
            user::{self, Contactable, Meta, PLACEHOLDER_DOMAIN, UserData},
        },
        stored::{ContactStatus, Outcome, StoredEnum},
        validate,
    },
    error::{AppError, AppResult},
    service::{App, now},
};

mod create;
mod log;

use log::{Provisioned, changed_attributes};

fn placeholder_email(user_id: Uuid) -> String {
    format!("{user_id}@{PLACEHOLDER_DOMAIN}")
}

fn is_placeholder(email: &str) -> bool {
    email.ends_with(&format!("@{PLACEHOLDER_DOMAIN}"))
}

/// A stored user as the SCIM attributes it carries (never its password).
fn data_of(u: &scim_user::Model, c: &contact::Model) -> AppResult<UserData> {
    let mut emails: Vec<Contactable> = AppError::decode_json("scim_user.emails", &u.emails)?;
    // A sign-in may have changed the contact's address since: the chosen element shows it.
    let contact_email = (!is_placeholder(&c.email)).then(|| c.email.clone());
    if let Some(current) = &contact_email
        && let Some(chosen) = user::chosen_email(&emails).map(|e| e.value.clone())
        && validate::fold(&chosen) != c.email_folded
        && let Some(element) = emails.iter_mut().find(|e| e.value == chosen)
    {
        element.value = current.clone();
    }
    let status: ContactStatus = AppError::decode(&c.status)?;
    let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    Ok(UserData {
        user_name: u.user_name.clone(),
        external_id: u.external_id.clone(),
        given_name: some(&c.first_name),
        family_name: some(&c.last_name),
        display_name: u.display_name.clone(),
        title: u.title.clone(),
        email: contact_email,
        emails,
        active: status == ContactStatus::Active,
        phone_numbers: AppError::decode_json("scim_user.phone_numbers", &u.phone_numbers)?,
        department: u.department.clone(),
        employee_number: u.employee_number.clone(),
        organization: u.organization.clone(),
        manager: u.manager_id.clone(),
        password: None,
    })
}

type UserRow = (scim_user::Model, contact::Model);

impl ScimResource for Users {
    type Row = UserRow;
    const NAME: &'static str = "User";
    const ENDPOINT: &'static str = "/Users";
    const LINKS: &'static str = "groups";
    const LINKS_ON_REQUEST: bool = false;
    /// A group the user is in: its id and display name.
    type Link = (Uuid, String);

    fn id((u, _): &UserRow) -> Uuid {
        u.id
    }

    fn position((u, _): &UserRow) -> Position {
        Position {
            created_at: u.created_at,
            id: u.id,
        }
    }

    fn meta(scope: &Scope, (u, c): &UserRow) -> Meta {
        Meta {
            resource_type: Self::NAME,
            created: u.created_at,
            last_modified: u.updated_at.max(c.updated_at),
            location: format!("{}{}/{}", scope.base, Self::ENDPOINT, u.id),
        }
    }

    async fn find<Db: ConnectionTrait>(
        db: &Db,
        configuration_id: Uuid,
        id: Uuid,
        read: Read,
    ) -> Result<Option<UserRow>, DbErr> {
        db::scim::user(db, configuration_id, id, read).await
    }

    async fn page(
        db: &DatabaseConnection,
        scope: &Scope,
        query: &ListQuery,
        window: &Window,
    ) -> ScimResult<ScimPage<UserRow>> {
        let cond = query.condition(filter::users)?;
        let configuration = (scope.configuration.id, scope.identity_provider_id());
        Ok(db::scim::list_users(db, configuration, &cond, window).await?)
    }

    async fn links<Db: ConnectionTrait>(
        db: &Db,
        ids: &[Uuid],
    ) -> Result<Vec<(Uuid, (Uuid, String))>, DbErr> {
        Ok(db::scim::groups_of_users(db, ids)
            .await?
            .into_iter()
            .map(|(user, group, name)| (user, (group, name)))
            .collect())
    }

    fn represent(
        scope: &Scope,
        (u, c): &UserRow,
        groups: Option<Vec<(Uuid, String)>>,
        meta: Meta,
        selection: &Selection,
    ) -> AppResult<Rendered> {
        let groups = groups.unwrap_or_default();
        let mut body = user::render(u.id, &data_of(u, c)?, &groups, &scope.base, &meta);
        selection.apply(&mut body);
        Ok(Rendered {
            body,
            members: None,
            version: meta.version(),
            location: meta.location,
        })
    }

    /// `POST /Users`: in `create`, with the adoption rules.
    async fn create(
        app: &App,
        scope: &Scope,
        body: &Value,
        selection: &Selection,
    ) -> ScimResult<Rendered> {
        let data = user::parse(body)?;
        app.transaction(async |txn| {
            let row = create::create_in(txn, scope, &data).await?;
            // A new user is in no group yet (an adopted contact's SCIM user is new too).
            render_known::<Self>(scope, row, Vec::new(), selection)
        })
        .await
    }

    /// A PUT replaces every attribute (an omitted one is cleared; an omitted password keeps the
    /// current one); parsing and the password's hash happen before the write gate is taken. A
    /// PATCH is applied to the user's representation, all or none, and the result stored as a
    /// PUT; its limits are checked on the message first.
    async fn update(
        app: &App,
        scope: &Scope,
        raw_id: &str,
        how: Update,
        body: &Value,
        if_match: Option<&str>,
        selection: &Selection,
    ) -> ScimResult<Answer> {
        if how == Update::Patch {
            patch::check(body, Kind::User)?;
            let patching = Patching(body);
            let rendered =
                write_planned::<Users>(app, scope, raw_id, if_match, &patching, selection).await?;
            return Ok(Answer::Resource(rendered));
        }
        let data = user::parse(body)?;
        let hash = data.password.as_deref().map(hash_password).transpose()?;
        let row = app
            .transaction(async |txn| {
                let row = load::<Self, _>(txn, scope, raw_id, Read::ForUpdate).await?;
                Self::check_if_match(scope, &row, if_match)?;
                replace_in(txn, scope, row, &data, hash).await
            })
            .await?;
        let rendered = render_one::<Self, _>(app.db(), scope, row, selection).await?;
        Ok(Answer::Resource(rendered))
    }

    /// `DELETE /Users/{id}`: the SCIM identity goes (with its SSO credential, password and group
    /// memberships, and the roles those granted); the contact stays, inactive, with its history.
    async fn remove(txn: &DatabaseTransaction, scope: &Scope, (u, c): UserRow) -> ScimResult<()> {
        let idp = scope.identity_provider_id();
        credentials::delete_sso(txn, c.id, idp, &u.user_name).await?;
        credentials::delete_passwords(txn, c.id).await?;
        let granted: Vec<String> = AppError::decode_json("scim_user.group_roles", &u.group_roles)?;
        let before: Vec<String> = AppError::decode_json("contact.roles", &c.roles)?;
        let mut roles = before.clone();
        roles.retain(|r| !granted.contains(r));
        if roles.is_empty() {
            roles.push(scope.configuration.default_role.clone());
        }
        // The event names what the delete changed, compared, not assumed.
        let mut changed = Vec::new();
        if c.status != ContactStatus::Inactive.as_str() {
            changed.push("status");
        }
        if roles != before {
            changed.push("roles");
        }
        let (user_id, user_name) = (u.id, u.user_name.clone());
        queries::delete::<scim_user::Entity, _>(txn, user_id).await?;
        let changes = ContactChanges {
            status: Some(ContactStatus::Inactive),
            roles: Some(Value::from(roles)),
            ..Default::default()
        };
        let contact = db::contacts::update(txn, c, changes, now()).await?;
        Provisioned {
            subject: &user_name,
            contact: &contact,
            outcome: Outcome::Deprovisioned,
            assignment: None,
            changed: &changed,
            reason: "deleted by the identity provider (SCIM): the SCIM identity, its SSO \
                     credential and password are removed, the contact is inactive and its \
                     history kept"
                .to_owned(),
        }
        .log(txn, scope)
        .await?;
        tracing::info!(user = %user_id, "SCIM user deleted; contact deactivated");
        Ok(())
    }
}

fn hash_password(password: &str) -> AppResult<String> {
    let mut salt = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut salt);
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| AppError::Internal(format!("password salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("password hash: {e}")))
}

/// The SSO identity (IdP, userName) that makes the user's sign-ins land on this contact,
/// created through this configuration's brand (which may later adopt the contact by it).
async fn add_sso_identity(
    txn: &DatabaseTransaction,
    scope: &Scope,
    contact_id: Uuid,
    user_name: &str,
) -> Result<(), DbErr> {
    let new = NewSsoCredential {
        contact_id,
        identity_provider_id: scope.identity_provider_id(),
        subject: user_name,
        created_via_brand_id: scope.configuration.brand_id,
        signing_in: false,
    };
    credentials::insert_sso(txn, new, now()).await.map(|_| ())
}

/// Moves a SCIM user's SSO identity from its old userName to `new`. The identity (IdP, new)
/// may already exist only as this contact's own, created through this brand (it is then kept
/// and the old one goes); another contact's identity, on an IdP several brands share or not,
/// is refused like an adoption would be.
async fn move_sso_identity(
    txn: &DatabaseTransaction,
    scope: &Scope,
    contact_id: Uuid,
    old: &str,
    new: &str,
) -> ScimResult<()> {
    let idp = scope.identity_provider_id();
    let holder = db::scim::sso_credential(txn, idp, new).await?;
    if !adoption::may_take_identity(
        scope.configuration.brand_id,
        contact_id,
        holder
            .as_ref()
            .map(|c| (c.contact_id, c.created_via_brand_id)),
    ) {
        return Err(adoption::refused().into());
    }
    if holder.is_some() {
        credentials::delete_sso(txn, contact_id, idp, old).await?;
    } else if !credentials::rename_sso_subject(txn, contact_id, idp, old, new).await? {
        add_sso_identity(txn, scope, contact_id, new).await?;
    }
    Ok(())
}

/// Writes a user's contact attributes: names, status and (when it is free) the email.
async fn write_contact(
    txn: &DatabaseTransaction,
    contact: contact::Model,
    data: &UserData,
) -> ScimResult<contact::Model> {
    let mut changes = ContactChanges {
        first_name: Some(data.given_name.clone().unwrap_or_default()),
        last_name: Some(data.family_name.clone().unwrap_or_default()),
        status: Some(user::status_of(data.active)),
        ..Default::default()
    };
    if let Some(email) = &data.email {
        let folded = validate::fold(email);
        if folded != contact.email_folded {
            // Taken, or a look-alike of another contact's address.
            let skeleton = validate::email_skeleton(&folded);
            let holders = queries::email_holders(txn, &folded, &skeleton, Some(contact.id)).await?;
            if holders.same.is_some() || holders.lookalike.is_some() {
                return Err(adoption::refused().into());
            }
            changes.email = Some(email.clone());
        }
    }
    Ok(db::contacts::update(txn, contact, changes, now()).await?)
}

/// A user's PATCH: the operations applied to its representation.
struct Patching<'a>(&'a Value);

/// A user's PATCH as planned from one version of the user.
struct PatchedUser {
    /// The attributes with the operations applied.
    data: UserData,
    /// The hash of a password they set.
    password_hash: Option<String>,
    /// The user's groups, read to patch the whole representation.
    groups: Vec<(Uuid, String)>,
}

impl Planned<Users> for Patching<'_> {
    type Plan = PatchedUser;

    async fn plan<Db: ConnectionTrait>(
        &self,
        db: &Db,
        scope: &Scope,
        row: &UserRow,
    ) -> ScimResult<PatchedUser> {
        let (u, _) = row;
        let groups: Vec<(Uuid, String)> = Users::links(db, &[u.id])
            .await?
            .into_iter()
            .map(|(_, group)| group)
            .collect();
        let current =
            render_known::<Users>(scope, row.clone(), groups.clone(), &Selection::default())?;
        let data = user::parse(&patch::apply(&current.body, self.0, Kind::User)?)?;
        let password_hash = data.password.as_deref().map(hash_password).transpose()?;
        Ok(PatchedUser {
            data,
            password_hash,
            groups,
        })
    }

    async fn store(
        &self,
        txn: &DatabaseTransaction,
        scope: &Scope,
        row: UserRow,
        plan: &PatchedUser,
    ) -> ScimResult<UserRow> {
        replace_in(txn, scope, row, &plan.data, plan.password_hash.clone()).await
    }

    /// A PATCH cannot change a user's groups (they are read-only), so the answer shows those
    /// the plan read, without a read after the commit. A membership changed between the two
    /// shows in the next GET, as a membership changed just after the answer would.
    fn known_links(&self, plan: &PatchedUser) -> Option<Vec<(Uuid, String)>> {
        Some(plan.groups.clone())
    }
}

/// Stores `data` over the user (`password_hash`: the hash of `data.password`, made before).
async fn replace_in(
    txn: &DatabaseTransaction,
    scope: &Scope,
    (u, c): UserRow,
    data: &UserData,
    password_hash: Option<String>,
) -> ScimResult<UserRow> {
    let idp = scope.identity_provider_id();
    let folded = validate::fold(&data.user_name);
    if folded != u.user_name_folded && db::scim::user_named(txn, idp, &folded).await?.is_some() {
        return Err(adoption::refused().into());
    }
    if data.user_name != u.user_name {
        move_sso_identity(txn, scope, c.id, &u.user_name, &data.user_name).await?;
    }
    let before = data_of(&u, &c)?;
    let changed = changed_attributes(&before, data);
    let contact = write_contact(txn, c, data).await?;
    if let Some(hash) = password_hash {
        credentials::replace_password(txn, contact.id, hash, now()).await?;
    }
    let row = db::scim::write::update_user(txn, u, data, now()).await?;
    if !changed.is_empty() {
        let (outcome, reason) = match (before.active, data.active) {
            (true, false) => (
                Outcome::Deactivated,
                "deactivated by the identity provider (SCIM): sign-ins are denied",
            ),
            (false, true) => (
                Outcome::Reactivated,
                "reactivated by the identity provider (SCIM)",
            ),
            _ => (Outcome::Updated, "updated by the identity provider (SCIM)"),
        };
        Provisioned {
            subject: &data.user_name,
            contact: &contact,
            outcome,
            assignment: None,
            changed: &changed,
            reason: reason.to_owned(),
        }
        .log(txn, scope)
        .await?;
        tracing::info!(user = %row.id, outcome = outcome.as_str(), ?changed, "SCIM user changed");
    }
    Ok((row, contact))
}
