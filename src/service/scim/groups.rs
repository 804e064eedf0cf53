use entity::scim_group;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr};
use serde_json::Value;
use std::collections::HashSet;
use uuid::Uuid;

use super::{
    ListQuery, ScimFailure, ScimResult, Scope,
    resource::{Groups, Planned, Rendered, ScimResource, Update, render_one, write_planned},
};
use crate::service::App;
use crate::{
    db::{
        self,
        contacts::ContactChanges,
        scim::{
            Read, ScimPage, Window,
            write::{self, NewGroup},
        },
    },
    domain::{
        scim::{
            ScimError,
            cursor::Position,
            filter,
            group::{self, GroupData},
            patch::{self, Kind},
            project::Selection,
            user::Meta,
        },
        validate,
    },
    error::{AppError, AppResult},
    service::now,
};

/// A stored group's attributes, without its members.
fn data_of(g: &scim_group::Model) -> GroupData {
    GroupData {
        display_name: g.display_name.clone(),
        external_id: g.external_id.clone(),
        ..Default::default()
    }
}

impl ScimResource for Groups {
    type Row = scim_group::Model;
    const NAME: &'static str = "Group";
    const ENDPOINT: &'static str = "/Groups";
    const LINKS: &'static str = "members";

    fn id(g: &scim_group::Model) -> Uuid {
        g.id
    }

    fn position(g: &scim_group::Model) -> Position {
        Position {
            created_at: g.created_at,
            id: g.id,
        }
    }

    fn meta(scope: &Scope, g: &scim_group::Model) -> Meta {
        Meta {
            resource_type: Self::NAME,
            created: g.created_at,
            last_modified: g.updated_at,
            location: format!("{}{}/{}", scope.base, Self::ENDPOINT, g.id),
        }
    }

    async fn find<Db: ConnectionTrait>(
        db: &Db,
        configuration_id: Uuid,
        id: Uuid,
        read: Read,
    ) -> Result<Option<scim_group::Model>, DbErr> {
        db::scim::group(db, configuration_id, id, read).await
    }

    async fn page(
        db: &DatabaseConnection,
        scope: &Scope,
        query: &ListQuery,
        window: &Window,
    ) -> ScimResult<ScimPage<scim_group::Model>> {
        let cond = query.condition(filter::groups)?;
        Ok(db::scim::list_groups(db, scope.configuration.id, &cond, window).await?)
    }

    async fn links<Db: ConnectionTrait>(
        db: &Db,
        ids: &[Uuid],
    ) -> Result<Vec<(Uuid, Uuid, String)>, DbErr> {
        db::scim::members_of_groups(db, ids).await
    }

    fn represent(
        scope: &Scope,
        g: &scim_group::Model,
        members: Option<&[(Uuid, String)]>,
        meta: &Meta,
    ) -> AppResult<Value> {
        let members: Option<Vec<Uuid>> = members.map(|m| m.iter().map(|(id, _)| *id).collect());
        let body = group::render(g.id, &data_of(g), members.as_deref(), &scope.base, meta);
        Ok(body)
    }

    async fn create(app: &App, scope: &Scope, body: &Value) -> ScimResult<Rendered> {
        let data = group::parse(body)?;
        app.transaction(async |txn| {
            check_name_free(txn, scope, &data.display_name, None).await?;
            let members = known_members(txn, scope, &data, &data.members).await?;
            let new = NewGroup {
                configuration_id: scope.configuration.id,
                display_name: data.display_name.clone(),
                external_id: data.external_id.clone(),
            };
            let g = write::insert_group(txn, new, now()).await?;
            write::set_members(txn, g.id, &members).await?;
            refresh_group_roles(txn, scope, &members).await?;
            tracing::info!(group = %g.id, members = members.len(), "SCIM group created");
            render_one::<Self, _>(txn, scope, g, &Selection::default()).await
        })
        .await
    }

    /// A PATCH is applied to the group's representation, all or none.
    async fn update(
        app: &App,
        scope: &Scope,
        raw_id: &str,
        how: Update,
        body: &Value,
        if_match: Option<&str>,
    ) -> ScimResult<Rendered> {
        let change = match how {
            Update::Replace => Change::Replace(group::parse(body)?),
            Update::Patch => {
                patch::check(body, Kind::Group)?;
                let reach = patch::member_reach(body);
                Change::Patch { body, reach }
            }
        };
        write_planned::<Groups>(app, scope, raw_id, if_match, &change).await
    }

