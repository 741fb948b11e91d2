//! Configuration loader + graph + evaluator: any input gives diagnostics, never a panic.
#![no_main]

use gantry_core::config::load_sources;
use gantry_core::diag::SourceFile;
use gantry_core::provider::Registry;
use gantry_core::value::Value;
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (cfg, diags) = load_sources(std::path::Path::new("/nonexistent-fuzz-dir"), vec![SourceFile::new("main.tf", text.as_ref())]);
    let _ = cfg.sources.render(&diags, false);
    if diags.has_errors() {
        return;
    }
    let mut registry = Registry::new();
    gantry_provider_builtin::register(&mut registry);
    // Variables: their defaults where given, unknown otherwise, as `validate` does.
    let vars: BTreeMap<String, Value> = cfg
        .variables
        .values()
        .map(|v| (v.name.clone(), v.default.clone().unwrap_or(Value::Unknown).mark_if(v.sensitive)))
        .collect();
    let sources = cfg.sources.clone();
    match gantry_plans::Engine::new(cfg, registry, vars) {
        Ok(engine) => {
            let d = engine.validate();
            let _ = sources.render(&d, false);
        }
        Err(d) => {
            let _ = sources.render(&d, false);
        }
    }
});
