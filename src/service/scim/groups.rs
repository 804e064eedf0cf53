use entity::scim_group;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

use super::{
    ListQuery, ScimFailure, ScimResult, Scope,
    resource::{
        Answer, Groups, Planned, Rendered, ScimResource, Update, load, render_known, render_one,
        write_planned,
    },
};
use crate::service::App;
use crate::{
    db::{
        self,
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
            group::{self, GroupData, Members},
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
    const LINKS_ON_REQUEST: bool = true;
    /// A member: the user's id.
    type Link = Uuid;

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

    async fn links<Db: ConnectionTrait>(db: &Db, ids: &[Uuid]) -> Result<Vec<(Uuid, Uuid)>, DbErr> {
        db::scim::member_ids_of_groups(db, ids).await
    }

    /// The group without its members, which are written into the body as it is serialized
    /// (a group may have 100,000: see [`Members`]).
    fn represent(
        scope: &Scope,
        g: &scim_group::Model,
        members: Option<Vec<Uuid>>,
        meta: Meta,
        selection: &Selection,
    ) -> AppResult<Rendered> {
        let mut body = group::render(g.id, &data_of(g), None, &scope.base, &meta);
        selection.apply(&mut body);
        Ok(Rendered {
            body,
            members: members.map(|ids| Members::new(ids, &scope.base, selection)),
            version: meta.version(),
            location: meta.location,
        })
    }

    /// `POST /Groups`. The answer shows the members when the request sent some (RFC 7643 §7:
    /// an attribute returned on request is returned when the client specified it): those just
    /// written, known without a read.
    async fn create(
        app: &App,
        scope: &Scope,
        body: &Value,
        selection: &Selection,
    ) -> ScimResult<Rendered> {
        let data = group::parse(body)?;
        let selection = specified(body, selection);
        app.transaction(async |txn| {
            check_name_free(txn, scope, &data.display_name, None).await?;
            let ignored = data.ignored.len();
            let mut members =
                known_members(txn, scope, &data.display_name, ignored, &data.members).await?;
            let new = NewGroup {
                configuration_id: scope.configuration.id,
                display_name: data.display_name.clone(),
                external_id: data.external_id.clone(),
            };
            let g = write::insert_group(txn, new, now()).await?;
            write::add_members(txn, g.id, &members).await?;
            if grants(scope, &g.display_name) {
                refresh_group_roles(txn, scope, &members).await?;
            }
            tracing::info!(group = %g.id, members = members.len(), "SCIM group created");
            // In the order a read shows them.
            members.sort_unstable();
            render_known::<Self>(scope, g, members, &selection)
        })
        .await
    }

    /// A PUT replaces the group's attributes and members; a PATCH is applied to the group's
    /// representation, all or none, except a membership PATCH (only members added or removed
    /// by id: what Entra and Okta send), which writes the memberships it names and nothing
    /// else. Either costs what changed, not the group's size.
    async fn update(
        app: &App,
        scope: &Scope,
        raw_id: &str,
        how: Update,
        body: &Value,
        if_match: Option<&str>,
        selection: &Selection,
    ) -> ScimResult<Answer> {
        let (change, selection) = match how {
            Update::Replace => (
                Change::Replace(group::parse(body)?),
                specified(body, selection),
            ),
            Update::Patch => {
                patch::check(body, Kind::Group)?;
                if let Some(changes) = patch::member_changes(body) {
                    return change_members(app, scope, raw_id, if_match, &changes, selection).await;
                }
                let reach = patch::member_reach(body);
                // A PATCH that sets the whole member list specified it, and it is returned
                // (what was sent); one that names some members asked for none of the others.
                let selection = if reach == patch::MemberReach::Replaced {
                    selection.clone().requesting(Self::LINKS)
                } else {
                    selection.clone()
                };
                (Change::Patch { body, reach }, selection)
            }
        };
        let rendered =
            write_planned::<Groups>(app, scope, raw_id, if_match, &change, &selection).await?;
        Ok(Answer::Resource(rendered))
    }

    /// `DELETE /Groups/{id}`: its members lose the roles it granted.
    async fn remove(
        txn: &DatabaseTransaction,
        scope: &Scope,
        g: scim_group::Model,
    ) -> ScimResult<()> {
        // A group whose name maps to no role granted nothing to take back.
        let members = if grants(scope, &g.display_name) {
            db::scim::member_ids(txn, g.id).await?
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

/// `selection`, asking also for the members when the request `body` (a create or replace)
/// sends them (RFC 7643 §7 `returned: request`).
fn specified(body: &Value, selection: &Selection) -> Selection {
    if group::sends_members(body) {
        selection.clone().requesting(Groups::LINKS)
    } else {
        selection.clone()
    }
}

/// A membership PATCH ([`patch::member_changes`]), in one transaction under the group's lock:
/// which of the named users are members already (one statement, whatever the group's size),
/// which of the new ones are users of this configuration (the others are ignored and logged,
/// as a PUT ignores them), then the memberships that change, inserted or deleted in batches,
/// the group's new version, and the roles of the users who joined or left. Adding a member
/// twice, or removing a non-member, changes nothing (not even the version).
///
/// Answered 204 No Content with the new version (RFC 7644 §3.5.2; Entra's and Okta's own
/// examples answer a membership PATCH so), unless `attributes` or `excludedAttributes` ask
/// for the group: then 200 with it (with its members only when `attributes` names them).
async fn change_members(
    app: &App,
    scope: &Scope,
    raw_id: &str,
    if_match: Option<&str>,
    changes: &patch::MemberChanges,
    selection: &Selection,
) -> ScimResult<Answer> {
    let g = app
        .transaction(async |txn| {
            let g = load::<Groups, _>(txn, scope, raw_id, Read::ForUpdate).await?;
            Groups::check_if_match(scope, &g, if_match)?;
            let named: Vec<Uuid> = changes.named().collect();
            let members: HashSet<Uuid> = db::scim::members_among(txn, g.id, &named)
                .await?
                .into_iter()
                .collect();
            let joining: Vec<Uuid> = changes
                .added
                .iter()
                .filter(|u| !members.contains(u))
                .copied()
                .collect();
            let joining = known_members(txn, scope, &g.display_name, 0, &joining).await?;
            let leaving: Vec<Uuid> = changes
                .removed
                .iter()
                .filter(|u| members.contains(u))
                .copied()
                .collect();
            if joining.is_empty() && leaving.is_empty() {
                return Ok(g);
            }
            write::remove_members(txn, g.id, &leaving).await?;
            write::add_members(txn, g.id, &joining).await?;
            let g = write::touch_group(txn, g, now()).await?;
            if grants(scope, &g.display_name) {
                let mut affected = joining.clone();
                affected.extend(&leaving);
                refresh_group_roles(txn, scope, &affected).await?;
            }
            tracing::info!(
                group = %g.id,
                added = joining.len(),
                removed = leaving.len(),
                "SCIM group members changed"
            );
            Ok::<_, ScimFailure>(g)
        })
        .await?;
    if selection.is_empty() {
        let version = Groups::meta(scope, &g).version();
        return Ok(Answer::NoContent { version });
    }
    let rendered = render_one::<Groups, _>(app.db(), scope, g, selection).await?;
    Ok(Answer::Resource(rendered))
}

/// The `candidates` that are users of this configuration, in the order given; others (and
/// the `ignored` values of the request, which are no user ids) are ignored, and logged.
async fn known_members(
    txn: &DatabaseTransaction,
    scope: &Scope,
    display_name: &str,
    ignored: usize,
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
    let unknown = candidates.len() - kept.len() + ignored;
    if unknown > 0 {
        tracing::warn!(
            group = %display_name,
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

/// A group's new attributes (without members) and the members that come and go, computed
/// from one version of the group.
struct Plan {
    data: GroupData,
    added: Vec<Uuid>,
    removed: Vec<Uuid>,
}

impl Planned<Groups> for Change<'_> {
    type Plan = Plan;

    /// Reads the members the change needs (for a PATCH, only those it names when it names
    /// them, and none to patch when it replaces them all), and works out the new attributes
    /// and the members that come and go, by difference with the members before.
    async fn plan<Db: ConnectionTrait>(
        &self,
        db: &Db,
        scope: &Scope,
        g: &scim_group::Model,
    ) -> ScimResult<Plan> {
        let (before, mut data) = match self {
            Change::Replace(data) => (db::scim::member_ids(db, g.id).await?, data.clone()),
            Change::Patch { body, reach } => {
                let before = match reach {
                    patch::MemberReach::Named(ids) => {
                        db::scim::members_among(db, g.id, ids).await?
                    }
                    patch::MemberReach::Replaced | patch::MemberReach::All => {
                        db::scim::member_ids(db, g.id).await?
                    }
                };
                // A replacing PATCH's result holds the new members whatever the current
                // ones are: it is applied without them.
                let shown: &[Uuid] = match reach {
                    patch::MemberReach::Replaced => &[],
                    _ => &before,
                };
                let meta = Groups::meta(scope, g);
                let doc = group::render(g.id, &data_of(g), Some(shown), &scope.base, &meta);
                let patched = patch::apply(&doc, body, Kind::Group)?;
                (before, group::parse(&patched)?)
            }
        };
        let (added, removed) = difference(before, std::mem::take(&mut data.members));
        Ok(Plan {
            data,
            added,
            removed,
        })
    }

    /// Writes the group's attributes, the members that come and go (in batches), and the
    /// roles of the members whose groups' grants changed. Costs what changed, except that a
    /// rename between names that map to roles re-reads every member's roles.
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
        let ignored = data.ignored.len();
        let added = known_members(txn, scope, &data.display_name, ignored, &plan.added).await?;
        let granted = grants(scope, &data.display_name);
        let regrants = renamed && (granted || grants(scope, &g.display_name));
        let (display_name, external_id) = (data.display_name.clone(), data.external_id.clone());
        let g = write::update_group(txn, g, display_name, external_id, now()).await?;
        write::remove_members(txn, g.id, &plan.removed).await?;
        write::add_members(txn, g.id, &added).await?;
        // Only a group whose name maps to a role (before or after) grants anything to give or
        // take back.
        let mut affected: Vec<Uuid> = if regrants {
            // Another name may map to another role: every member's roles are due.
            db::scim::member_ids(txn, g.id).await?
        } else if granted {
            added
        } else {
            Vec::new()
        };
        if regrants || granted {
            affected.extend(&plan.removed);
        }
        affected.sort_unstable();
        affected.dedup();
        refresh_group_roles(txn, scope, &affected).await?;
        Ok(g)
    }
}

/// The members in `after` and not in `before` (added), and those in `before` and not in
/// `after` (removed), each sorted: both sorted first, then walked side by side once.
fn difference(mut before: Vec<Uuid>, mut after: Vec<Uuid>) -> (Vec<Uuid>, Vec<Uuid>) {
    before.sort_unstable();
    before.dedup();
    after.sort_unstable();
    after.dedup();
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    let (mut b, mut a) = (before.into_iter().peekable(), after.into_iter().peekable());
    loop {
        match (b.peek().copied(), a.peek().copied()) {
            (Some(x), Some(y)) if x == y => {
                b.next();
                a.next();
            }
            (Some(x), Some(y)) if x < y => removed.extend(b.next()),
            (Some(_), Some(_)) | (None, Some(_)) => added.extend(a.next()),
            (Some(_), None) => removed.extend(b.next()),
            (None, None) => break,
        }
    }
    (added, removed)
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

/// Whether a group named `name` grants a role through the role mappings: when it does not,
/// its members' roles do not depend on it.
fn grants(scope: &Scope, name: &String) -> bool {
    !granted_by(scope, [name]).is_empty()
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

/// A user's roles after a refresh: the contact's, and those its groups grant. The users who
/// end with the same are written together: (contacts, SCIM users).
type RoleOutcome = (Vec<String>, Vec<String>);

/// Brings each user's contact roles in line with their groups: the roles the groups granted
/// last time are taken away, the ones they grant now are added; roles from elsewhere (sign-in
/// claims, an administrator) stay.
///
/// Per chunk of users: their memberships and their rows (two statements), then one write of
/// the contacts and one of the SCIM users for each distinct outcome (the same roles before and
/// after), not one per user: the members who join a group that grants a role mostly end up
/// with the same roles.
pub(super) async fn refresh_group_roles(
    txn: &DatabaseTransaction,
    scope: &Scope,
    users: &[Uuid],
) -> ScimResult<()> {
    if users.is_empty() {
        return Ok(());
    }
    for chunk in users.chunks(500) {
        let mut groups_of: HashMap<Uuid, Vec<String>> = HashMap::new();
        for (user, _, name) in db::scim::groups_of_users(txn, chunk).await? {
            groups_of.entry(user).or_default().push(name);
        }
        let rows = db::scim::users_with_contacts(txn, chunk).await?;
        let mut outcomes: HashMap<RoleOutcome, (Vec<Uuid>, Vec<Uuid>)> = HashMap::new();
        for (u, c) in rows {
            let Some(c) = c else { continue };
            let names = groups_of.remove(&u.id).unwrap_or_default();
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
            let (contacts, scim_users) = outcomes.entry((roles, now_granted)).or_default();
            contacts.push(c.id);
            scim_users.push(u.id);
        }
        let at = now();
        for ((roles, granted), (contacts, scim_users)) in outcomes {
            db::contacts::set_roles(txn, &contacts, Value::from(roles), at).await?;
            write::set_group_roles_of(txn, &scim_users, Value::from(granted), at).await?;
        }
    }
    Ok(())
}