    /// `DELETE /Groups/{id}`: its members lose the roles it granted.
    async fn remove(
        txn: &DatabaseTransaction,
        scope: &Scope,
        g: scim_group::Model,
    ) -> ScimResult<()> {
        // A group whose name maps to no role granted nothing to take back.
        let grants = !granted_by(scope, [&g.display_name]).is_empty();
        let members = if grants {
            db::scim::members_of(txn, &[g.id]).await?
        } else {
            Vec::new()
        };
        let id = g.id;
        db::queries::delete::<scim_group::Entity, _>(txn, id).await?;
        refresh_group_roles(txn, scope, &members).await?;
        tracing::info!(group = %id, "SCIM group deleted");
        Ok(())
    }
}

/// The `candidates` that are users of this configuration; others (and the group's `ignored`
/// values, which are no user ids) are ignored, and logged.
async fn known_members(
    txn: &DatabaseTransaction,
    scope: &Scope,
    group: &GroupData,
    candidates: &[Uuid],
) -> ScimResult<Vec<Uuid>> {
    let found: HashSet<Uuid> = db::scim::existing_users(txn, scope.configuration.id, candidates)
        .await?
        .into_iter()
        .collect();
    let kept: Vec<Uuid> = candidates
        .iter()
        .copied()
        .filter(|m| found.contains(m))
        .collect();
    let unknown = candidates.len() - kept.len() + group.ignored.len();
    if unknown > 0 {
        tracing::warn!(
            group = %group.display_name,
            unknown,
            "SCIM group members that are not users of this configuration were ignored"
        );
    }
    Ok(kept)
}

async fn check_name_free(
    txn: &DatabaseTransaction,
    scope: &Scope,
    display_name: &str,
    except: Option<Uuid>,
) -> ScimResult<()> {
    let folded = [validate::fold(display_name)];
    let named = db::scim::groups_named(txn, scope.configuration.id, &folded).await?;
    if let Some(other) = named.into_iter().find(|other| Some(other.id) != except) {
        return Err(ScimError::uniqueness(format!(
            "displayName: a group named {:?} already exists",
            other.display_name
        ))
        .into());
    }
    Ok(())
}

/// What a PUT or PATCH asks of a group.
enum Change<'a> {
    Replace(GroupData),
    Patch {
        body: &'a Value,
        reach: patch::MemberReach,
    },
}

/// A group's new attributes and the members that come and go, computed from one version of
/// the group.
struct Plan {
    data: GroupData,
    added: Vec<Uuid>,
    removed: Vec<Uuid>,
}

impl Planned<Groups> for Change<'_> {
    type Plan = Plan;

    /// Reads the members the change needs (for a PATCH, only those it names when it names
    /// them), and works out the new attributes and member changes.
    async fn plan<Db: ConnectionTrait>(
        &self,
        db: &Db,
        scope: &Scope,
        g: &scim_group::Model,
    ) -> ScimResult<Plan> {
        let (before, data) = match self {
            Change::Replace(data) => (db::scim::members_of(db, &[g.id]).await?, data.clone()),
            Change::Patch { body, reach } => {
                let before = match reach {
                    patch::MemberReach::Named(ids) => {
                        db::scim::members_among(db, g.id, ids).await?
                    }
                    patch::MemberReach::All => db::scim::members_of(db, &[g.id]).await?,
                };
                let meta = Groups::meta(scope, g);
                let doc = group::render(g.id, &data_of(g), Some(&before), &scope.base, &meta);
                let patched = patch::apply(&doc, body, Kind::Group)?;
                (before, group::parse(&patched)?)
            }
        };
        let was: HashSet<Uuid> = before.iter().copied().collect();
        let now: HashSet<Uuid> = data.members.iter().copied().collect();
        let added = data
            .members
            .iter()
            .copied()
            .filter(|m| !was.contains(m))
            .collect();
        let removed = before.into_iter().filter(|m| !now.contains(m)).collect();
        Ok(Plan {
            data,
            added,
            removed,
        })
    }

    /// Writes the group's attributes, the members that come and go, and the roles of the
    /// members whose groups' grants changed. Costs what changed, except that a rename between
    /// names that map to roles re-reads every member's roles.
    async fn store(
        &self,
        txn: &DatabaseTransaction,
        scope: &Scope,
        g: scim_group::Model,
        plan: &Plan,
    ) -> ScimResult<scim_group::Model> {
        let data = &plan.data;
        let renamed = validate::fold(&data.display_name) != g.display_name_folded;
        if renamed {
            check_name_free(txn, scope, &data.display_name, Some(g.id)).await?;
        }
        let added = known_members(txn, scope, data, &plan.added).await?;
        let regrants = renamed
            && (!granted_by(scope, [&g.display_name]).is_empty()
                || !granted_by(scope, [&data.display_name]).is_empty());
        let (display_name, external_id) = (data.display_name.clone(), data.external_id.clone());
        let g = write::update_group(txn, g, display_name, external_id, now()).await?;
        write::remove_members(txn, g.id, &plan.removed).await?;
        write::add_members(txn, g.id, &added).await?;
        let mut affected: Vec<Uuid> = if regrants {
            // Another name may map to another role: every member's roles are due.
            db::scim::members_of(txn, &[g.id]).await?
        } else {
            added
        };
        affected.extend(&plan.removed);
        affected.sort();
        affected.dedup();
        refresh_group_roles(txn, scope, &affected).await?;
        Ok(g)
    }
}

