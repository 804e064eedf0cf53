//! Groups at scale (issue 23, item 5): one member added to, or removed from, a group of
//! `--group-members` members (100,000 by default) through `PATCH /Groups/{id}` as Entra sends
//! it, beside the least SQL that does the same.
//!
//! A configuration of its own gets twice `--group-members` SCIM users: the first half are
//! the group's members (seeded with SQL: a POST of 100,000 members is far over the body
//! limit), the second half the users the adds bring in. The server takes users from the
//! start of each half, the baseline from the end, so that every call changes a membership
//! until the two meet (a call after that is an add of a member, or a remove of a non-member:
//! answered alike, it writes nothing). The group's name maps to no role, so neither side
//! refreshes roles.
use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use sea_orm::sqlx;
use serde_json::json;
use uuid::Uuid;

use crate::{
    baseline::unexpected,
    db::{Pool, with_pool, write_tx},
    driver::{Op, op},
    scim::Scim,
    seed::now,
};

/// The seeded group's display name.
pub const DISPLAY_NAME: &str = "Bench Members";

/// The seeded group, its members, and the users who are not (yet) in it.
pub struct Group {
    pub id: Uuid,
    pub configuration_id: Uuid,
    pub members: Vec<Uuid>,
    pub outsiders: Vec<Uuid>,
}

/// Which end of a list of users a side takes from, and how far it got.
struct Cursor {
    from_end: bool,
    next: AtomicU64,
}

impl Cursor {
    fn new(from_end: bool) -> Arc<Self> {
        Arc::new(Self {
            from_end,
            next: AtomicU64::new(0),
        })
    }

    /// The next user of `users` for this side.
    fn take(&self, users: &[Uuid]) -> Uuid {
        let n = self.next.fetch_add(1, Ordering::Relaxed) as usize % users.len();
        users[if self.from_end {
            users.len() - 1 - n
        } else {
            n
        }]
    }
}

/// `PATCH /Groups/{id}` adding the next outsider, as Entra sends it: 204.
pub fn add(scim: &Arc<Scim>, group: &Arc<Group>) -> Op {
    let (scim, group, cursor) = (scim.clone(), group.clone(), Cursor::new(false));
    op(move |_| {
        let (scim, group, cursor) = (scim.clone(), group.clone(), cursor.clone());
        async move {
            let user = cursor.take(&group.outsiders);
            let ops = json!([{"op": "Add", "path": "members",
                "value": [{"$ref": null, "value": user.to_string()}]}]);
            scim.patch_group(group.id, ops).await
        }
    })
}

/// `PATCH /Groups/{id}` removing the next member, as Okta sends it: 204.
pub fn remove(scim: &Arc<Scim>, group: &Arc<Group>) -> Op {
    let (scim, group, cursor) = (scim.clone(), group.clone(), Cursor::new(false));
    op(move |_| {
        let (scim, group, cursor) = (scim.clone(), group.clone(), cursor.clone());
        async move {
            let user = cursor.take(&group.members);
            let ops = json!([{"op": "remove", "path": format!("members[value eq \"{user}\"]")}]);
            scim.patch_group(group.id, ops).await
        }
    })
}

/// Reads the seeded group back through `/scim/v2`: found without its members, and holding
/// its first member (Entra's membership check).
pub async fn verify(scim: &Scim, group: &Group) {
    let filter = format!(
        "id eq \"{}\" and members[value eq \"{}\"]",
        group.id, group.members[0]
    );
    let list = scim
        .list_groups(&[
            ("filter", filter),
            ("excludedAttributes", "members".to_owned()),
        ])
        .await
        .unwrap_or_else(|e| panic!("reading the seeded group failed: {e}"));
    let found = &list["Resources"][0];
    assert!(
        list["totalResults"] == json!(1)
            && found["displayName"] == json!(DISPLAY_NAME)
            && found.get("members").is_none(),
        "the seeded group reads back as {list}"
    );
}

