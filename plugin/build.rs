//! Compiles `proto/wire.proto` with protox (pure Rust: no `protoc` on the build machine).
fn main() {
    println!("cargo:rerun-if-changed=proto/wire.proto");
    let fds = protox::compile(["proto/wire.proto"], ["proto"]).expect("proto/wire.proto compiles");
    prost_build::Config::new()
        .compile_fds(fds)
        .expect("prost generates the wire messages");
}
