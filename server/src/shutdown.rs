//! Graceful shutdown: one signal, seen by every loop of the process.
//!
//! On SIGTERM (or Ctrl-C) the HTTP server stops accepting and ends its live streams, and the
//! worker and the bots finish the job or update in hand and stop between jobs, so a message
//! Telegram accepted is recorded as sent before the process exits.

use tokio::sync::watch;

#[derive(Clone)]
pub struct Shutdown {
    receiver: watch::Receiver<bool>,
}

impl Shutdown {
    /// Triggered by SIGTERM or Ctrl-C.
    pub fn on_signal() -> Shutdown {
        let (shutdown, trigger) = Shutdown::new();
        tokio::spawn(async move {
            signal().await;
            trigger.send_replace(true);
        });
        shutdown
    }

    /// A shutdown triggered by hand (tests, embedding).
    pub fn new() -> (Shutdown, watch::Sender<bool>) {
        let (sender, receiver) = watch::channel(false);
        (Shutdown { receiver }, sender)
    }

    pub fn is_triggered(&self) -> bool {
        *self.receiver.borrow()
    }

    /// Resolves once the shutdown is triggered (at once if it already was).
    pub async fn wait(&self) {
        let mut receiver = self.receiver.clone();
        // An error means the sender is gone: nobody can trigger it any more, so wait forever.
        if receiver.wait_for(|stop| *stop).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
