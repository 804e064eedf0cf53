//! HRIS connections (`hrisConnections`, owners only): the object type, its query and its
//! mutations. A connection's secret is written, never read.
use async_graphql::{Context, Enum, ID, InputObject, Json, Object, Result, SimpleObject};
use entity::hris_connection;

use super::{
    Allow, app,
    employee_sync::{EmployeeSync, EmployeeSyncPayload},
    errors::ApiFieldError,
    mutation::{entity_payload, payload},
    principal,
    types::{Timestamp, UNPAGED_LIST_COST, row_object},
};
use crate::{
    domain::{
        access::Action,
        hris::{
            ConnectionSettings, HrisKind as DomainKind, SettingsInput, WorkdayAuth as DomainAuth,
        },
        id::NodeKind,
    },
    service::{self, hris::ConnectionInput},
};

/// Which HRIS a connection pulls from.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "DomainKind", rename_items = "camelCase")]
pub enum HrisKind {
    /// BambooHR: its custom report, with the company domain and an API key.
    Bamboohr,
    /// A Workday Report-as-a-Service URL (JSON or CSV).
    WorkdayRaas,
}

/// How a Workday report is authenticated.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "DomainAuth", rename_items = "camelCase")]
pub enum WorkdayAuth {
    /// HTTP basic: `username` and the secret as password.
    Basic,
    /// OAuth 2.0 client credentials at `tokenUrl`: `username` is the client id, the secret
    /// the client secret.
    OauthClientCredentials,
}

/// One employee-file column and the HRIS field that fills it.
#[derive(SimpleObject)]
pub struct HrisFieldMapping {
    /// `EmployeeId`, `Email`, `FirstName`, `LastName`, `Department`, `Location`, `JobTitle`,
    /// `ManagerId`, `Status`, or an extra column rules may name.
    pub column: String,
    /// The HRIS's field name.
    pub field: String,
}

#[derive(InputObject)]
pub struct HrisFieldMappingInput {
    pub column: String,
    /// Empty removes an extra column (the known columns cannot be removed).
    pub field: String,
}

/// When a connection syncs: `everyHours`, or `dailyAt` (`HH:MM`, UTC).
#[derive(SimpleObject, InputObject)]
#[graphql(input_name = "HrisScheduleInput")]
pub struct HrisSchedule {
    pub every_hours: Option<i32>,
    pub daily_at: Option<String>,
}

row_object! {
    #[Object]
    /// A pull connector to an HRIS that feeds the employee sync (`source: hris`).
    HrisConnection(hris_connection::Model), id NodeKind::HrisConnection;
    columns {
        name: String,
        /// When the next scheduled sync is due.
        next_run_at: Timestamp,
        last_run_at: Option<Timestamp>,
        created_at: Timestamp,
        updated_at: Timestamp,
    }
    stored { kind: HrisKind = DomainKind }
    resolvers {
        /// BambooHR: the company's subdomain.
        async fn company_domain(&self) -> Result<Option<String>> {
            Ok(self.settings()?.company_domain)
        }
        /// BambooHR: the API's base URL, when not BambooHR's own.
        async fn base_url(&self) -> Result<Option<String>> {
            Ok(self.settings()?.base_url)
        }
        /// Workday: the report's URL.
        async fn report_url(&self) -> Result<Option<String>> {
            Ok(self.settings()?.report_url)
        }
        async fn auth(&self) -> Result<Option<WorkdayAuth>> {
            Ok(self.settings()?.auth.map(Into::into))
        }
        /// Workday: the basic-auth user, or the OAuth client id.
        async fn username(&self) -> Result<Option<String>> {
            Ok(self.settings()?.username)
        }
        async fn token_url(&self) -> Result<Option<String>> {
            Ok(self.settings()?.token_url)
        }
        #[graphql(complexity = "UNPAGED_LIST_COST * child_complexity")]
        async fn field_map(&self) -> Result<Vec<HrisFieldMapping>> {
            let map = service::hris::field_map_of(&self.0).map_err(|e| e.to_string())?;
            Ok(map
                .into_iter()
                .map(|(column, field)| HrisFieldMapping { column, field })
                .collect())
        }
        async fn schedule(&self) -> HrisSchedule {
            HrisSchedule {
                every_hours: self.0.every_hours,
                daily_at: self.0.daily_at.clone(),
            }
        }
        /// The newest sync this connection ran.
        async fn last_sync(&self, ctx: &Context<'_>) -> Result<Option<EmployeeSync>> {
            let found = service::hris::last_sync(app(ctx)?, self.0.id).await;
            Ok(found.map_err(|e| e.to_string())?.map(EmployeeSync))
        }
    }
}

