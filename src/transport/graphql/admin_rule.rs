//! Administrator provisioning rules: the object type, the employees a conflict names, queries
//! and mutations. Every change is applied to the latest employee snapshot at once.
use super::types::Timestamp;
use async_graphql::{
    Context, Description, Enum, ID, InputObject, Json, Object, Result, SimpleObject,
};
use std::collections::BTreeMap;

use entity::admin_provisioning_rule;
use serde::Deserialize;

use super::{
    Allow,
    administrator::AdminRole,
    app,
    connection::{AdminProvisioningRuleField, entity_queries},
    employee_sync::EmployeeSync,
    errors::ApiFieldError,
    mutation::payload,
    principal,
    types::{self, row_object},
};
use crate::{
    domain::{
        access::Action,
        employees::{
            AdminRole as DomainRole, ConditionOp, table::EmployeeRecord as DomainEmployee,
        },
        id::NodeKind,
        stored::StoredEnum,
    },
    service::{
        self,
        employees::rules::{ConditionInput, RuleChange, RuleUpdate},
    },
};

/// How a condition compares an employee's value (case-insensitively, after trimming).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "ConditionOp", rename_items = "camelCase")]
pub enum RuleConditionOperation {
    /// Equal to `value`.
    Eq,
    /// Not equal to `value`.
    Ne,
    /// Equal to one of `values`.
    In,
    /// Matches the pattern `value`: `%` any run of characters, `_` one character.
    Like,
}

/// One condition of a rule, as written.
#[derive(SimpleObject, Deserialize)]
pub struct RuleCondition {
    /// `department`, `location`, `jobTitle`, `isManager` or any column of the employee file
    /// (matched case-insensitively).
    pub field: String,
    /// `eq`, `ne`, `in` or `like`.
    pub operation: String,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub values: Option<Vec<String>>,
}

#[derive(InputObject)]
pub struct RuleConditionInput {
    /// `department`, `location`, `jobTitle`, `isManager` or any column of the employee file.
    pub field: String,
    pub operation: RuleConditionOperation,
    /// For `eq`, `ne` and `like`.
    pub value: Option<String>,
    /// For `in`.
    pub values: Option<Vec<String>>,
}

fn condition_inputs(input: &[RuleConditionInput]) -> Vec<ConditionInput> {
    input
        .iter()
        .map(|c| ConditionInput {
            field: c.field.clone(),
            operation: c.operation.into(),
            value: c.value.clone(),
            values: c.values.clone(),
        })
        .collect()
}

row_object! {
    #[Object]
    /// Which employees should administer the platform, with which role. When several rules
    /// match an employee, the first created wins; an administrator keeps the rule that
    /// provisioned them while it matches.
    AdminProvisioningRule(admin_provisioning_rule::Model), id NodeKind::AdminProvisioningRule;
    columns { name: String, created_at: Timestamp, updated_at: Timestamp }
    stored { role: AdminRole = DomainRole }
    resolvers {
        /// All must hold.
        async fn conditions(&self) -> Result<Vec<RuleCondition>> {
            types::json("admin_provisioning_rule.conditions", &self.0.conditions)
        }
    }
}

row_object! {
    #[Object(use_type_description)]
    #[derive(Description)]
    /// An employee of the latest employee file.
    Employee(DomainEmployee);
    columns {
        employee_id: String,
        email: String,
        first_name: String,
        last_name: String,
        department: String,
        location: String,
        job_title: String,
        manager_id: String,
        /// Derived: another active employee names this one as their manager.
        is_manager: bool,
    }
    resolvers {
        /// `active` or `terminated`.
        async fn status(&self) -> String {
            self.0.status.as_str().to_owned()
        }
        /// The line of the file the row came from.
        async fn line(&self) -> u64 {
            self.0.line
        }
        /// The file's further columns, by lower-case column name.
        async fn extra(&self) -> Json<BTreeMap<String, String>> {
            Json(self.0.extra.clone())
        }
    }
}

/// Another rule that can match the same employee with another role.
#[derive(SimpleObject)]
pub struct RuleConflict {
    pub rule: AdminProvisioningRule,
    /// Employees of the latest snapshot matching both rules (at most 100).
    pub employees: Vec<Employee>,
}

