//! Provider limits: `max_concurrency` bounds operations in flight and `rate_limit` spaces
//! their starts. Uses a small provider that records when each operation runs.

use async_trait::async_trait;
use gantry_core::config::load_sources;
use gantry_core::diag::SourceFile;
use gantry_core::provider::*;
use gantry_core::state::State;
use gantry_core::types::Type;
use gantry_core::value::Value;
use gantry_plans::apply::{apply, NoJournal, Quiet};
use gantry_plans::{Engine, PlanOptions};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Recorder {
    inflight: AtomicUsize,
    max: AtomicUsize,
    starts: Mutex<Vec<Instant>>,
}

struct Slow(Arc<Recorder>);

fn schema() -> &'static ProviderSchema {
    static S: OnceLock<ProviderSchema> = OnceLock::new();
    S.get_or_init(|| {
        let mut s = ProviderSchema::default();
        let mut r = ResourceSchema::default();
        r.block
            .attributes
            .insert("n".into(), AttributeSchema::optional(Type::Number));
        r.block
            .attributes
            .insert("id".into(), AttributeSchema::computed(Type::String));
        s.resources.insert("slow_thing".into(), r);
        s
    })
}

#[async_trait]
impl ProviderFactory for Slow {
    fn schema(&self) -> &ProviderSchema {
        schema()
    }
    async fn configure(&self, _c: &Value) -> ProviderResult<Arc<dyn Provider>> {
        Ok(Arc::new(Slow(self.0.clone())))
    }
}

#[async_trait]
impl Provider for Slow {
    fn schema(&self) -> &ProviderSchema {
        schema()
    }
    async fn read(&self, _t: &str, prior: &Value) -> ProviderResult<Option<Value>> {
        Ok(Some(prior.clone()))
    }
    async fn create(&self, _t: &str, planned: &Value, _p: &Op<'_>) -> ProviderResult<Value> {
        self.0.starts.lock().unwrap().push(Instant::now());
        let now = self.0.inflight.fetch_add(1, Ordering::SeqCst) + 1;
        self.0.max.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(40)).await;
        self.0.inflight.fetch_sub(1, Ordering::SeqCst);
        let mut m = planned.as_map().cloned().unwrap_or_default();
        m.insert(
            "id".into(),
            Value::string(format!(
                "slow-{}",
                m.get("n").and_then(Value::as_f64).unwrap_or(0.0)
            )),
        );
        Ok(Value::map(m))
    }
    async fn update(
        &self,
        _t: &str,
        _p: &Value,
        planned: &Value,
        _g: &Op<'_>,
    ) -> ProviderResult<Value> {
        Ok(planned.clone())
    }
    async fn delete(&self, _t: &str, _p: &Value, _g: &Op<'_>) -> ProviderResult<()> {
        Ok(())
    }
}

async fn run(config: &str) -> Arc<Recorder> {
    let rec = Arc::new(Recorder::default());
    let mut reg = Registry::new();
    reg.register("slow", Arc::new(Slow(rec.clone())));
    let (cfg, d) = load_sources(
        std::path::Path::new("."),
        vec![SourceFile::new("main.tf", config)],
    );
    assert!(!d.has_errors(), "{d}");
    let engine = Engine::new(cfg, reg, BTreeMap::new()).unwrap();
    let plan = engine
        .plan(&State::new(), &PlanOptions::default())
        .await
        .unwrap();
    let out = apply(&engine, &plan, Box::new(NoJournal), &Quiet, 10)
        .await
        .unwrap();
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    assert_eq!(out.state.resources.len(), 12);
    rec
}

#[tokio::test]
async fn max_concurrency_bounds_operations_in_flight() {
    let unlimited =
        run("resource \"slow_thing\" \"x\" {\n  count = 12\n  n = count.index\n}\n").await;
    assert!(
        unlimited.max.load(Ordering::SeqCst) >= 5,
        "without a limit, parallelism 10 runs many at once"
    );
    let limited = run("provider \"slow\" {\n  max_concurrency = 3\n}\nresource \"slow_thing\" \"x\" {\n  count = 12\n  n = count.index\n}\n").await;
    let max = limited.max.load(Ordering::SeqCst);
    assert!((2..=3).contains(&max), "max in flight {max}");
}

#[tokio::test]
async fn rate_limit_spaces_request_starts() {
    // What the limiter guarantees, whatever the load: the k-th request starts no earlier than
    // k intervals after the first could (a late wake-up may bunch starts up, never advance
    // them). So every start is compared with a time taken before the limiter existed.
    let before = Instant::now();
    let rec = run("provider \"slow\" {\n  resource_limits = { slow_thing = { rate_limit = \"50/s\" } }\n}\nresource \"slow_thing\" \"x\" {\n  count = 12\n  n = count.index\n}\n").await;
    let mut starts = rec.starts.lock().unwrap().clone();
    starts.sort();
    assert_eq!(starts.len(), 12);
    for (k, s) in starts.iter().enumerate() {
        let earliest = before + Duration::from_millis(20) * k as u32;
        assert!(
            *s >= earliest,
            "start {k} came {:?} before the rate allows",
            earliest - *s
        );
    }
}

#[test]
fn bad_limits_are_configuration_errors() {
    let (_, d) = load_sources(
        std::path::Path::new("."),
        vec![SourceFile::new(
            "main.tf",
            "provider \"slow\" {\n  rate_limit = \"fast\"\n  max_concurrency = 0\n}\n",
        )],
    );
    let text = format!("{d}");
    assert!(
        text.contains("rate_limit") && text.contains("max_concurrency"),
        "{text}"
    );
}
