//! A unit of work: one tenant transaction and the live events it will publish — after it
//! commits, never before, and never for a change that was rolled back. Use cases open one, do
//! their work in its transaction, say what happened with [`Work::publish`], and
//! [`Work::commit`], which also queues the events' webhooks (`super::webhooks`). Dropping it
//! without a commit rolls the transaction back and forgets the events.

use crate::model::EventKind;

use super::{
    db::{Db, TenantId, Tx},
    events::{Event, EventBus},
    Error, Result,
};

pub struct Work {
    tx: Tx,
    tenant: TenantId,
    events: Vec<(EventKind, serde_json::Value)>,
}

impl Work {
    pub async fn begin(db: &Db, tenant: TenantId) -> Result<Work> {
        Ok(Work {
            tx: db.tenant_tx(tenant).await?,
            tenant,
            events: Vec::new(),
        })
    }

    /// The transaction, scoped to the tenant.
    pub fn tx(&mut self) -> &mut Tx {
        &mut self.tx
    }

    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    /// Queues an event to publish once committed.
    pub fn publish(&mut self, event: Event) -> Result<()> {
        let kind = event.kind();
        let data = event.data().map_err(|e| {
            Error::Internal(format!("event {} not serialisable: {e}", kind.as_str()))
        })?;
        self.events.push((kind, data));
        Ok(())
    }

    /// Queues the events' webhooks to the company's CRM in the transaction (so they go out if
    /// and only if the change does), commits, then publishes the events in order.
    pub async fn commit(mut self, bus: &EventBus) -> Result<()> {
        super::webhooks::enqueue(&mut self.tx, self.tenant, &self.events).await?;
        self.tx.commit().await?;
        for (kind, data) in self.events {
            bus.publish(self.tenant, kind, data).await;
        }
        Ok(())
    }
}
