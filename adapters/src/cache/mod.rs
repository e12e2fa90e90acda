//! Cache port adapters: moka in the process (the embedded default); Redis, shared by replicas, later.

mod moka;

pub use self::moka::MokaCache;