impl HrisConnection {
    fn settings(&self) -> Result<ConnectionSettings> {
        serde_json::from_value(self.0.settings.clone())
            .map_err(|_| "this connection's stored settings are unreadable".into())
    }
}

#[derive(Default)]
pub struct HrisConnectionQuery;

#[Object]
impl HrisConnectionQuery {
    /// The HRIS connections, by name (owners only).
    #[graphql(
        guard = "Allow(Action::ManageAdministrators)",
        complexity = "UNPAGED_LIST_COST * child_complexity"
    )]
    async fn hris_connections(&self, ctx: &Context<'_>) -> Result<Vec<HrisConnection>> {
        let found = service::hris::list(app(ctx)?, principal(ctx)?).await;
        Ok(found
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(HrisConnection)
            .collect())
    }
}

/// A connection's settings by kind; on update, omitted ones are kept.
#[derive(InputObject)]
pub struct HrisSettingsInput {
    /// BambooHR: the company's subdomain (`acme` for acme.bamboohr.com).
    pub company_domain: Option<String>,
    /// BambooHR: the API's base URL (default `https://api.bamboohr.com`).
    pub base_url: Option<String>,
    /// Workday: the Report-as-a-Service URL (ask for `format=json` or `format=csv` in it).
    pub report_url: Option<String>,
    /// Workday: `basic` (default) or `oauthClientCredentials`.
    pub auth: Option<WorkdayAuth>,
    /// Workday: the basic-auth user, or the OAuth client id.
    pub username: Option<String>,
    /// Workday OAuth: the token endpoint.
    pub token_url: Option<String>,
}

impl HrisSettingsInput {
    fn to_service(&self) -> SettingsInput {
        SettingsInput {
            company_domain: self.company_domain.clone(),
            base_url: self.base_url.clone(),
            report_url: self.report_url.clone(),
            auth: self.auth.map(Into::into),
            username: self.username.clone(),
            token_url: self.token_url.clone(),
        }
    }
}

#[derive(InputObject)]
pub struct CreateHrisConnectionInput {
    /// Unique, compared case-insensitively.
    pub name: String,
    pub kind: HrisKind,
    #[graphql(flatten)]
    pub settings: HrisSettingsInput,
    /// BambooHR's API key, Workday's password or client secret. Stored sealed, never shown.
    pub secret: String,
    /// Changes over the kind's default field names.
    pub field_map: Option<Vec<HrisFieldMappingInput>>,
    pub schedule: HrisSchedule,
}

/// Omitted fields are kept; `fieldMap` changes only the columns given.
#[derive(InputObject)]
pub struct UpdateHrisConnectionInput {
    pub hris_connection_id: ID,
    pub name: Option<String>,
    #[graphql(flatten)]
    pub settings: HrisSettingsInput,
    /// A new secret; omitted keeps the stored one.
    pub secret: Option<String>,
    pub field_map: Option<Vec<HrisFieldMappingInput>>,
    /// A new schedule; the next run is computed from now.
    pub schedule: Option<HrisSchedule>,
}

#[derive(InputObject)]
pub struct HrisConnectionIdInput {
    pub hris_connection_id: ID,
}

entity_payload!(HrisConnectionPayload {
    hris_connection: HrisConnection
});

