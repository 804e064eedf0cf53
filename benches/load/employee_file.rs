//! The employee files of the employee-sync cells: a deterministic organisation of N people
//! written as CSV, and a model of the rules that predicts each sync's counts, so that the
//! server's answers are checked, not only timed.
//!
//! Everyone but the first reports to `(i - 1) / 8` (one manager per eight people); one person
//! in fifty is terminated; departments (10), locations (5), job titles and cost centres come
//! from a hash of the row number. The rules (first created first):
//! 1. `department eq Sales` and `isManager eq true` → support;
//! 2. `location eq London` and `jobTitle like %Director%` → owner;
//! 3. `isManager eq true` and `costCenter like CC-00%` → auditor (the extra column).
use std::{collections::HashMap, io::Write as _, path::Path};

use serde_json::{Value, json};

const DEPARTMENTS: [&str; 10] = [
    "Sales",
    "Engineering",
    "Finance",
    "Marketing",
    "Support",
    "Operations",
    "Legal",
    "HR",
    "Product",
    "Research",
];
const LOCATIONS: [&str; 5] = ["London", "Paris", "Berlin", "New York", "Singapore"];
const MANAGER_TITLES: [&str; 4] = ["Team Lead", "Manager", "Director", "Senior Director"];
const TITLES: [&str; 6] = [
    "Engineer",
    "Analyst",
    "Specialist",
    "Associate",
    "Consultant",
    "Coordinator",
];
const FIRST_NAMES: [&str; 8] = [
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken",
];
const LAST_NAMES: [&str; 8] = [
    "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson",
];
/// Reports per manager.
const SPAN: usize = 8;

/// The rules as the API takes them (`CreateAdminProvisioningRuleInput`), in creation order.
pub fn rules() -> Vec<Value> {
    let condition = |field: &str, operation: &str, value: &str| json!({ "field": field, "operation": operation, "value": value });
    vec![
        json!({ "name": "Sales managers", "role": "support", "conditions": [
            condition("department", "eq", "Sales"), condition("isManager", "eq", "true")] }),
        json!({ "name": "London directors", "role": "owner", "conditions": [
            condition("location", "eq", "London"), condition("jobTitle", "like", "%Director%")] }),
        json!({ "name": "Cost centre 00x managers", "role": "auditor", "conditions": [
            condition("isManager", "eq", "true"), condition("costCenter", "like", "CC-00%")] }),
    ]
}

/// A rule's role, by index: every rule has its own, so a hand-over always changes the role.
const RULE_ROLES: [&str; 3] = ["support", "owner", "auditor"];

fn hash(i: usize, salt: u64) -> u64 {
    // splitmix64
    let mut z = (i as u64).wrapping_add(salt.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One person, as the rules see them.
#[derive(Clone)]
pub struct Person {
    department: usize,
    location: usize,
    title: &'static str,
    cost_center: u64,
    active: bool,
    is_manager: bool,
}

impl Person {
    /// The indexes of the rules that match, first created first.
    fn matching(&self) -> impl Iterator<Item = usize> + '_ {
        let manager = self.active && self.is_manager;
        [
            manager && DEPARTMENTS[self.department] == "Sales",
            self.active && LOCATIONS[self.location] == "London" && self.title.contains("Director"),
            manager && self.cost_center < 10,
        ]
        .into_iter()
        .enumerate()
        .filter_map(|(i, m)| m.then_some(i))
    }
}

/// The organisation: `people[i]` is `E{i+1:07}`.
pub struct Organisation {
    pub people: Vec<Person>,
}

impl Organisation {
    pub fn new(n: usize) -> Self {
        let mut people: Vec<Person> = (0..n)
            .map(|i| {
                let has_reports = i * SPAN + 1 < n;
                let titles: &[&'static str] = if has_reports {
                    &MANAGER_TITLES
                } else {
                    &TITLES
                };
                Person {
                    department: (hash(i, 1) % 10) as usize,
                    location: (hash(i, 2) % 5) as usize,
                    title: titles[(hash(i, 3) % titles.len() as u64) as usize],
                    cost_center: hash(i, 4) % 100,
                    active: !hash(i, 5).is_multiple_of(50),
                    is_manager: false,
                }
            })
            .collect();
        // As the server derives it: an active report names them (nobody names themself here).
        for i in 1..n {
            if people[i].active {
                people[(i - 1) / SPAN].is_manager = true;
            }
        }
        Self { people }
    }

    /// The same organisation after 1 % of the people moved to the next department.
    pub fn moved(&self) -> (Self, usize) {
        let mut people = self.people.clone();
        let mut moved = 0;
        for (i, p) in people.iter_mut().enumerate() {
            if hash(i, 6).is_multiple_of(100) {
                p.department = (p.department + 1) % DEPARTMENTS.len();
                moved += 1;
            }
        }
        (Self { people }, moved)
    }

    /// Writes the CSV (with the extra `CostCenter` column); returns its size in bytes.
    pub fn write_csv(&self, path: &Path) -> std::io::Result<u64> {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        writeln!(
            out,
            "EmployeeId,Email,FirstName,LastName,Department,Location,JobTitle,ManagerId,Status,CostCenter"
        )?;
        for (i, p) in self.people.iter().enumerate() {
            let first = FIRST_NAMES[(hash(i, 7) % 8) as usize];
            let last = LAST_NAMES[(hash(i, 8) % 8) as usize];
            let manager = if i == 0 {
                String::new()
            } else {
                format!("E{:07}", (i - 1) / SPAN + 1)
            };
            writeln!(
                out,
                "E{id:07},{f}.{l}.{id}@corp.example,{first},{last},{},{},{},{manager},{},CC-{:03}",
                DEPARTMENTS[p.department],
                LOCATIONS[p.location],
                p.title,
                if p.active { "active" } else { "terminated" },
                p.cost_center,
                id = i + 1,
                f = first.to_lowercase(),
                l = last.to_lowercase(),
            )?;
        }
        out.flush()?;
        Ok(std::fs::metadata(path)?.len())
    }
}

/// A sync's counts, as `POST /employee-files` answers them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub created: i64,
    pub reactivated: i64,
    pub deactivated: i64,
    pub role_changed: i64,
    pub updated: i64,
    pub unchanged: i64,
}

