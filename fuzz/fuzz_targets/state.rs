//! State decoder: corrupt or hostile state files are errors, never panics; what decodes
//! re-encodes and decodes to the same state.
#![no_main]

use gantry_core::state::State;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(state) = State::from_slice(data) {
        let mut out = Vec::new();
        state.write_json(&mut out, "fuzz").expect("encoding a decoded state works");
        let again = State::from_slice(&out).expect("an encoded state decodes");
        assert_eq!(again.resources.len(), state.resources.len());
    }
});
