//! Nothing to see: this crate only turns on features (see its Cargo.toml).
