//! SCIM Groups of one configuration. A group's display name may be a provider role of the
//! configuration's `roleMappings`: membership then grants the mapped platform role, and
//! leaving the group (or the group going) takes it away again.
use entity::{contact, scim_group, scim_user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
};
use serde_json::Value;
use uuid::Uuid;

use super::{
    ListQuery, ScimFailure, ScimResult, Scope, check_version, in_transaction, list_response,
    parse_id, stored_json,
};
use crate::{
    db::{self, WriteGate},
    domain::{
        scim::{
            ScimError, filter,
            group::{self, GroupData},
            patch::{self, Kind},
            project::Selection,
            user::Meta,
        },
        validate,
    },
    error::AppError,
    service::now,
};

pub use super::users::Rendered;

fn meta_of(scope: &Scope, g: &scim_group::Model) -> Meta {
    Meta {
        resource_type: "Group",
        created: g.created_at,
        last_modified: g.updated_at,
        location: format!("{}/Groups/{}", scope.base, g.id),
    }
}

async fn render<Db: ConnectionTrait>(
    db: &Db,
    scope: &Scope,
    groups: &[scim_group::Model],
    selection: &Selection,
) -> ScimResult<Vec<Rendered>> {
    let with_members = selection.keeps("members");
    let members = if with_members {
        let ids: Vec<Uuid> = groups.iter().map(|g| g.id).collect();
        db::scim::members_of_groups(db, &ids).await?
    } else {
        Vec::new()
    };
    let mut out = Vec::with_capacity(groups.len());
    for g in groups {
        let mine: Vec<Uuid> = members
            .iter()
            .filter(|(group, _, _)| *group == g.id)
            .map(|(_, user, _)| *user)
            .collect();
        let data = GroupData {
            display_name: g.display_name.clone(),
            external_id: g.external_id.clone(),
            members: Vec::new(),
            ignored: Vec::new(),
        };
        let meta = meta_of(scope, g);
        let mut body = group::render(
            g.id,
            &data,
            with_members.then_some(mine.as_slice()),
            &scope.base,
            &meta,
        );
        selection.apply(&mut body);
        out.push(Rendered {
            body,
            location: meta.location.clone(),
            version: meta.version(),
        });
    }
    Ok(out)
}

async fn render_one<Db: ConnectionTrait>(
    db: &Db,
    scope: &Scope,
    g: scim_group::Model,
    selection: &Selection,
) -> ScimResult<Rendered> {
    render(db, scope, &[g], selection)
        .await?
        .pop()
        .ok_or_else(|| ScimFailure::Internal(AppError::Internal("rendered no group".into())))
}

async fn load<Db: ConnectionTrait>(
    db: &Db,
    scope: &Scope,
    raw_id: &str,
) -> ScimResult<scim_group::Model> {
    let id = parse_id(raw_id, "Group")?;
    db::scim::group(db, scope.configuration.id, id)
        .await?
        .ok_or_else(|| ScimError::not_found(format!("no Group has the id {raw_id:?}")).into())
}

pub async fn get(
    db: &DatabaseConnection,
    scope: &Scope,
    raw_id: &str,
    selection: &Selection,
) -> ScimResult<Rendered> {
    let g = load(db, scope, raw_id).await?;
    render_one(db, scope, g, selection).await
}

pub async fn list(db: &DatabaseConnection, scope: &Scope, query: &ListQuery) -> ScimResult<Value> {
    let cond = query.condition(filter::groups)?;
    let (offset, limit) = query.window();
    let page = db::scim::list_groups(db, scope.configuration.id, &cond, offset, limit).await?;
    let rendered = render(db, scope, &page.items, &query.selection).await?;
    Ok(list_response(
        page.total,
        offset,
        rendered.into_iter().map(|r| r.body).collect(),
    ))
}

