//! Operation metrics: each root field of an operation (`query brands`, a mutation namespace's
//! field such as `mutation BrandMutations.create`) is counted and timed in [`Metrics`]. Labels
//! are schema names, never aliases, so clients cannot add series.
use std::{sync::Arc, time::Instant};

use async_graphql::{
    ServerResult, Value,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo},
};

use crate::service::App;

pub struct OperationMetrics;

impl ExtensionFactory for OperationMetrics {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OperationMetrics)
    }
}

/// The operation a field is the root of, if it is one.
fn operation(info: &ResolveInfo<'_>) -> Option<String> {
    if info.is_for_introspection {
        return None;
    }
    match info.parent_type {
        "QueryRoot" => Some(format!("query {}", info.name)),
        // `MutationRoot`'s fields are namespaces; the operation is the namespace's field.
        parent if parent.ends_with("Mutations") => Some(format!("mutation {parent}.{}", info.name)),
        _ => None,
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for OperationMetrics {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let (Some(operation), Some(app)) = (operation(&info), ctx.data_opt::<App>()) else {
            return next.run(ctx, info).await;
        };
        let started = Instant::now();
        let result = next.run(ctx, info).await;
        app.metrics()
            .graphql_operation(&operation, result.is_ok(), started.elapsed());
        result
    }
}
