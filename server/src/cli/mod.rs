//! Subcommands that work on local files, without the server's configuration or backends.

pub mod thumbnail;