/// The members of `data` that are users of this configuration; others are ignored (logged).
async fn known_members(
    txn: &DatabaseTransaction,
    scope: &Scope,
    data: &GroupData,
) -> ScimResult<Vec<Uuid>> {
    let found = db::scim::existing_users(txn, scope.configuration.id, &data.members).await?;
    let kept: Vec<Uuid> = data
        .members
        .iter()
        .copied()
        .filter(|m| found.contains(m))
        .collect();
    let unknown = data.members.len() - kept.len() + data.ignored.len();
    if unknown > 0 {
        tracing::warn!(
            group = %data.display_name,
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
) -> ScimResult<String> {
    let folded = validate::fold(display_name);
    if let Some(other) = db::scim::group_named(txn, scope.configuration.id, &folded).await?
        && Some(other.id) != except
    {
        return Err(ScimError::uniqueness(format!(
            "displayName: a group named {:?} already exists",
            other.display_name
        ))
        .into());
    }
    Ok(folded)
}

/// `POST /Groups`.
pub async fn create(
    db: &DatabaseConnection,
    gate: &WriteGate,
    scope: &Scope,
    body: &Value,
) -> ScimResult<Rendered> {
    let data = group::parse(body)?;
    in_transaction(db, gate, async |txn| {
        let folded = check_name_free(txn, scope, &data.display_name, None).await?;
        let members = known_members(txn, scope, &data).await?;
        let at = now();
        let g = scim_group::ActiveModel {
            id: Set(Uuid::now_v7()),
            configuration_id: Set(scope.configuration.id),
            display_name: Set(data.display_name.clone()),
            display_name_folded: Set(folded),
            external_id: Set(data.external_id.clone()),
            created_at: Set(at),
            updated_at: Set(at),
        }
        .insert(txn)
        .await?;
        db::scim::set_members(txn, g.id, &members).await?;
        refresh_group_roles(txn, scope, &members).await?;
        tracing::info!(group = %g.id, members = members.len(), "SCIM group created");
        render_one(txn, scope, g, &Selection::default()).await
    })
    .await
}

/// `PUT /Groups/{id}`.
pub async fn replace(
    db: &DatabaseConnection,
    gate: &WriteGate,
    scope: &Scope,
    raw_id: &str,
    body: &Value,
    if_match: Option<&str>,
) -> ScimResult<Rendered> {
    let data = group::parse(body)?;
    in_transaction(db, gate, async |txn| {
        let g = load(txn, scope, raw_id).await?;
        check_version(if_match, &meta_of(scope, &g).version())?;
        let g = replace_in(txn, scope, g, &data).await?;
        render_one(txn, scope, g, &Selection::default()).await
    })
    .await
}

/// `PATCH /Groups/{id}`: applied to the group's representation, all or none.
pub async fn patch(
    db: &DatabaseConnection,
    gate: &WriteGate,
    scope: &Scope,
    raw_id: &str,
    body: &Value,
    if_match: Option<&str>,
) -> ScimResult<Rendered> {
    in_transaction(db, gate, async |txn| {
        let g = load(txn, scope, raw_id).await?;
        let current = render_one(txn, scope, g.clone(), &Selection::default()).await?;
        check_version(if_match, &current.version)?;
        let patched = patch::apply(&current.body, body, Kind::Group)?;
        let data = group::parse(&patched)?;
        let g = replace_in(txn, scope, g, &data).await?;
        render_one(txn, scope, g, &Selection::default()).await
    })
    .await
}

async fn replace_in(
    txn: &DatabaseTransaction,
    scope: &Scope,
    g: scim_group::Model,
    data: &GroupData,
) -> ScimResult<scim_group::Model> {
    let folded = check_name_free(txn, scope, &data.display_name, Some(g.id)).await?;
    let before = db::scim::member_ids(txn, g.id).await?;
    let members = known_members(txn, scope, data).await?;
    let renamed = folded != g.display_name_folded;
    let mut row = g.into_active_model();
    row.display_name = Set(data.display_name.clone());
    row.display_name_folded = Set(folded);
    row.external_id = Set(data.external_id.clone());
    row.updated_at = Set(now());
    let g = row.update(txn).await?;
    let mut affected: Vec<Uuid> = Vec::new();
    if renamed {
        // Another name may map to another role: every member's roles are due.
        affected.extend(&before);
        affected.extend(&members);
    } else {
        affected.extend(before.iter().filter(|m| !members.contains(m)));
        affected.extend(members.iter().filter(|m| !before.contains(m)));
    }
    if before != members {
        db::scim::set_members(txn, g.id, &members).await?;
    }
    affected.sort();
    affected.dedup();
    refresh_group_roles(txn, scope, &affected).await?;
    Ok(g)
}

/// `DELETE /Groups/{id}`: its members lose the roles it granted.
pub async fn delete(
    db: &DatabaseConnection,
    gate: &WriteGate,
    scope: &Scope,
    raw_id: &str,
    if_match: Option<&str>,
) -> ScimResult<()> {
    in_transaction(db, gate, async |txn| {
        let g = load(txn, scope, raw_id).await?;
        check_version(if_match, &meta_of(scope, &g).version())?;
        let members = db::scim::member_ids(txn, g.id).await?;
        let id = g.id;
        g.into_active_model().delete(txn).await?;
        refresh_group_roles(txn, scope, &members).await?;
        tracing::info!(group = %id, "SCIM group deleted");
        Ok(())
    })
    .await
}

/// The platform roles groups named `names` grant through the role mappings (a group's
/// display name is compared with each provider role ignoring case).
fn granted_by(scope: &Scope, names: &[String]) -> Vec<String> {
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
    let memberships = db::scim::groups_of_users(txn, users).await?;
    for chunk in users.chunks(500) {
        let rows = scim_user::Entity::find()
            .filter(scim_user::Column::Id.is_in(chunk.iter().copied()))
            .find_also_related(contact::Entity)
            .all(txn)
            .await?;
        for (u, c) in rows {
            let Some(c) = c else { continue };
            let names: Vec<String> = memberships
                .iter()
                .filter(|(user, _, _)| *user == u.id)
                .map(|(_, _, name)| name.clone())
                .collect();
            let now_granted = granted_by(scope, &names);
            let before: Vec<String> = stored_json("scim_user.group_roles", &u.group_roles)?;
            if before == now_granted {
                continue;
            }
            let mut roles: Vec<String> = stored_json("contact.roles", &c.roles)?;
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
            let mut contact = c.into_active_model();
            contact.roles = Set(Value::from(roles));
            contact.updated_at = Set(at);
            contact.update(txn).await?;
            let mut row = u.into_active_model();
            row.group_roles = Set(Value::from(now_granted));
            row.updated_at = Set(at);
            row.update(txn).await?;
        }
    }
    Ok(())
}