/// After a configuration's role mappings changed from `before` to `after` (in the
/// configuration's update transaction): the members of the groups whose names gained, lost or
/// changed a mapping get their group roles brought in line, by the same refresh a group's
/// rename or deletion runs, so a removed mapping takes back what it granted and roles from
/// elsewhere stay.
pub async fn remap_group_roles(
    txn: &DatabaseTransaction,
    configuration: &entity::identity_provider_configuration::Model,
    before: &[(String, String)],
    after: &[(String, String)],
) -> AppResult<()> {
    let pairs = |mappings: &[(String, String)]| -> HashSet<(String, String)> {
        mappings
            .iter()
            .map(|(provider, role)| (validate::fold(provider), role.clone()))
            .collect()
    };
    let (was, now) = (pairs(before), pairs(after));
    let mut names: Vec<String> = was
        .symmetric_difference(&now)
        .map(|(name, _)| name.clone())
        .collect();
    names.sort();
    names.dedup();
    let groups = db::scim::groups_named(txn, configuration.id, &names).await?;
    let ids: Vec<Uuid> = groups.iter().map(|g| g.id).collect();
    let mut members = db::scim::members_of(txn, &ids).await?;
    members.sort();
    members.dedup();
    let scope = Scope {
        configuration: configuration.clone(),
        role_mappings: after.to_vec(),
        base: String::new(),
    };
    refresh_group_roles(txn, &scope, &members)
        .await
        .map_err(|failure| match failure {
            ScimFailure::Internal(e) => e,
            ScimFailure::Protocol(e) => AppError::Internal(e.detail),
        })?;
    if !members.is_empty() {
        tracing::info!(
            configuration = %configuration.id,
            members = members.len(),
            "role mappings changed; SCIM group roles brought in line"
        );
    }
    Ok(())
}

/// The platform roles groups named `names` grant through the role mappings (a group's
/// display name is compared with each provider role ignoring case).
fn granted_by<'a>(scope: &Scope, names: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut roles: Vec<String> = Vec::new();
    for name in names {
        let folded = validate::fold(name);
        for (provider_role, role) in &scope.role_mappings {
            if validate::fold(provider_role) == folded && !roles.contains(role) {
                roles.push(role.clone());
            }
        }
    }
    roles.sort();
    roles
}

/// Brings each user's contact roles in line with their groups: the roles the groups granted
/// last time are taken away, the ones they grant now are added; roles from elsewhere (sign-in
/// claims, an administrator) stay.
pub(super) async fn refresh_group_roles(
    txn: &DatabaseTransaction,
    scope: &Scope,
    users: &[Uuid],
) -> ScimResult<()> {
    if users.is_empty() {
        return Ok(());
    }
    for chunk in users.chunks(500) {
        let memberships = db::scim::groups_of_users(txn, chunk).await?;
        let rows = db::scim::users_with_contacts(txn, chunk).await?;
        for (u, c) in rows {
            let Some(c) = c else { continue };
            let names: Vec<String> = memberships
                .iter()
                .filter(|(user, _, _)| *user == u.id)
                .map(|(_, _, name)| name.clone())
                .collect();
            let now_granted = granted_by(scope, &names);
            let before: Vec<String> =
                AppError::decode_json("scim_user.group_roles", &u.group_roles)?;
            if before == now_granted {
                continue;
            }
            let mut roles: Vec<String> = AppError::decode_json("contact.roles", &c.roles)?;
            roles.retain(|r| !before.contains(r));
            for r in &now_granted {
                if !roles.contains(r) {
                    roles.push(r.clone());
                }
            }
            if roles.is_empty() {
                roles.push(scope.configuration.default_role.clone());
            }
            let at = now();
            let changes = ContactChanges {
                roles: Some(Value::from(roles)),
                ..Default::default()
            };
            db::contacts::update(txn, c, changes, at).await?;
            write::set_group_roles(txn, u, Value::from(now_granted), at).await?;
        }
    }
    Ok(())
}
