//! Concurrency and request-rate limits per provider and per resource type, so a large apply
//! does not trip API throttling (`provider "aws" { max_concurrency = 20, rate_limit = "50/s" }`).

use gantry_core::config::{Config, Limit};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// One limit: a semaphore for concurrency and a spacing clock for the rate.
#[derive(Debug)]
pub struct Limiter {
    slots: Option<Arc<Semaphore>>,
    spacing: Option<(Duration, Mutex<Instant>)>,
}

impl Limiter {
    pub fn new(l: &Limit) -> Limiter {
        Limiter {
            slots: l
                .max_concurrency
                .map(|n| Arc::new(Semaphore::new(n.max(1)))),
            spacing: l.rate.map(|r| {
                (
                    Duration::from_secs_f64(1.0 / r.0),
                    Mutex::new(Instant::now()),
                )
            }),
        }
    }

    /// Waits for a free slot and for the next request time. The slot is held until the
    /// returned permit drops.
    pub async fn acquire(&self) -> Option<OwnedSemaphorePermit> {
        let permit = match &self.slots {
            Some(s) => s.clone().acquire_owned().await.ok(),
            None => None,
        };
        if let Some((gap, next)) = &self.spacing {
            let wait = {
                let mut n = next.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                let at = (*n).max(now);
                *n = at + *gap;
                at - now
            };
            tokio::time::sleep(wait).await;
        }
        permit
    }
}

/// Every configured limiter, by provider configuration key and by (key, resource type).
#[derive(Debug, Default)]
pub struct Limiters {
    provider: HashMap<String, Limiter>,
    per_type: HashMap<(String, String), Limiter>,
}

/// Held while an API call runs.
pub struct Permits(#[allow(dead_code)] Vec<OwnedSemaphorePermit>);

impl Limiters {
    pub fn from_config(cfg: &Config) -> Limiters {
        let mut out = Limiters::default();
        for p in &cfg.providers {
            let key = Config::provider_key(&p.name, p.alias.as_deref());
            if p.limits.provider != Limit::default() {
                out.provider
                    .insert(key.clone(), Limiter::new(&p.limits.provider));
            }
            for (t, l) in &p.limits.per_type {
                out.per_type
                    .insert((key.clone(), t.clone()), Limiter::new(l));
            }
        }
        out
    }

    /// Waits until a call of `type_name` through provider `key` may start.
    pub async fn acquire(&self, key: &str, type_name: &str) -> Permits {
        let mut held = Vec::new();
        // Always type first, then provider: one order, so waiting cannot deadlock.
        if let Some(l) = self.per_type.get(&(key.to_string(), type_name.to_string())) {
            held.extend(l.acquire().await);
        }
        if let Some(l) = self.provider.get(key) {
            held.extend(l.acquire().await);
        }
        Permits(held)
    }
}
