//! Saved-plan decoder: any bytes give a plan or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(j) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Ok(plan) = gantry_plans::planfile::from_json(&j) {
            let _ = gantry_plans::planfile::to_json(&plan);
        }
    }
});