impl Counts {
    pub fn of(sync: &Value) -> Self {
        let n = |key: &str| {
            sync[key]
                .as_i64()
                .unwrap_or_else(|| panic!("employeeSync.{key} is not a number: {sync}"))
        };
        Self {
            created: n("created"),
            reactivated: n("reactivated"),
            deactivated: n("deactivated"),
            role_changed: n("roleChanged"),
            updated: n("updated"),
            unchanged: n("unchanged"),
        }
    }

    pub fn describe(&self) -> String {
        format!(
            "created {}, reactivated {}, deactivated {}, role changed {}, updated {}, unchanged {}",
            self.created,
            self.reactivated,
            self.deactivated,
            self.role_changed,
            self.updated,
            self.unchanged
        )
    }
}

/// What the model predicts for one sync.
pub struct Expected {
    pub counts: Counts,
    /// Administrator events (one per changed administrator).
    pub changes: i64,
    /// Active rule administrators before the sync: the hold threshold's base.
    pub active_before: i64,
}

/// The administrators the rules made, by person: (controlling rule, active).
#[derive(Clone, Default)]
pub struct Admins(HashMap<usize, (usize, bool)>);

impl Admins {
    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }

    /// Plans a sync of `org` as PRODUCT §7 says (everyone is in every file), updating the
    /// administrators; a dry run works on a clone.
    pub fn sync(&mut self, org: &Organisation) -> Expected {
        let active_before = self.0.values().filter(|(_, active)| *active).count() as i64;
        let mut c = Counts::default();
        let mut changes = 0;
        for (i, person) in org.people.iter().enumerate() {
            let matched: Vec<usize> = person.matching().collect();
            let Some(&(rule, active)) = self.0.get(&i) else {
                if let Some(&first) = matched.first() {
                    self.0.insert(i, (first, true));
                    c.created += 1;
                    changes += 1;
                }
                continue;
            };
            let new_rule = if matched.contains(&rule) {
                Some(rule)
            } else {
                matched.first().copied()
            };
            let Some(new_rule) = new_rule else {
                if active {
                    c.deactivated += 1;
                    changes += 1;
                    self.0.insert(i, (rule, false));
                } else {
                    c.unchanged += 1;
                }
                continue;
            };
            let role_changed = RULE_ROLES[new_rule] != RULE_ROLES[rule];
            match (active, new_rule == rule) {
                (true, true) => c.unchanged += 1,
                (true, false) if role_changed => c.role_changed += 1,
                (true, false) => c.updated += 1,
                (false, _) => {
                    c.reactivated += 1;
                    c.role_changed += i64::from(role_changed);
                }
            }
            if !(active && new_rule == rule) {
                changes += 1;
            }
            self.0.insert(i, (new_rule, true));
        }
        Expected {
            counts: c,
            changes,
            active_before,
        }
    }
}