/// The least SQL that answers a membership PATCH: in one write transaction, the group of the
/// configuration (locked, on PostgreSQL), whether the user is one of its users (for an add),
/// the membership written (`ON CONFLICT DO NOTHING`, or a `DELETE`), and the group's new
/// version when it changed. The configuration is known, as the server keeps it.
pub struct Baseline {
    pool: Pool,
    group: Arc<Group>,
    adds: Arc<Cursor>,
    removes: Arc<Cursor>,
}

const SELECT_GROUP: &str = "SELECT id FROM scim_group WHERE id = $1 AND configuration_id = $2";
const SELECT_USER: &str = "SELECT id FROM scim_user WHERE id = $1 AND configuration_id = $2";
const INSERT_MEMBER: &str = "INSERT INTO scim_group_member (group_id, user_id) VALUES ($1, $2) \
    ON CONFLICT (group_id, user_id) DO NOTHING";
const DELETE_MEMBER: &str = "DELETE FROM scim_group_member WHERE group_id = $1 AND user_id = $2";
const TOUCH_GROUP: &str = "UPDATE scim_group SET updated_at = $1 WHERE id = $2";

impl Baseline {
    pub fn new(pool: Pool, group: &Arc<Group>) -> Arc<Self> {
        Arc::new(Self {
            pool,
            group: group.clone(),
            adds: Cursor::new(true),
            removes: Cursor::new(true),
        })
    }

    /// The group's row, locked where the server locks it.
    fn select_group(&self) -> String {
        match self.pool {
            Pool::Sqlite(_) => SELECT_GROUP.to_owned(),
            Pool::Pg(_) => format!("{SELECT_GROUP} FOR UPDATE"),
        }
    }

    async fn change(&self, user: Uuid, adds: bool) -> Result<(), sqlx::Error> {
        let (group, configuration) = (self.group.id, self.group.configuration_id);
        let select_group = self.select_group();
        write_tx!(&self.pool, c => {
            let found = sqlx::query(sqlx::AssertSqlSafe(select_group.as_str()))
                .bind(group)
                .bind(configuration)
                .fetch_optional(&mut *c)
                .await?;
            if found.is_none() {
                return Err(unexpected("no such group"));
            }
            let changed = if adds {
                let known = sqlx::query(SELECT_USER)
                    .bind(user)
                    .bind(configuration)
                    .fetch_optional(&mut *c)
                    .await?;
                if known.is_none() {
                    return Err(unexpected("no such user"));
                }
                sqlx::query(INSERT_MEMBER)
                    .bind(group)
                    .bind(user)
                    .execute(&mut *c)
                    .await?
                    .rows_affected()
            } else {
                sqlx::query(DELETE_MEMBER)
                    .bind(group)
                    .bind(user)
                    .execute(&mut *c)
                    .await?
                    .rows_affected()
            };
            if changed > 0 {
                sqlx::query(TOUCH_GROUP)
                    .bind(now())
                    .bind(group)
                    .execute(&mut *c)
                    .await?;
            }
            Ok(())
        })
        .await
    }

    /// Adds the next outsider (from the end of the list).
    pub fn add(self: &Arc<Self>) -> Op {
        let this = self.clone();
        op(move |_| {
            let this = this.clone();
            async move {
                let user = this.adds.take(&this.group.outsiders);
                this.change(user, true).await.map_err(|e| e.to_string())
            }
        })
    }

    /// Removes the next member (from the end of the list).
    pub fn remove(self: &Arc<Self>) -> Op {
        let this = self.clone();
        op(move |_| {
            let this = this.clone();
            async move {
                let user = this.removes.take(&this.group.members);
                this.change(user, false).await.map_err(|e| e.to_string())
            }
        })
    }

    /// How many members the group has.
    pub async fn members(&self) -> u64 {
        with_pool!(&self.pool, p => {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM scim_group_member WHERE group_id = $1",
            )
            .bind(self.group.id)
            .fetch_one(p)
            .await
        })
        .unwrap_or_else(|e| panic!("cannot count the group's members: {e}")) as u64
    }
}