/// What a rule change returns.
#[derive(SimpleObject)]
pub struct AdminProvisioningRulePayload {
    pub rule: Option<AdminProvisioningRule>,
    /// Other rules that can match the same employees with another role, decided from the
    /// conditions themselves; the first created wins for new administrators.
    pub conflicts: Vec<RuleConflict>,
    /// The re-evaluation of the latest employee snapshot this change caused (null before
    /// the first employee file).
    pub employee_sync: Option<EmployeeSync>,
    pub errors: Vec<ApiFieldError>,
}

impl AdminProvisioningRulePayload {
    fn from(result: crate::error::AppResult<RuleChange>) -> Result<Self> {
        let (change, errors) = payload(result)?;
        Ok(match change {
            Some(change) => Self {
                rule: Some(AdminProvisioningRule(change.rule)),
                conflicts: change
                    .conflicts
                    .into_iter()
                    .map(|c| RuleConflict {
                        rule: AdminProvisioningRule(c.rule),
                        employees: c.employees.into_iter().map(Employee::from).collect(),
                    })
                    .collect(),
                employee_sync: change.sync.map(EmployeeSync),
                errors,
            },
            None => Self {
                rule: None,
                conflicts: Vec::new(),
                employee_sync: None,
                errors,
            },
        })
    }
}

entity_queries!(
    AdminProvisioningRuleQuery, guard = "Allow(Action::Read)";
    one admin_provisioning_rule: admin_provisioning_rule::Entity, NodeKind::AdminProvisioningRule;
    /// Rules in order of precedence (first created first) unless ordered otherwise.
    list admin_provisioning_rules: AdminProvisioningRuleField => AdminProvisioningRule
);

#[derive(InputObject)]
pub struct CreateAdminProvisioningRuleInput {
    pub name: String,
    pub conditions: Vec<RuleConditionInput>,
    pub role: AdminRole,
}

#[derive(InputObject)]
pub struct UpdateAdminProvisioningRuleInput {
    pub rule_id: ID,
    pub name: Option<String>,
    /// Replaces every condition.
    pub conditions: Option<Vec<RuleConditionInput>>,
    pub role: Option<AdminRole>,
}

#[derive(InputObject)]
pub struct DeleteAdminProvisioningRuleInput {
    pub rule_id: ID,
}

pub struct AdminProvisioningRuleMutations;

#[Object(serial)]
impl AdminProvisioningRuleMutations {
    /// Creates a rule and applies it to the latest employee snapshot.
    async fn create(
        &self,
        ctx: &Context<'_>,
        input: CreateAdminProvisioningRuleInput,
    ) -> Result<AdminProvisioningRulePayload> {
        let conditions = condition_inputs(&input.conditions);
        AdminProvisioningRulePayload::from(
            service::employees::rules::create(
                app(ctx)?,
                principal(ctx)?,
                &input.name,
                &conditions,
                input.role.into(),
            )
            .await,
        )
    }

    /// Changes a rule and applies the change to the latest employee snapshot.
    async fn update(
        &self,
        ctx: &Context<'_>,
        input: UpdateAdminProvisioningRuleInput,
    ) -> Result<AdminProvisioningRulePayload> {
        let conditions = input.conditions.as_deref().map(condition_inputs);
        AdminProvisioningRulePayload::from(
            service::employees::rules::update(
                app(ctx)?,
                principal(ctx)?,
                RuleUpdate {
                    rule_id: &input.rule_id,
                    name: input.name.as_deref(),
                    conditions: conditions.as_deref(),
                    role: input.role.map(Into::into),
                },
            )
            .await,
        )
    }

    /// Deletes a rule: its administrators are handed over to another matching rule or
    /// deactivated at once.
    async fn delete(
        &self,
        ctx: &Context<'_>,
        input: DeleteAdminProvisioningRuleInput,
    ) -> Result<AdminProvisioningRulePayload> {
        AdminProvisioningRulePayload::from(
            service::employees::rules::delete(app(ctx)?, principal(ctx)?, &input.rule_id).await,
        )
    }
}