/// What `test` found, changing nothing.
#[derive(SimpleObject)]
pub struct HrisConnectionTestPayload {
    /// The report was fetched and has employees.
    pub ok: Option<bool>,
    /// Why not, when not.
    pub reason: Option<String>,
    pub employee_count: Option<i32>,
    /// The first rows as the sync would read them: `{column: value}`.
    pub sample: Vec<Json<serde_json::Map<String, serde_json::Value>>>,
    pub errors: Vec<ApiFieldError>,
}

fn mappings(input: &Option<Vec<HrisFieldMappingInput>>) -> Option<Vec<(String, String)>> {
    input.as_ref().map(|m| {
        m.iter()
            .map(|m| (m.column.clone(), m.field.clone()))
            .collect()
    })
}

pub struct HrisConnectionMutations;

#[Object(serial)]
impl HrisConnectionMutations {
    /// Creates a connection; its first scheduled sync is at the schedule's next time.
    async fn create(
        &self,
        ctx: &Context<'_>,
        input: CreateHrisConnectionInput,
    ) -> Result<HrisConnectionPayload> {
        let connection = ConnectionInput {
            name: Some(&input.name),
            kind: Some(input.kind.into()),
            settings: input.settings.to_service(),
            secret: Some(&input.secret),
            field_map: mappings(&input.field_map),
            schedule: Some((
                input.schedule.every_hours,
                input.schedule.daily_at.as_deref(),
            )),
        };
        HrisConnectionPayload::from(
            service::hris::create(app(ctx)?, principal(ctx)?, connection).await,
        )
    }

    async fn update(
        &self,
        ctx: &Context<'_>,
        input: UpdateHrisConnectionInput,
    ) -> Result<HrisConnectionPayload> {
        let connection = ConnectionInput {
            name: input.name.as_deref(),
            kind: None,
            settings: input.settings.to_service(),
            secret: input.secret.as_deref(),
            field_map: mappings(&input.field_map),
            schedule: input
                .schedule
                .as_ref()
                .map(|s| (s.every_hours, s.daily_at.as_deref())),
        };
        let result = service::hris::update(
            app(ctx)?,
            principal(ctx)?,
            &input.hris_connection_id,
            connection,
        );
        HrisConnectionPayload::from(result.await)
    }

    /// Deletes a connection; the syncs it ran stay.
    async fn delete(
        &self,
        ctx: &Context<'_>,
        input: HrisConnectionIdInput,
    ) -> Result<HrisConnectionPayload> {
        let result = service::hris::delete(app(ctx)?, principal(ctx)?, &input.hris_connection_id);
        HrisConnectionPayload::from(result.await)
    }

    /// Fetches the report and shows its first rows as the sync would read them; nothing
    /// changes.
    async fn test(
        &self,
        ctx: &Context<'_>,
        input: HrisConnectionIdInput,
    ) -> Result<HrisConnectionTestPayload> {
        let result = service::hris::test(app(ctx)?, principal(ctx)?, &input.hris_connection_id);
        let (tested, errors) = payload(result.await)?;
        Ok(match tested {
            Some(t) => HrisConnectionTestPayload {
                ok: Some(t.ok),
                reason: t.reason,
                employee_count: t
                    .employee_count
                    .map(|n| i32::try_from(n).unwrap_or(i32::MAX)),
                sample: t
                    .sample
                    .into_iter()
                    .map(|row| Json(row.into_iter().map(|(k, v)| (k, v.into())).collect()))
                    .collect(),
                errors,
            },
            None => HrisConnectionTestPayload {
                ok: None,
                reason: None,
                employee_count: None,
                sample: Vec::new(),
                errors,
            },
        })
    }

    /// Runs a sync now (the schedule is unchanged): the same sync as a file's, recorded with
    /// `source: hris`; a failed fetch is a `rejected` sync with its reason.
    async fn sync_now(
        &self,
        ctx: &Context<'_>,
        input: HrisConnectionIdInput,
    ) -> Result<EmployeeSyncPayload> {
        let result = service::hris::sync_now(app(ctx)?, principal(ctx)?, &input.hris_connection_id);
        let (synced, errors) = payload(result.await)?;
        Ok(EmployeeSyncPayload {
            employee_sync: synced.map(EmployeeSync::from),
            errors,
        })
    }
}
