//! The accept loop, with the limits that keep slow or greedy clients from holding the service:
//! at most `max_connections` connections are served at once (more wait in the kernel's
//! backlog until one closes), and a connection that does not finish a request's headers in
//! `header_read_timeout` is closed, idle keep-alive connections included. The request timeout
//! (slow bodies, slow handlers) is a layer of the router ([`crate::transport::http::router`]).
//!
//! With TLS the same limits hold: the handshake must finish within `header_read_timeout`,
//! then the connection speaks the protocol ALPN chose, HTTP/2 (`h2`) or HTTP/1.1. An HTTP/2
//! connection has no request headers to time between requests, so one with no request in
//! flight for `header_read_timeout` is closed instead.
//!
//! axum's own `serve` has neither limit, hence this loop over hyper.
use std::{convert::Infallible, future::Future, sync::Arc, time::Duration};

use axum::{Router, body::Body, extract::Request, response::Response};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::graceful::{GracefulShutdown, Watcher},
    service::TowerToHyperService,
};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore, watch},
};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// Connection limits, from [`crate::config::Settings`].
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
}

/// Serves `router` on `listener` (over TLS with `tls`) until `shutdown` completes, then lets
/// open connections finish their requests (for at most `drain`).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    drain: Duration,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let mut http2 = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    http2.timer(TokioTimer::new());
    tokio::pin!(shutdown);
    loop {
        // A free slot first: until then new connections wait in the backlog, unread.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        match &tls {
            None => {
                let service = TowerToHyperService::new(router.clone());
                let connection =
                    graceful.watch(http.serve_connection(TokioIo::new(stream), service));
                tokio::spawn(async move {
                    if let Err(e) = connection.await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    drop(slot);
                });
            }
            Some(acceptor) => {
                // Watched from now on, so a drain waits for the handshake too (which the
                // timeout bounds).
                tokio::spawn(serve_tls(
                    TlsConnection {
                        stream,
                        acceptor: acceptor.clone(),
                        router: router.clone(),
                        http1: http.clone(),
                        http2: http2.clone(),
                        timeout: limits.header_read_timeout,
                        watcher: graceful.watcher(),
                    },
                    slot,
                ));
            }
        }
    }
    drop(listener);
    if tokio::time::timeout(drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after {drain:?}; closing them");
    }
    Ok(())
}

/// What a TLS connection's task needs.
struct TlsConnection {
    stream: TcpStream,
    acceptor: TlsAcceptor,
    router: Router,
    http1: hyper::server::conn::http1::Builder,
    http2: hyper::server::conn::http2::Builder<TokioExecutor>,
    timeout: Duration,
    watcher: Watcher,
}

/// The handshake, then HTTP/2 or HTTP/1.1 as ALPN chose (HTTP/1.1 when the client offered
/// neither). `slot` is held until the connection closes.
async fn serve_tls(connection: TlsConnection, slot: OwnedSemaphorePermit) {
    let TlsConnection {
        router, timeout, ..
    } = connection;
    let handshake = connection.acceptor.accept(connection.stream);
    let stream = match tokio::time::timeout(timeout, handshake).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!("TLS handshake not finished in {timeout:?}; closing");
            return;
        }
    };
    let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
    let io = TokioIo::new(stream);
    let result = if h2 {
        let (activity, idle) = watch::channel(0usize);
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            let in_flight = InFlight::new(activity.clone());
            let router = router.clone();
            async move {
                let response = router.oneshot(request.map(Body::new)).await?;
                Ok::<_, Infallible>(in_flight.until_sent(response))
            }
        });
        let served = connection.http2.serve_connection(io, service);
        tokio::select! {
            result = connection.watcher.watch(served) => result,
            () = idle_for(idle, timeout) => {
                tracing::debug!("HTTP/2 connection idle for {timeout:?}; closing");
                Ok(())
            }
        }
    } else {
        let service = TowerToHyperService::new(router);
        let served = connection.http1.serve_connection(io, service);
        connection.watcher.watch(served).await
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "connection ended with an error");
    }
    drop(slot);
}

/// Counts one request of an HTTP/2 connection as in flight from its headers until its
/// response body is sent (or dropped).
struct InFlight(watch::Sender<usize>);

impl InFlight {
    fn new(count: watch::Sender<usize>) -> Self {
        count.send_modify(|n| *n += 1);
        Self(count)
    }

    fn until_sent(self, response: Response) -> Response {
        response.map(|body| {
            Body::new(body.map_frame(move |frame| {
                // Moved into the body, so the count drops with it.
                let _in_flight = &self;
                frame
            }))
        })
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// Completes once no request has been in flight for `timeout`.
async fn idle_for(mut count: watch::Receiver<usize>, timeout: Duration) {
    loop {
        if *count.borrow_and_update() == 0 {
            tokio::select! {
                () = tokio::time::sleep(timeout) => return,
                changed = count.changed() => if changed.is_err() {
                    // Every sender is gone: the connection is closing by itself.
                    std::future::pending::<()>().await;
                },
            }
        } else if count.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
