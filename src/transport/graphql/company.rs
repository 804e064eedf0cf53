//! Companies: the object type, queries and mutations.
use super::types::Timestamp;
use async_graphql::{Context, ID, InputObject, Object, Result};
use entity::company;

use super::{
    Allow, app,
    connection::{CompanyField, entity_queries},
    mutation::entity_payload,
    principal,
    types::row_object,
};
use crate::{
    domain::{access::Action, id::NodeKind},
    service,
};

row_object! {
    #[Object]
    Company(company::Model), id NodeKind::Company;
    columns { name: String, created_at: Timestamp }
}

entity_queries!(
    CompanyQuery, guard = "Allow(Action::Read)";
    one company: company::Entity, NodeKind::Company;
    list companies: CompanyField => Company
);

#[derive(InputObject)]
pub struct CreateCompanyInput {
    pub name: String,
}

#[derive(InputObject)]
pub struct UpdateCompanyInput {
    pub company_id: ID,
    pub name: Option<String>,
}

#[derive(InputObject)]
pub struct DeleteCompanyInput {
    pub company_id: ID,
}

entity_payload!(CompanyPayload { company: Company });

pub struct CompanyMutations;

#[Object(serial)]
impl CompanyMutations {
    async fn create(&self, ctx: &Context<'_>, input: CreateCompanyInput) -> Result<CompanyPayload> {
        CompanyPayload::from(
            service::companies::create(app(ctx)?, principal(ctx)?, &input.name).await,
        )
    }

    async fn update(&self, ctx: &Context<'_>, input: UpdateCompanyInput) -> Result<CompanyPayload> {
        CompanyPayload::from(
            service::companies::update(
                app(ctx)?,
                principal(ctx)?,
                &input.company_id,
                input.name.as_deref(),
            )
            .await,
        )
    }

    /// Deletes a company without accounts.
    async fn delete(&self, ctx: &Context<'_>, input: DeleteCompanyInput) -> Result<CompanyPayload> {
        CompanyPayload::from(
            service::companies::delete(app(ctx)?, principal(ctx)?, &input.company_id).await,
        )
    }
}
