//! The guard every resolver uses: the request's principal may perform the action, or the
//! field answers `FORBIDDEN` (the rules are `domain::access`'s).
use async_graphql::{Context, Guard, Result};

use super::errors::ToGraphql;
use crate::{
    domain::access::{Action, Principal},
    error::{AppError, Credentials},
};

/// Admits the request's principal if its role may perform the action.
pub struct Allow(pub Action);

impl Guard for Allow {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        let principal = ctx
            .data_opt::<Principal>()
            .ok_or_else(|| AppError::Unauthenticated(Credentials::Missing).to_graphql())?;
        principal
            .authorize(self.0)
            .map_err(|why| AppError::Forbidden(why).to_graphql())
    }
}
