//! cargo xtask: placeholder until the reproduce command lands.
fn main() {}
